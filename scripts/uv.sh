#!/bin/sh
# Print the path of a uv binary: the one on PATH, the user's, or one installed now for this
# user from its PyPI wheel (scripts/fetch_uv.py: standard library only, so it works where
# `pip install` is refused by PEP 668 or pip is not installed at all).
set -eu
if command -v uv >/dev/null 2>&1; then
    command -v uv
    exit 0
fi
bin="${XDG_BIN_HOME:-$HOME/.local/bin}"
if [ ! -x "$bin/uv" ]; then
    python3 "$(dirname "$0")/fetch_uv.py" "$bin" >&2
fi
echo "$bin/uv"
