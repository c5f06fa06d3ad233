#!/usr/bin/env bash
# Install everything the tests need and run the full test suite.
# This is README set-up command (2); .ci/run calls it. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages for the real test servers (Dovecot, PostgreSQL): installed when missing.
bash scripts/install-test-deps.sh

# Python and the locked dependencies (uv from PATH, or installed for this user: scripts/uv.sh).
uv=$(sh scripts/uv.sh)
"$uv" sync --locked --compile-bytecode --quiet

# The suite starts throw-away Dovecot and PostgreSQL servers on loopback and stops them
# afterwards; with this set a test whose server cannot start fails instead of skipping.
export BACKUPCHECKS_REQUIRE_SERVERS=1
status=0
"$uv" run --no-sync pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
fi
exit "$status"
