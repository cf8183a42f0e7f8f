#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite, from Debian's `postgresql` package.
#
#   scripts/postgres-cluster.sh start DIR   initdb's DIR/data (as the postgres user when run as root),
#                                           starts it on 127.0.0.1 at a free port with password
#                                           (scram-sha-256) login, prints postgres://postgres:PASS@127.0.0.1:PORT
#   scripts/postgres-cluster.sh stop DIR    stops it by the PID in DIR/data/postmaster.pid
#
# Durability is off (fsync, synchronous_commit): the cluster lives only for one test run.
# DIR must be new or empty; as root it is handed to the postgres user, so every folder above it
# must be enterable by that user (a `mktemp -d` folder passed as DIR itself is fine).
set -euo pipefail
cd "$(dirname "$0")/.."

command=${1:?usage: postgres-cluster.sh start|stop DIR}
dir=${2:?usage: postgres-cluster.sh start|stop DIR}

case "$command" in
start)
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    echo "postgres-cluster: installing postgresql" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  as=()
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -e "$dir/data" ]]; then
    echo "postgres-cluster: $dir/data already exists (stop it and use a new DIR)" >&2
    exit 1
  fi
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$dir"
    as=(runuser -u postgres --)
    if ! "${as[@]}" test -w "$dir"; then
      echo "postgres-cluster: the postgres user cannot reach $dir (a folder above it is private)" >&2
      exit 1
    fi
  fi
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$password" >"$dir/password"
  chmod 600 "$dir/password"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir/password"
  if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/password" --auth=scram-sha-256 -E UTF8 \
      >"$dir/initdb.log" 2>&1; then
    echo "postgres-cluster: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  # The free port is only free when chosen: another process may take it before the server binds,
  # so a start that fails is tried again on another port.
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >/dev/null; then
      echo "postgres://postgres:$password@127.0.0.1:$port"
      exit 0
    fi
    echo "postgres-cluster: start on port $port failed (attempt $attempt)" >&2
  done
  tail -n 20 "$dir/server.log" >&2 || true
  exit 1
  ;;
stop)
  pidfile="$dir/data/postmaster.pid"
  [[ -f "$pidfile" ]] || exit 0
  pid=$(head -n 1 "$pidfile")
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  ;;
*)
  echo "usage: postgres-cluster.sh start|stop DIR" >&2
  exit 2
  ;;
esac
