#!/usr/bin/env bash
# Builds the gatehouse binary in release mode (.build/release/gatehouse).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product gatehouse
mkdir -p plugins.d
