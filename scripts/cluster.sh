#!/usr/bin/env bash
# A local Fleet Live cluster on loopback, for people and tests alike: a throwaway PostgreSQL (initdb +
# pg_ctl in a directory of its own), nats-server, and two fleetd nodes (a and b) sharing both, each serving
# the web app. Nothing is installed as a service and nothing listens beyond 127.0.0.1.
#
#   scripts/cluster.sh start [DIR]   start everything in DIR (default: a new temp dir); prints DIR/cluster.env
#   scripts/cluster.sh stop DIR      stop everything started in DIR and remove DIR
#   scripts/cluster.sh kill DIR a|b  kill -9 one node (a test's fault)
#   scripts/cluster.sh run           start, print the URLs, stop on Ctrl-C
#
# Environment: FLEETD_BIN (default build/release/src/app/fleetd, built when missing), FLEET_CLUSTER_WEB_ROOT
# (default web/apps/web/dist when built), FLEET_CLUSTER_FLEETD_ARGS (extra flags for both nodes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$pgbin/initdb" ]] || { echo "cluster: PostgreSQL not installed (run scripts/bootstrap.sh)" >&2; exit 1; }
command -v nats-server >/dev/null || [[ -x /usr/sbin/nats-server ]] ||
  { echo "cluster: nats-server not installed (run scripts/bootstrap.sh)" >&2; exit 1; }
nats=$(command -v nats-server || echo /usr/sbin/nats-server)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL refuses to run as root: run it as the postgres user then, in a directory it owns.
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

wait_http() {  # url pid log
  for _ in $(seq 300); do
    curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { echo "cluster: fleetd exited:" >&2; tail -20 "$3" >&2; return 1; }
    sleep 0.1
  done
  echo "cluster: $1 not ready after 30 s" >&2
  tail -20 "$3" >&2
  return 1
}

start_node() {  # dir name
  local dir=$1 name=$2 port
  port=$(cat "$dir/$name.port")
  # shellcheck disable=SC2086 # extra args are meant to split
  "$fleetd" --dev --node-id "$name" --listen "127.0.0.1:$port" --data-dir "$dir/shared" \
    --database "$(cat "$dir/database")" --bus "nats://127.0.0.1:$(cat "$dir/nats.port")" \
    ${web_root:+--web-root "$web_root"} --access-log 0 ${FLEET_CLUSTER_FLEETD_ARGS:-} \
    >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
  wait_http "http://127.0.0.1:$port" "$!" "$dir/$name.log"
}

start() {
  local dir=${1:-$(mktemp -d /tmp/fleet-cluster.XXXXXX)}
  mkdir -p "$dir/shared"
  chmod 755 "$dir"  # mktemp's 0700 would keep the postgres user out
  fleetd=${FLEETD_BIN:-build/release/src/app/fleetd}
  if [[ ! -x "$fleetd" ]]; then
    echo "== building fleetd (Release)"
    cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLEET_BUILD_TESTS=OFF \
      -DFLEET_BUILD_BENCH=OFF >/dev/null
    cmake --build build/release -j "$(nproc)" --target fleetd fleetctl
  fi
  fleetd=$(realpath "$fleetd")
  web_root=${FLEET_CLUSTER_WEB_ROOT:-}
  [[ -z "$web_root" && -f web/apps/web/dist/index.html ]] && web_root=$root/web/apps/web/dist

  # PostgreSQL: trust on loopback only (this cluster is a throwaway); the socket lives in DIR.
  local pgport
  pgport=$(free_port)
  mkdir -p "$dir/pg" "$dir/pgsock"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir/pg" "$dir/pgsock"
  as_pg "$pgbin/initdb" -D "$dir/pg/data" -U fleet -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
  as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $dir/pgsock" start >/dev/null
  echo "$pgport" >"$dir/pg.port"
  as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U fleet fleet
  echo "postgres://fleet@127.0.0.1:$pgport/fleet" >"$dir/database"

  free_port >"$dir/nats.port"
  "$nats" -a 127.0.0.1 -p "$(cat "$dir/nats.port")" >"$dir/nats.log" 2>&1 &
  echo $! >"$dir/nats.pid"

  free_port >"$dir/a.port"
  free_port >"$dir/b.port"
  start_node "$dir" a
  start_node "$dir" b
  cat >"$dir/cluster.env" <<EOF_ENV
FLEET_CLUSTER_DIR=$dir
FLEET_NODE_A=http://127.0.0.1:$(cat "$dir/a.port")
FLEET_NODE_B=http://127.0.0.1:$(cat "$dir/b.port")
FLEET_DATABASE=$(cat "$dir/database")
FLEET_BUS=nats://127.0.0.1:$(cat "$dir/nats.port")
EOF_ENV
  cat "$dir/cluster.env"
}

stop() {
  local dir=$1
  [[ -f "$dir/cluster.env" || -d "$dir/pg" ]] || { echo "cluster: nothing started in $dir" >&2; return 1; }
  for name in a b nats; do
    [[ -f "$dir/$name.pid" ]] && kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
  done
  for name in a b nats; do
    if [[ -f "$dir/$name.pid" ]]; then
      for _ in $(seq 100); do kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  [[ -d "$dir/pg/data" ]] && as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-run}" in
  start) start "${2:-}" ;;
  stop) stop "${2:?usage: cluster.sh stop DIR}" ;;
  kill) kill -9 "$(cat "${2:?DIR}/${3:?a|b}.pid")" ;;
  run)
    env_out=$(start)
    dir=$(sed -n 's/^FLEET_CLUSTER_DIR=//p' <<<"$env_out")
    trap 'echo; echo "== stopping"; stop "$dir"' INT TERM EXIT
    echo "$env_out"
    echo
    echo "  Two fleetd nodes share PostgreSQL and NATS: open either URL above; logs in $dir. Ctrl-C stops."
    while kill -0 "$(cat "$dir/a.pid")" 2>/dev/null || kill -0 "$(cat "$dir/b.pid")" 2>/dev/null; do sleep 1; done
    ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
