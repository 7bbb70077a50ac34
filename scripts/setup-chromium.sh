#!/usr/bin/env bash
# Chromium for the console's browser tests (test/e2e/console.test.ts): Debian's `chromium` package,
# driven by playwright-core (whose own browser download does not work here). Idempotent. A browser
# named by CHROMIUM_BIN, or /usr/bin/chromium already there, is used as it is. When it cannot be
# installed (no apt-get, not root), this says so and exits 0: only the browser tests fail, and say how.
set -uo pipefail

if [ -n "${CHROMIUM_BIN:-}" ]; then
  [ -x "$CHROMIUM_BIN" ] && exit 0
  echo "setup: CHROMIUM_BIN=$CHROMIUM_BIN is not an executable file; the console's browser tests will fail" >&2
  exit 0
fi
[ -x /usr/bin/chromium ] && exit 0

skip() {
  echo "setup: chromium not installed ($1); the console's browser tests need it: apt-get install chromium" >&2
  exit 0
}
command -v apt-get >/dev/null 2>&1 || skip "no apt-get on this machine"
if [ "$(id -u)" -eq 0 ]; then sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n)
else skip "apt-get needs root"; fi

install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1
}
echo "setup: installing chromium (apt-get)" >&2
if ! install; then
  "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
  install || skip "apt-get install chromium failed"
fi
[ -x /usr/bin/chromium ] || skip "the package installed no /usr/bin/chromium"
echo "setup: chromium=/usr/bin/chromium" >&2
