#!/usr/bin/env bash
# Builds the Temporal server and its SQL schema tool from the Go module, once, into
# .tools/temporal-server/ (git-ignored), with the PostgreSQL schema files beside them so that
# nothing needs the Go module cache afterwards. A second run with everything present does nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=v1.32.2
OUT="$PWD/.tools/temporal-server"
STAMP="$OUT/version"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION" ] \
  && [ -x "$OUT/bin/server" ] && [ -x "$OUT/bin/sql" ] && [ -d "$OUT/schema/postgresql" ]; then
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "build-server: needs Go (apt-get install golang, or go.dev)" >&2; exit 1; }
echo "build-server: building the Temporal server $VERSION and its SQL tool (a few minutes, once)" >&2
rm -rf "$OUT"
mkdir -p "$OUT/bin"
# The server's go.mod may ask for a newer Go than the machine's: GOTOOLCHAIN=auto fetches it
# through the module proxy.
GOTOOLCHAIN=auto GOBIN="$OUT/bin" GOFLAGS=-buildvcs=false go install \
  "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION"

src="$(GOTOOLCHAIN=auto go env GOMODCACHE)/go.temporal.io/server@$VERSION/schema/postgresql"
[ -d "$src" ] || { echo "build-server: no schema folder at $src" >&2; exit 1; }
mkdir -p "$OUT/schema"
cp -R "$src" "$OUT/schema/postgresql"
# The module cache is read-only; the copy need not be.
chmod -R u+w "$OUT/schema"
echo "$VERSION" > "$STAMP"
echo "build-server: done, $OUT" >&2
