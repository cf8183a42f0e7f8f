#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of the parsers of untrusted input, one
# target per parser in Tests/Fuzz/<TARGET>/ with its committed seed corpus (Corpus/) and dictionary:
#   scripts/fuzz.sh --list               the targets
#   scripts/fuzz.sh TARGET [SECONDS]     fuzz one target (default 60 s)
#   scripts/fuzz.sh --smoke [SECONDS]    every target for SECONDS (default 15) each, as scripts/test.sh does
# Builds into .build-fuzz. New inputs go to .build-fuzz/corpus/TARGET (the committed corpus is
# only read), findings to .build-fuzz/crashes/TARGET; a finding fails the script, naming its file.
# Replay one with the plain build: .build/debug/Fuzz<TARGET> FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-fuzz
targets=()
for dir in Tests/Fuzz/*/Corpus; do targets+=("$(basename "$(dirname "$dir")")"); done

# The longest input worth trying per target (libFuzzer's default is 4096).
max_len() {
  case $1 in
    SAMLResponse) echo 16384 ;;
    SignedCookie | SCIMFilter) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

build() {
  for target in "$@"; do
    # ld.gold warns about every ASan helper symbol it cannot export; nothing to act on.
    swift build --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --product "Fuzz$target" 2>&1 |
      { grep -v "Cannot export local symbol" || true; }
  done
}

# fuzz TARGET SECONDS [LIBFUZZER-ARGS...]
fuzz() {
  local target=$1 seconds=$2
  shift 2
  mkdir -p "$scratch/corpus/$target" "$scratch/crashes/$target"
  # The Swift runtime's backtracer would catch the crash first and keep libFuzzer from saving it.
  # No leak checks: LeakSanitizer cannot follow Swift's bit-packed enum payload pointers, so it
  # reports a global built on first use as a leak.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$scratch/debug/Fuzz$target" "$scratch/corpus/$target" "Tests/Fuzz/$target/Corpus" \
    -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 \
    -dict="Tests/Fuzz/$target/$target.dict" -artifact_prefix="$scratch/crashes/$target/" "$@"
}

is_target() {
  local target
  for target in "${targets[@]}"; do [[ $target == "$1" ]] && return 0; done
  return 1
}

case ${1:-} in
  --list)
    printf '%s\n' "${targets[@]}"
    ;;
  --smoke)
    seconds=${2:-15}
    build "${targets[@]}"
    status=0
    for target in "${targets[@]}"; do
      log=$scratch/logs/$target.log
      mkdir -p "$scratch/logs"
      if fuzz "$target" "$seconds" -print_final_stats=1 >"$log" 2>&1; then
        echo "== fuzz $target: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') inputs in ${seconds}s, no finding"
      else
        status=1
        tail -n 40 "$log"
        echo "== fuzz $target FOUND A CRASH: $(grep -o 'Test unit written to .*' "$log" || echo "see $log")"
      fi
    done
    exit "$status"
    ;;
  "" | -*)
    echo "usage: scripts/fuzz.sh --list | TARGET [SECONDS] | --smoke [SECONDS]" >&2
    exit 2
    ;;
  *)
    is_target "$1" || { echo "no fuzz target $1 (scripts/fuzz.sh --list)" >&2; exit 2; }
    build "$1"
    if ! fuzz "$1" "${2:-60}"; then
      echo "== fuzz $1 FOUND A CRASH: the file is in $scratch/crashes/$1/ (named above)" >&2
      exit 1
    fi
    ;;
esac
