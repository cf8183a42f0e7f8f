# Sourced by bench.sh and soak.sh: a throwaway Gatehouse on 127.0.0.1. The caller sets `bin`
# (the build folder), `work` (a temporary folder) and `pids=()`, and kills "${pids[@]}" on exit.
source scripts/plugin-sets.sh

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }

# install_default_plugins DIR: the README's default plugin set, enabled in DIR.
install_default_plugins() {
  mkdir -p -m 700 "$1"
  for id in "${bundled[@]}"; do
    if enabled_by_default "$id"; then install -m 0644 "$bin/lib$id.so" "$1/$id.so"; fi
  done
}

# start_server NAME: serves the plugins in $work/NAME.d on a new port, with a new SQLite file;
# sets port_NAME, pid_NAME and first200_NAME (milliseconds from exec to the first 200 on /ok).
start_server() {
  local name=$1 port started pid
  port=$(free_port)
  mkdir -p -m 700 "$work/$name.d"
  cat > "$work/$name.yaml" <<YAML
baseURL: http://127.0.0.1:$port
secret: local-secret-local-secret-local-secret-0123
database: sqlite:$work/$name.db
server: {host: 127.0.0.1, port: $port}
logging: {level: notice}
email: {transport: none}
pluginsDir: $work/$name.d
YAML
  started=$(now_ns)
  # A clean environment: GATEHOUSE_*, BETTER_AUTH_* or NODE_ENV from the caller's shell would
  # override the configuration above (another database, port or mode).
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" TMPDIR="${TMPDIR:-/tmp}" \
    "$bin/gatehouse" serve --config "$work/$name.yaml" > "$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  until curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$port/api/auth/ok"; do
    if ! kill -0 "$pid" 2>/dev/null || (( $(now_ns) - started > 60000000000 )); then
      echo "the $name server did not answer /ok:"; tail -5 "$work/$name.log"; exit 1
    fi
    sleep 0.005
  done
  printf -v "first200_$name" '%s' $(( ($(now_ns) - started) / 1000000 ))
  printf -v "port_$name" '%s' "$port"
  printf -v "pid_$name" '%s' "$pid"
}
