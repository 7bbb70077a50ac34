#!/usr/bin/env bash
# What the production-shaped cluster (test/helpers/cluster.ts) needs, installed when missing:
# PostgreSQL 15 (Debian's package; another version where 15 is not packaged), the unprivileged
# `postgres` user it runs as (it refuses root), and the Temporal server built from its Go module.
# Idempotent and quiet when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/../.."

have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }

if [ ! -x /usr/lib/postgresql/15/bin/postgres ] && ! have_postgres; then
  [ "$(id -u)" = 0 ] || { echo "cluster setup: PostgreSQL is missing; install postgresql-15 (needs root)" >&2; exit 1; }
  echo "cluster setup: installing PostgreSQL 15" >&2
  apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null; then
    echo "cluster setup: no postgresql-15 package here; installing Debian's default postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  have_postgres || { echo "cluster setup: no /usr/lib/postgresql/*/bin/postgres after installing" >&2; exit 1; }
fi

if [ "$(id -u)" = 0 ] && ! id -u postgres >/dev/null 2>&1; then
  echo "cluster setup: adding the system user postgres (PostgreSQL does not run as root)" >&2
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
fi

command -v setpriv >/dev/null 2>&1 || { echo "cluster setup: setpriv (util-linux) is missing" >&2; exit 1; }

bash scripts/cluster/build-server.sh
