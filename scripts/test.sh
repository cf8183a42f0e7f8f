#!/usr/bin/env bash
# The README's second command and what CI runs: unit tests (swift test), then the HTTP
# suite (pytest) against the real server binary on random ports with temporary SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift build --build-tests
swift test --skip-build
GATEHOUSE_BIN="$PWD/.build/debug/gatehouse" python3 -m pytest Tests/http -q -p no:cacheprovider
