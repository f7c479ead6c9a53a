#!/usr/bin/env bash
# Restarts the fleetd that bench/run.sh started in RUN_DIR, for the storm scenario (docs/benchmarks.md):
#
#   bench/restart_server.sh RUN_DIR
#
# SIGTERM (fleetd closes every WebSocket with 1001 and finishes its store), wait until the process is gone,
# start it again with the same command line on the same port and data directory, wait until it answers
# /healthz, print its pid. The load generator runs this as --restart-cmd and starts its reconnect storm when
# it returns. RUN_DIR holds what run.sh's start_server wrote: server.argv (the command line, NUL-separated),
# server.pid and port. Every wait is bounded; a step that does not finish in time fails the command.
set -euo pipefail

dir=${1:?usage: restart_server.sh RUN_DIR}
pid=$(<"$dir/server.pid")
port=$(<"$dir/port")
mapfile -d '' -t argv <"$dir/server.argv"

fail() { printf 'restart_server: %s\n' "$*" >&2; exit 1; }

# The server is run.sh's child, not ours: there is nothing to `wait` on, so watch /proc (an exited process
# stays there as a zombie until run.sh reaps it). 30 s covers fleetd's bounded shutdown (3 s for close
# handshakes, then the store's last commit).
gone() { [[ ! -e /proc/$pid ]] || [[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == Z ]]; }
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1500); do
  gone && break
  sleep 0.02
done
gone || fail "fleetd $pid did not exit within 30 s of SIGTERM"

# Same command line, but on the port the first start was given by the kernel.
for i in "${!argv[@]}"; do
  if [[ ${argv[$i]} == --listen ]]; then argv[i+1]=127.0.0.1:$port; fi
done
rm -f "$dir/port"
# Its output goes to the log, not to our stdout: the caller reads our stdout to its end.
"${argv[@]}" >>"$dir/server.log" 2>&1 </dev/null &
new_pid=$!
echo "$new_pid" >"$dir/server.pid"

for _ in $(seq 1500); do
  if [[ -s $dir/port ]] && curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    echo "$new_pid"
    exit 0
  fi
  kill -0 "$new_pid" 2>/dev/null || fail "fleetd exited while starting again; see $dir/server.log"
  sleep 0.02
done
fail "fleetd did not answer /healthz on port $port within 30 s"
