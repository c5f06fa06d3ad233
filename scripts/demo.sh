#!/bin/sh
# README set-up command (1): install the app with its locked dependencies (no development
# tools) and open it on the demo database. Extra arguments go to backupchecks-tui.
set -eu
cd "$(dirname "$0")/.."
uv=$(sh scripts/uv.sh)
"$uv" sync --locked --no-dev --compile-bytecode --quiet
exec "$uv" run --no-sync backupchecks-tui --demo "$@"
