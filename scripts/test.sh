#!/usr/bin/env bash
# The README's second command and what CI runs: unit tests (swift test), a fuzz smoke (each
# libFuzzer target for 15 s: scripts/fuzz.sh --smoke), then the HTTP suite (pytest) against the
# real server binary on random ports, in two passes that run side by side (their servers mostly
# wait on each other's requests, so two cores serve both):
#   1. on temporary SQLite files;
#   2. on a throwaway PostgreSQL cluster (scripts/postgres-cluster.sh), one database per server
#      (GATEHOUSE_TEST_POSTGRES), leaving out the tests marked sqlite_only. It has more tests and
#      its database costs CPU too, so pytest-xdist runs it in two workers, a test file to each.
# Tests marked postgres_only (several instances on one database, outages) run in pass 2 only.
# Then the tests marked serial (the benchmark and soak smokes, which load every core) run alone.
# Each line of output names its pass. Every pass always runs; the script fails if any does.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# A debug build, with its C dependencies optimized: at -O0 BoringSSL's scrypt takes ~0.44 s a
# password instead of ~0.09 s, and the HTTP suite hashes thousands (three times its run time).
# (A plain `swift build` afterwards rebuilds .build/debug: the flags differ.)
swift build --build-tests -Xcc -O2
swift test --skip-build
scripts/fuzz.sh --smoke 15
export GATEHOUSE_BIN="$PWD/.build/debug/gatehouse"
unset GATEHOUSE_TEST_POSTGRES

# pass NAME [VAR=VALUE...] -- PYTEST-ARGS: one pass, its output prefixed with [NAME].
pass() {
  local name=$1 vars=()
  shift
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  env ${vars[@]+"${vars[@]}"} python3 -m pytest Tests/http -q -p no:cacheprovider "$@" 2>&1 | sed -u "s/^/[$name] /"
}

status=0
passes=()
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-postgres.XXXXXX")
trap 'scripts/postgres-cluster.sh stop "$pg_dir" || true; rm -rf "$pg_dir"' EXIT
# Interrupted: stop both passes (and their servers) before the cluster goes.
trap 'kill -- "${passes[@]/#/-}" 2>/dev/null; exit 130' INT TERM

echo "== HTTP suite on SQLite and on PostgreSQL"
set -m  # each pass in its own process group, so an interrupt reaches its servers too
(pass sqlite -- -m "not postgres_only and not serial") &
passes+=($!)
if pg_url=$(scripts/postgres-cluster.sh start "$pg_dir"); then
  (pass postgres "GATEHOUSE_TEST_POSTGRES=$pg_url" -- -m "not sqlite_only and not serial" -n 2 --dist loadfile) &
  passes+=($!)
else
  echo "== the PostgreSQL cluster did not start: no PostgreSQL pass"
  status=1
fi
set +m
wait "${passes[0]}" || { status=1; echo "== the SQLite pass failed"; }
if ((${#passes[@]} > 1)); then wait "${passes[1]}" || { status=1; echo "== the PostgreSQL pass failed"; }; fi
echo "== HTTP tests that load every core, alone"
set -m
(pass serial -- -m serial) &
passes=($!)
set +m
wait "${passes[0]}" || { status=1; echo "== the serial pass failed"; }
exit "$status"
