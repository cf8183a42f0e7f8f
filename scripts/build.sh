#!/usr/bin/env bash
# Builds the gatehouse binary and every bundled plugin in release mode. Each plugin goes to
# plugins.d/available/<id>.so; a library directly in plugins.d/ is enabled. The first build
# enables the default set; later builds refresh the enabled copies of bundled plugins and
# never re-enable one the operator disabled (`gatehouse plugins disable`). Build output: never
# committed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/plugin-sets.sh
# The default plugins a build has enabled once (one id a line): never enabled a second time.
offered=plugins.d/.enabled-by-build

swift build -c release
bin=$(swift build -c release --show-bin-path)
mkdir -p plugins.d/available
# The loader refuses a group- or world-writable plugins directory or library, whatever the umask.
chmod go-w plugins.d plugins.d/available
touch "$offered"

# Copy then rename, so a running server never sees a half-written library.
place() {
  install -m 0644 "$1" "$2.tmp"
  mv "$2.tmp" "$2"
}

enabled=()
for id in "${bundled[@]}"; do
  place "$bin/lib$id.so" "plugins.d/available/$id.so"
  if [[ -e "plugins.d/$id.so" ]]; then
    place "$bin/lib$id.so" "plugins.d/$id.so"
  elif enabled_by_default "$id" && ! grep -qx "$id" "$offered"; then
    place "$bin/lib$id.so" "plugins.d/$id.so"
    echo "$id" >>"$offered"
  fi
  if [[ -e "plugins.d/$id.so" ]]; then enabled+=("$id"); fi
done
echo "built .build/release/gatehouse and plugins.d/available/{$(IFS=,; echo "${bundled[*]}")}.so; enabled: ${enabled[*]:-none}"
