#!/usr/bin/env bash
# Soak (prints figures; not a test): `scripts/soak.sh [SECONDS]` (default 300) runs a bounded
# mixed load on loopback against a release build with the default plugin set and a new SQLite
# file (scripts/soak_load.py: sign-up, sign-in, get-session, list-sessions, update-user,
# sign-out, organization create and invite), then prints requests, errors and p99 per route, and
# RSS under load after the warm-up (a fifth of the time, at most 60 s) and at the end (medians of
# 10 s windows). It fails on any error answer or on RSS growth of 10 % or more after the warm-up.
# `scripts/soak.sh --smoke` runs 5 s on the debug build, counting errors only (the test command
# does that).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--smoke" ]]; then
  seconds=5; bin=.build/debug; growth_limit=()
else
  seconds=${1:-300}
  [[ $seconds =~ ^[0-9]+$ ]] && ((10#$seconds >= 10)) || { echo "usage: scripts/soak.sh [SECONDS >= 10] | --smoke" >&2; exit 64; }
  scripts/setup.sh >/dev/null
  swift build -c release >/dev/null
  bin=.build/release; growth_limit=(--max-growth 0.10)
fi
# The load speaks HTTP with requests, which the test set-up installs.
python3 -c 'import requests' 2>/dev/null || scripts/setup.sh --test

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
source scripts/local-server.sh
install_default_plugins "$work/soak.d"
start_server soak

warm_up=$(awk -v s="$seconds" 'BEGIN { w = s / 5; printf "%.1f", (w > 60 ? 60 : w) }')
echo "Gatehouse soak — $(nproc) cores, $(basename "$bin") build, SQLite, default plugins, ${seconds} s"
python3 scripts/soak_load.py --base "http://127.0.0.1:$port_soak/api/auth" --pid "$pid_soak" \
  --seconds "$seconds" --warm-up "$warm_up" "${growth_limit[@]}"
