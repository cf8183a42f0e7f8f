#!/usr/bin/env bash
# Benchmark (prints figures; not a test): a release build on 127.0.0.1 with temporary SQLite
# files, wrk with the same threads, connections and duration for every row, and one summary
# line of ratios against figures measured in the same run (absolute numbers move from machine
# to machine); each ratio compares rows of one server measured within seconds of each other.
# Two servers: "core" with an empty plugins directory, and "default" with the default plugin set
# plus the C example plugin (hello-c, whose route is compared with the built-in /ok).
# `scripts/bench.sh --smoke` runs every row for a second on the debug build, to prove the script
# works (the test command does that).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--smoke" ]]; then
  DURATION=1s; HASH_SECONDS=1; SESSIONS=8; bin=.build/debug; scripts/setup.sh --bench >/dev/null
else
  scripts/setup.sh --bench
  swift build -c release >/dev/null
  bin=.build/release
fi
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
SESSIONS=${SESSIONS:-200}
THREADS=2
cores=$(nproc)

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
source scripts/local-server.sh

# sign_up NAME: a user on that server; prints its session cookie, once get-session shows it
# works (with a JWT on the default server), so no row can measure an anonymous answer.
sign_up() {
  local port_var="port_$1" cookie headers
  curl -sf --max-time 30 "http://127.0.0.1:${!port_var}/api/auth/sign-up/email" -H 'content-type: application/json' \
    -d '{"name":"Bench","email":"bench@example.com","password":"bench-password-1"}' -c "$work/$1.jar" >/dev/null
  cookie=$(awk '$6 ~ /session_token/ {print $6"="$7}' "$work/$1.jar")
  headers=$(curl -sf --max-time 10 -D - -o "$work/$1.session" -H "Cookie: $cookie" "http://127.0.0.1:${!port_var}/api/auth/get-session")
  grep -q '"user"' "$work/$1.session" || { echo "bench: the $1 server's get-session shows no user" >&2; exit 1; }
  if [[ $1 == default ]] && ! grep -qi '^set-auth-jwt:' <<<"$headers"; then echo "bench: no set-auth-jwt on get-session" >&2; exit 1; fi
  echo "$cookie"
}

# wrk's latency ("812.00us", "1.20ms", "1.05s") in milliseconds.
to_ms() { awk 'NF { v = $1; if (sub(/us$/, "", v)) v /= 1000; else if (sub(/ms$/, "", v)) v += 0; else if (sub(/s$/, "", v)) v *= 1000; printf "%.2f", v }' <<<"$1"; }

# Parses a wrk report into rps_ID, p99_ID (ms) and errors_ID (non-2xx answers and socket errors).
parse_wrk() {
  local id=$1 report=$2
  # No report (wrk failed): every figure stays empty, so judge counts the row as missed.
  if ! grep -q 'Requests/sec' <<<"$report"; then
    printf -v "rps_$id" '%s' ""; printf -v "p99_$id" '%s' ""; printf -v "errors_$id" '%s' ""
    return
  fi
  printf -v "rps_$id" '%s' "$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$report")"
  printf -v "p99_$id" '%s' "$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$report")")"
  printf -v "errors_$id" '%s' "$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$report")"
}

# A sign-in waits its turn for a hash core: give answers 30 s, not wrk's 2 s, before calling them errors.
# merge ID: ID's figures from two runs, ID_1 and ID_2 (mean req/s, the larger p99, all errors).
merge() {
  local r1="rps_$1_1" r2="rps_$1_2" p1="p99_$1_1" p2="p99_$1_2" e1="errors_$1_1" e2="errors_$1_2"
  if [[ -z ${!r1} || -z ${!r2} ]]; then # a run without a report: no figure
    printf -v "rps_$1" '%s' ""; printf -v "p99_$1" '%s' ""; printf -v "errors_$1" '%s' ""
    return
  fi
  printf -v "rps_$1" '%s' "$(awk -v a="${!r1}" -v b="${!r2}" 'BEGIN { printf "%.0f", (a + b) / 2 }')"
  printf -v "p99_$1" '%s' "$(awk -v a="${!p1}" -v b="${!p2}" 'BEGIN { printf "%.2f", (a > b ? a : b) }')"
  printf -v "errors_$1" '%s' $(( ${!e1} + ${!e2} ))
}

wrk_run() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 30s --latency "$@"; }

