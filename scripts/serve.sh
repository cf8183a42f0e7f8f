#!/usr/bin/env bash
# The README's first command: install what is missing, build, and serve on the embedded
# default (SQLite file ./gatehouse.db, http://127.0.0.1:3000/api/auth). Extra arguments go
# to `gatehouse serve` (e.g. --config gatehouse.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec .build/release/gatehouse serve "$@"
