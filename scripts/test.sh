#!/usr/bin/env bash
# The README's second command and what CI runs: unit tests (swift test), then the HTTP
# suite (pytest) against the real server binary on random ports, in two passes:
#   1. on temporary SQLite files;
#   2. on a throwaway PostgreSQL cluster (scripts/postgres-cluster.sh), one database per server
#      (GATEHOUSE_TEST_POSTGRES), leaving out the tests marked sqlite_only.
# Tests marked postgres_only (several instances on one database, outages) run in pass 2 only.
# Both passes always run; the script fails if either does.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift build --build-tests
swift test --skip-build
export GATEHOUSE_BIN="$PWD/.build/debug/gatehouse"
unset GATEHOUSE_TEST_POSTGRES

status=0
echo "== HTTP suite on SQLite"
python3 -m pytest Tests/http -q -p no:cacheprovider -m "not postgres_only" || status=1

pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-postgres.XXXXXX")
trap 'scripts/postgres-cluster.sh stop "$pg_dir" || true; rm -rf "$pg_dir"' EXIT
pg_url=$(scripts/postgres-cluster.sh start "$pg_dir")
echo "== HTTP suite on PostgreSQL"
GATEHOUSE_TEST_POSTGRES="$pg_url" python3 -m pytest Tests/http -q -p no:cacheprovider -m "not sqlite_only" || status=1

exit "$status"