missed=()
# judge WHAT VALUE OP TARGET: sets $verdict, and records a missed target (OP is >= or <).
judge() {
  if [[ -z "$2" ]]; then missed+=("$1"); verdict="MISSED (no figure)"; return; fi
  if awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN { exit !(op == ">=" ? v >= t : v < t) }'; then verdict=met; else missed+=("$1"); verdict=MISSED; fi
}
ratio() { [[ -n $1 && -n $2 ]] || return 0; awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

row() { printf '%-44s %9s %10s %7s   %s\n' "$@"; }

# --- core: an empty plugins directory
start_server core
core_cookie=$(sign_up core) || exit 1
core="http://127.0.0.1:$port_core/api/auth"
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
sleep 1
idle_rss_core_mb=$(rss_mb "$pid_core")

# --- default: the README's default set, plus hello-c for the plugin-route row
install_default_plugins "$work/default.d"
cc -O2 -shared -fPIC -fvisibility=hidden -I PluginAPI/include -o "$work/default.d/hello-c.so" Plugins/Examples/hello-c/hello.c
start_server default
default_cookie=$(sign_up default) || exit 1
default="http://127.0.0.1:$port_default/api/auth"
sleep 1
idle_rss_mb=$(rss_mb "$pid_default")

cat > "$work/signin.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"bench-password-1"}'
wrk.headers["Content-Type"] = "application/json"
LUA

echo "Gatehouse benchmark — $cores cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(basename "$bin") build, SQLite"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION per row; default set: $(for id in "${bundled[@]}"; do enabled_by_default "$id" && printf '%s ' "$id"; done)+ hello-c"
echo
row "row" "req/s" "p99 ms" "errors" "figure (target)"

# Each ratio's rows run twice, alternating, and count by their mean: this evens out a shared
# machine's drift between rows.
for round in 1 2; do
  parse_wrk "ok_core_$round" "$(wrk_run "$core/ok")"
  parse_wrk "session_core_$round" "$(wrk_run -H "Cookie: $core_cookie" "$core/get-session")"
done
merge ok_core
merge session_core
row "/ok, core (the reference)" "$rps_ok_core" "$p99_ok_core" "$errors_ok_core" ""

session_core_ratio=$(ratio "$rps_session_core" "$rps_ok_core")
judge "get-session core" "$session_core_ratio" ">=" 0.60
row "get-session, core" "$rps_session_core" "$p99_session_core" "$errors_session_core" \
  "${session_core_ratio}× /ok (>= 0.60: $verdict)"

for round in 1 2; do
  parse_wrk "ok_default_$round" "$(wrk_run "$default/ok")"
  parse_wrk "plugin_route_$round" "$(wrk_run "$default/hello-c")"
  parse_wrk "session_default_$round" "$(wrk_run -H "Cookie: $default_cookie" "$default/get-session")"
done
merge ok_default
merge plugin_route
merge session_default
row "/ok, default plugins" "$rps_ok_default" "$p99_ok_default" "$errors_ok_default" ""

plugin_ratio=$(ratio "$rps_plugin_route" "$rps_ok_default")
judge "plugin route" "$plugin_ratio" ">=" 0.90
row "plugin route /hello-c vs built-in /ok" "$rps_plugin_route" "$p99_plugin_route" "$errors_plugin_route" \
  "${plugin_ratio}× (>= 0.90: $verdict)"

session_default_ratio=$(ratio "$rps_session_default" "$rps_ok_default")
judge "get-session default" "$session_default_ratio" ">=" 0.60
row "get-session, default plugins (with a JWT)" "$rps_session_default" "$p99_session_default" "$errors_session_default" \
  "${session_default_ratio}× /ok (>= 0.60: $verdict)"

# The same with many sessions in turn (a new JWT for each the first time, then reused), against
# the best case above where every request brings the same cookie: no target, for the reader.
seq "$SESSIONS" | xargs -P 4 -I{} curl -sf --max-time 60 -o /dev/null -c "$work/many.{}.jar" \
  "$default/sign-in/email" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password-1"}'
cat "$work"/many.*.jar | awk '$6 ~ /session_token/ {print $6"="$7}' > "$work/many-cookies.txt"
cat > "$work/many.lua" <<LUA
local cookies = {}
for line in io.lines("$work/many-cookies.txt") do cookies[#cookies + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", nil, {Cookie = cookies[n % #cookies + 1]})
end
LUA
parse_wrk many_sessions "$(wrk_run -s "$work/many.lua" "$default/get-session")"
row "  the same, $(wc -l < "$work/many-cookies.txt") sessions in turn" "$rps_many_sessions" "$p99_many_sessions" "$errors_many_sessions" \
  "$(ratio "$rps_many_sessions" "$rps_ok_default")× /ok (no target)"

# The ceiling: one verification on one core, times the cores (measured with the server idle).
one_core=$("$bin/gatehouse" password-hash-rate --seconds "${HASH_SECONDS:-5}" | awk '{print $1}')
ceiling=$(awk -v r="$one_core" -v c="$cores" 'BEGIN { printf "%.1f", r * c }')
row "password-hash ceiling ($one_core/s × $cores cores)" "$ceiling" "" "" ""
# For the reader: what the cores do hashing all at once (less than the ceiling where they share
# caches and memory bandwidth, or are SMT siblings).
all_cores=$("$bin/gatehouse" password-hash-rate --seconds "${HASH_SECONDS:-5}" --threads "$cores" | awk '{print $1}')
row "  ($cores threads hashing at once)" "$all_cores" "" "" "$(ratio "$all_cores" "$ceiling")× the ceiling (no target)"

parse_wrk signin "$(wrk_run -s "$work/signin.lua" "$default/sign-in/email")"
signin_ratio=$(ratio "$rps_signin" "$ceiling")
judge "sign-in" "$signin_ratio" ">=" 0.90
row "sign-in at saturation" "$rps_signin" "$p99_signin" "$errors_signin" "${signin_ratio}× ceiling (>= 0.90: $verdict)"
sleep 2 # scrypt work still queued when wrk stops

# get-session while sign-ins saturate the hash pool (both for the same duration). The session
# checks come at an app's pace, each connection one every 10 ms (at most 3 200/s), so the p99
# shows whether hashing starves the request threads, not wrk's own queue at full throttle.
cat > "$work/paced.lua" <<'LUA'
delay = function() return 10 end
LUA
wrk_run -s "$work/signin.lua" "$default/sign-in/email" > "$work/mixed-signin.txt" &
signin_load=$!
pids+=("$signin_load")
parse_wrk mixed "$(wrk_run -s "$work/paced.lua" -H "Cookie: $default_cookie" "$default/get-session")"
wait "$signin_load" || true
parse_wrk mixed_signin "$(cat "$work/mixed-signin.txt")"
judge "get-session p99 under sign-ins" "$p99_mixed" "<" 10; verdict1=$verdict
mixed_errors=""
if [[ -n $errors_mixed && -n $errors_mixed_signin ]]; then mixed_errors=$((errors_mixed + errors_mixed_signin)); fi
judge "errors under sign-ins" "$mixed_errors" "<" 1; verdict2=$verdict
row "get-session (paced) during sign-in saturation" "$rps_mixed" "$p99_mixed" "$errors_mixed" \
  "p99 $p99_mixed ms (< 10: $verdict1), errors $mixed_errors (0: $verdict2)"
row "  sign-ins meanwhile" "$rps_mixed_signin" "$p99_mixed_signin" "$errors_mixed_signin" ""
sleep 2

# Hot reload under load: get-session (the jwt after-hook), /token and /hello-c in turn, while
# jwt.so is replaced 5 times the way `gatehouse plugins enable` does (copy, then rename).
cat > "$work/reload.lua" <<'LUA'
local paths = {"get-session", "token", "hello-c"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", wrk.path .. paths[n % 3 + 1])
end
LUA
reloads() { grep -c '"msg":"reloaded"' "$work/default.log" || true; }
wrk -t"$THREADS" -c"$CONNECTIONS" -d600s --timeout 30s --latency -s "$work/reload.lua" -H "Cookie: $default_cookie" "$default/" > "$work/reload.txt" &
reload_load=$!
pids+=("$reload_load")
sleep 1
switch_max=0
for _ in 1 2 3 4 5; do
  before=$(reloads)
  install -m 0644 "$bin/libjwt.so" "$work/default.d/.jwt.so.tmp"
  renamed=$(now_ns)
  mv "$work/default.d/.jwt.so.tmp" "$work/default.d/jwt.so"
  until (( $(reloads) > before )); do
    (( ($(now_ns) - renamed) < 10000000000 )) || { echo "bench: no reload within 10 s"; tail -3 "$work/default.log"; exit 1; }
    sleep 0.005
  done
  switched=$(( ($(now_ns) - renamed) / 1000000 ))
  (( switched > switch_max )) && switch_max=$switched
  sleep 1
done
kill -INT "$reload_load"; wait "$reload_load" || true
parse_wrk reload "$(cat "$work/reload.txt")"
failed_reloads=$(grep -c 'reload failed' "$work/default.log" || true)
judge "reload switch" "$switch_max" "<" 1000; verdict1=$verdict
judge "requests failed during reloads" "$errors_reload" "<" 1; verdict2=$verdict
row "hot reload: 5 × jwt.so under load" "$rps_reload" "$p99_reload" "$errors_reload" \
  "switch max $switch_max ms (< 1000: $verdict1), failed requests $errors_reload (0: $verdict2), failed reloads $failed_reloads"

judge "idle RSS" "$idle_rss_mb" "<" 50
row "idle RSS, default plugins" "" "" "" "$idle_rss_mb MB (< 50: $verdict; core alone $idle_rss_core_mb MB)"
judge "start-up" "$first200_default" "<" 1000
row "exec to first 200 on /ok, default plugins" "" "" "" "$first200_default ms (< 1000: $verdict)"

echo
summary="summary: get-session core ${session_core_ratio}×, default ${session_default_ratio}× /ok; plugin route ${plugin_ratio}× /ok;"
summary+=" sign-in ${signin_ratio}× ceiling; get-session p99 under sign-ins ${p99_mixed} ms; reload switch ${switch_max} ms, ${errors_reload} failed;"
summary+=" idle RSS ${idle_rss_mb} MB; first 200 ${first200_default} ms"
if ((${#missed[@]})); then
  echo "$summary — missed: $(IFS=,; echo "${missed[*]}" | sed 's/,/, /g')"
else
  echo "$summary — every target met"
fi
