#!/usr/bin/env bash
# What the production-shaped cluster (test/helpers/cluster.ts) needs, installed when missing:
# PostgreSQL 15 (Debian's package) and the Temporal server built from its Go module.
# Idempotent and quiet when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  [ "$(id -u)" = 0 ] || { echo "cluster setup: PostgreSQL 15 is missing; install postgresql-15 (needs root)" >&2; exit 1; }
  echo "cluster setup: installing PostgreSQL 15" >&2
  apt-get update -qq
  # Only the server binaries: the packaged service (a cluster on port 5432) is not started.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  [ -x /usr/lib/postgresql/15/bin/postgres ] || { echo "cluster setup: no /usr/lib/postgresql/15/bin/postgres after installing" >&2; exit 1; }
fi

bash scripts/cluster/build-server.sh
