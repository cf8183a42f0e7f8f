#!/usr/bin/env bash
# Builds the gatehouse binary and every bundled plugin in release mode, and places each plugin
# at plugins.d/<id>.so (build output: never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bundled=(bearer jwt two-factor passkey siwe organization)
swift build -c release
mkdir -p plugins.d
bin=$(swift build -c release --show-bin-path)
for id in "${bundled[@]}"; do
  # Copy then rename, so a running server never sees a half-written library.
  cp "$bin/lib$id.so" "plugins.d/.$id.so.tmp"
  mv "plugins.d/.$id.so.tmp" "plugins.d/$id.so"
done
echo "built .build/release/gatehouse and plugins.d/{$(IFS=,; echo "${bundled[*]}")}.so"
