#!/usr/bin/env bash
# aiosmtpd (PyPI), a real SMTP server for the e-mail sink's tests, into .tools/smtp/ (git-ignored).
# A second run with it present does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.4.6
OUT="$PWD/.tools/smtp"
if [ -f "$OUT/version" ] && [ "$(cat "$OUT/version")" = "$VERSION" ]; then exit 0; fi
echo "setup: installing aiosmtpd $VERSION into $OUT" >&2
rm -rf "$OUT"
python3 -m pip install --quiet --disable-pip-version-check --target "$OUT" "aiosmtpd==$VERSION" 2>&1 \
  | grep -v "Running pip as the 'root' user" >&2 || true
PYTHONPATH="$OUT" python3 -c 'import aiosmtpd' || { echo "setup: aiosmtpd did not install" >&2; exit 1; }
echo "$VERSION" > "$OUT/version"
