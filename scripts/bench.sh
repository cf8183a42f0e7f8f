#!/usr/bin/env bash
# Benchmark (prints figures; not a test): release build, server on 127.0.0.1 with a temporary
# SQLite file, wrk against (a) a hello-world route with no auth work, (b) get-session with a
# valid cookie, and (c) password sign-ins at saturation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
swift build -c release >/dev/null

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/gatehouse.yaml" <<YAML
baseURL: http://127.0.0.1:$port
secret: bench-secret-bench-secret-bench-secret-0123
database: sqlite:$work/gatehouse.db
server: {host: 127.0.0.1, port: $port}
logging: {level: notice}
email: {transport: none}
pluginsDir: $work/plugins.d
YAML
# A trivial plugin route (the C example) to compare with the equivalent built-in route.
mkdir -p "$work/plugins.d"
cc -O2 -shared -fPIC -fvisibility=hidden -I PluginAPI/include -o "$work/plugins.d/hello-c.so" Plugins/Examples/hello-c/hello.c
.build/release/gatehouse serve --config "$work/gatehouse.yaml" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

base="http://127.0.0.1:$port/api/auth"
curl -sf "$base/sign-up/email" -H 'content-type: application/json' \
  -d '{"name":"Bench","email":"bench@example.com","password":"bench-password-1"}' -c "$work/jar" >/dev/null
cookie=$(awk '$6 ~ /session_token/ {print $6"="$7}' "$work/jar")

run() { # name, then wrk arguments; prints "name req/s p99"
  local name=$1; shift
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%-28s %12s req/s   p99 %s\n' "$name" "$rps" "$p99"
  echo "$rps" > "$work/$name.rps"
}

cat > "$work/signin.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"bench-password-1"}'
wrk.headers["Content-Type"] = "application/json"
LUA

echo "Gatehouse benchmark: $CONNECTIONS connections, $DURATION each, $(nproc) cores"
run hello-world "$base/ok"
run get-session -H "Cookie: $cookie" "$base/get-session"
run plugin-route "$base/hello-c"
# Last: scrypt work queued at saturation keeps the CPU busy for a while after wrk stops.
run sign-in -s "$work/signin.lua" "$base/sign-in/email"
awk -v a="$(cat "$work/get-session.rps")" -v b="$(cat "$work/hello-world.rps")" \
  'BEGIN { printf "get-session / hello-world ratio: %.2f (target >= 0.60)\n", a / b }'
awk -v a="$(cat "$work/plugin-route.rps")" -v b="$(cat "$work/hello-world.rps")" \
  'BEGIN { printf "plugin route / built-in route ratio: %.2f (target >= 0.90)\n", a / b }'

# Reload time: SIGHUP a few times and read the durations the server logs.
for _ in 1 2 3 4 5; do kill -HUP "$server"; sleep 0.5; done
grep '"msg":"reloaded"' "$work/server.log" | sed -E 's/.*"duration_ms":"([0-9.]+)".*/\1/' |
  awk '{ sum += $1; n++; if ($1 > max) max = $1 } END { if (n) printf "plugin reload: %d reloads, mean %.1f ms, max %.1f ms\n", n, sum / n, max }'
