#!/usr/bin/env bash
# Prometheus for the prometheus probe's tests and bench: Debian's `prometheus` package (2.42 on
# bookworm), installed with apt-get when no prometheus binary is found. Idempotent. The package's own
# service is never relied on (the tests start their own server on a free port).
# A binary named by PROMETHEUS_BIN, or one already on PATH, is used as it is.
# When it cannot be installed (no apt-get, not root, no package), this says so and exits 0: only the
# tests that need Prometheus fail, and they say how to install it.
set -uo pipefail

if [ -n "${PROMETHEUS_BIN:-}" ]; then
  [ -x "$PROMETHEUS_BIN" ] && exit 0
  echo "setup: PROMETHEUS_BIN=$PROMETHEUS_BIN is not an executable file; the prometheus tests will fail" >&2
  exit 0
fi
command -v prometheus >/dev/null 2>&1 && exit 0

skip() {
  echo "setup: prometheus not installed ($1); the prometheus probe tests need it:" >&2
  echo "       apt-get install --no-install-recommends prometheus   (or set PROMETHEUS_BIN to a prometheus binary)" >&2
  exit 0
}

command -v apt-get >/dev/null 2>&1 || skip "no apt-get on this machine"
if [ "$(id -u)" -eq 0 ]; then sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n)
else skip "apt-get needs root"; fi

install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1
}
echo "setup: installing prometheus (apt-get)" >&2
if ! install; then
  # The package lists may be missing or stale (a fresh container).
  "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
  install || skip "apt-get install prometheus failed"
fi
command -v prometheus >/dev/null 2>&1 || skip "the package installed no prometheus on PATH"
echo "setup: prometheus=$(command -v prometheus) ($(prometheus --version 2>&1 | head -1))" >&2
