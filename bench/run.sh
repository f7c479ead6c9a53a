#!/usr/bin/env bash
# Fleet Live benchmarks: fleetd against the Node baseline (docs/benchmarks.md).
#
#   bench/run.sh [--smoke] [--scenarios floor,fanout,fanout-json50,fanout-compact0,fanout-compact50,wide,
#                            idle,handshake,ingest,slow,refresh,storm,views,cluster]
#                [--servers fleetd,baseline]
#                [--fleetd-args "--sync normal"]   extra fleetd options (recorded in the results)
#                [--repeat N]        trials per fan-out step (fanout*, wide); default 3, 1 with --smoke
#                [--rates A,B,...]   fan-out steps (deliveries/s) instead of the full ladder (marks -custom)
#                [--keep-going]      fan-out runs every step even after one failed (figures at equal rates)
#
# Builds fleet_loadgen and fleetd (Release, in build-bench/), installs the baseline (npm ci), generates an
# RS256 key pair, measures the machine's loopback floor once (no server), then for every other scenario
# starts each server fresh on an ephemeral loopback port, runs the load generator against it and stops it.
# refresh and storm measure protocol 2 (in-band refresh, resume), which the baseline does not speak: they
# run on fleetd only. So do the fan-out stream-option variants: fanout is JSON with no window (no options
# sent, as every client before them), fanout-json50 asks for a 50 ms flush window, fanout-compact0 and
# fanout-compact50 for the compact encoding without and with it (docs/protocol.md "Stream options"); their
# arrival p99 limit is 10 ms plus the window. Every fan-out step runs --repeat times: the step passes when
# most trials do, and its figures are the trials' medians with their min-max (docs/benchmarks.md).
# storm restarts fleetd in the middle of its run through bench/restart_server.sh.
# cluster (fleetd only) starts two nodes sharing PostgreSQL and NATS (scripts/cluster.sh) and measures durable
# ingest (batches of 100) and fan-out with the load generator spread over both nodes, with each process's CPU
# (bench/cluster/scenario.sh); the single-node SQLite figures beside it are ingest's and fanout's.
# Prints a table and writes bench/results/<date>-<commit>.json.
# --smoke runs every scenario at tiny sizes in seconds (CI: it must run and report; speed means nothing)
# and writes its JSON to the work directory only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLEET_BENCH_BUILD_DIR:-$root/build-bench}
smoke=0
default_scenarios=floor,fanout,fanout-json50,fanout-compact0,fanout-compact50,wide,idle,handshake,ingest,slow,refresh,storm,views,cluster
# protocol 2 only: the baseline has no in-band refresh, no resume, no stream options and no views; no cluster
fleetd_only=refresh,storm,fanout-json50,fanout-compact0,fanout-compact50,views,cluster
scenarios=$default_scenarios
servers=fleetd,baseline
fleetd_args=
repeat=
rates=
keep_going=

while (($#)); do
  case $1 in
    --smoke) smoke=1 ;;
    --scenarios) scenarios=$2; shift ;;
    --servers) servers=$2; shift ;;
    --fleetd-args) fleetd_args=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --rates) rates=$2; shift ;;
    --keep-going) keep_going=" --keep-going" ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf 'bench: %s\n' "$*" >&2; }

# Enough trials per fan-out step that one noisy trial cannot flip its verdict; one in smoke runs (speed
# means nothing there).
[[ -n $repeat ]] || repeat=$((smoke ? 1 : 3))
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --repeat needs a positive integer" >&2; exit 2; }

# ---- build ------------------------------------------------------------------------------------------
if [[ ! -f $build/build.ninja ]]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLEET_BUILD_TESTS=OFF >/dev/null
fi
# FLEET_BENCH_FLEETD=/path/fleetd measures that binary instead of building one from the work tree (e.g. one
# built from a clean export of a commit while the shared tree holds someone's uncommitted changes);
# FLEET_BENCH_COMMIT then names the commit it was built from.
targets=(fleet_loadgen)
[[ ,$servers, == *,fleetd,* && -z ${FLEET_BENCH_FLEETD:-} ]] && targets+=(fleetd)
log "building ${targets[*]} (Release, $build)"
ninja -C "$build" -j"${FLEET_BENCH_JOBS:-2}" "${targets[@]}" >&2
loadgen=$build/bench/loadgen/fleet_loadgen
fleetd=${FLEET_BENCH_FLEETD:-$build/src/app/fleetd}
# The commit the binaries were built from: HEAD may move while a long run goes on.
commit=${FLEET_BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}

if [[ ,$servers, == *,baseline,* ]]; then
  baseline_dir=$root/bench/baseline
  if [[ ! -d $baseline_dir/node_modules || $baseline_dir/package-lock.json -nt $baseline_dir/node_modules ]]; then
    log "installing the baseline (npm ci)"
    (cd "$baseline_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
fi

# ---- keys and limits ----------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-bench.XXXXXX")
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt-private.pem" 2>/dev/null
openssl pkey -in "$work/jwt-private.pem" -pubout -out "$work/jwt-public.pem"
issuer=https://clerk.fleet-bench.local
ulimit -n "$(ulimit -Hn)"  # servers and load generator inherit the hard limit (20,000 on the bench box)
log "work directory $work (open files: $(ulimit -n))"

# ---- servers ------------------------------------------------------------------------------------------
server_pid=
server_port=
server_pid_file=

stop_server() {
  [[ -n $server_pid ]] || return 0
  # After a restart (storm) the server running is the one restart_server.sh started: its pid is in the file.
  local pid=$server_pid
  [[ -s $server_pid_file ]] && pid=$(<"$server_pid_file")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT

start_server() {  # start_server NAME RUN_DIR
  local name=$1 dir=$2 port_file=$2/port
  local -a cmd
  mkdir -p "$dir"
  case $name in
    fleetd)
      # shellcheck disable=SC2206  # --fleetd-args is a word list by design
      cmd=("$fleetd" --listen 127.0.0.1:0 --data-dir "$dir/data" --jwt-key "$work/jwt-public.pem" --issuer "$issuer"
           --port-file "$port_file" --max-connections 19500 --access-log 0 --log-level warn $fleetd_args)
      ;;
    baseline)
      cmd=(node "$root/bench/baseline/server.js" --listen 127.0.0.1:0 --jwt-key "$work/jwt-public.pem"
           --port-file "$port_file")
      ;;
  esac
  "${cmd[@]}" >"$dir/server.log" 2>&1 &
  server_pid=$!
  # What bench/restart_server.sh needs to start the same server again.
  server_pid_file=$dir/server.pid
  echo "$server_pid" >"$server_pid_file"
  printf '%s\0' "${cmd[@]}" >"$dir/server.argv"
  for _ in $(seq 100); do
    if [[ -s $port_file ]] && curl -fsS "http://127.0.0.1:$(cat "$port_file")/healthz" >/dev/null 2>&1; then
      server_port=$(cat "$port_file")
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  log "$name did not come up; its log:"
  cat "$dir/server.log" >&2
  return 1
}

# ---- scenarios ----------------------------------------------------------------------------------------
# Full sizes follow docs/benchmarks.md; smoke sizes only prove that everything runs and reports.
scenario_args() {
  local full_rates=50000,100000,250000,500000,750000,1000000,1250000,1500000,2000000,3000000
  local fanout wide
  if ((smoke)); then
    fanout="fanout --viewers 20 --tenants 2 --devices-per-tenant 2 --connections 4 --rates ${rates:-200,400} --step-seconds 1"
    wide="fanout --viewers 40 --tenants 2 --devices-per-tenant 2 --connections 4 --rates ${rates:-400} --step-seconds 1"
  else
    fanout="fanout --viewers 1000 --tenants 10 --rates ${rates:-$full_rates} --step-seconds 5"
    wide="fanout --viewers 5000 --tenants 10 --rates ${rates:-$full_rates} --step-seconds 5"
  fi
  fanout+=" --repeat $repeat$keep_going"
  wide+=" --repeat $repeat$keep_going"
  # The window is part of what a windowed session asked for: its latency limit is 10 ms plus the window.
  case $1 in
    fanout)           echo "$fanout" ; return ;;
    fanout-json50)    echo "$fanout --format json --flush-ms 50 --p99-limit-ms 60" ; return ;;
    fanout-compact0)  echo "$fanout --format compact --flush-ms 0" ; return ;;
    fanout-compact50) echo "$fanout --format compact --flush-ms 50 --p99-limit-ms 60" ; return ;;
    wide)             echo "$wide --tenant-prefix org_wide_" ; return ;;
    # The cluster's fan-out: fanout's sizes, viewers and ingest spread over both nodes; its ladder starts
    # lower (every event is committed to PostgreSQL and crosses NATS before any viewer sees it).
    cluster-fanout)
      [[ -z $rates ]] && ((!smoke)) && fanout=${fanout/--rates $full_rates/--rates 10000,25000,$full_rates}
      echo "$fanout --tenant-prefix org_cluster_fanout_" ; return ;;
  esac
  if ((smoke)); then
    case $1 in
      idle)      echo idle --viewers 50 --tenants 5 --settle-seconds 1 ;;
      handshake) echo handshake --count 200 --concurrency 16 ;;
      ingest)    echo ingest --batches 1,100 --seconds 1 --connections 4 --tenants 2 --devices-per-tenant 2 ;;
      slow)      echo fanout --viewers 20 --tenants 2 --devices-per-tenant 2 --connections 4 --slow-fraction 0.1 --rates 400 --step-seconds 1 ;;
      refresh)   echo refresh --viewers 10 --devices 20 --rounds 2 --refreshes 2 ;;
      storm)     echo storm --viewers 20 --tenants 2 --devices-per-tenant 5 --ingest-rate 20 --batch 1 --connections 2 --settle-seconds 0.5 ;;
      views)     echo views --devices 400 --viewers 20 --view-devices 16 --seconds 1 --connections 4 ;;
      floor)     echo floor --pairs 20 --frame-bytes 1910 --seconds 0.5 ;;
      cluster-ingest) echo ingest --batches 100 --seconds 1 --connections 4 --tenants 2 --devices-per-tenant 2 --tenant-prefix org_cluster_ingest_ ;;
    esac
  else
    case $1 in
      idle)      echo idle --viewers 19000 --tenants 100 --settle-seconds 3 ;;
      handshake) echo handshake --count 40000 --concurrency 128 ;;
      ingest)    echo ingest --batches 1,100 --seconds 10 --connections 32 ;;
      slow)      echo fanout --viewers 1000 --tenants 10 --slow-fraction 0.1 --rates 100000 --step-seconds 20 ;;
      # 1,000 devices with a last position: a ~200 KB snapshot per reconnect.
      refresh)   echo refresh --viewers 200 --devices 1000 --rounds 5 --refreshes 4 ;;
      storm)     echo storm --viewers 10000 --tenants 10 --devices-per-tenant 1000 --ingest-rate 50 --batch 5 --modes resume,plain ;;
      # 10,000 devices at 1 Hz (10 points per request) on a 100 x 100 grid over 1 x 1 degree; 1,000 viewers
      # with 10 x 10-cell boxes.
      views)     echo views --devices 10000 --viewers 1000 --view-devices 100 --seconds 10 --batch 10 ;;
      # fanout's 1,000 sockets; a 10-event fanout frame is ~1,910 bytes on the wire (docs/benchmarks.md).
      floor)     echo floor --pairs 1000 --frame-bytes 1910 --seconds 3 ;;
      # Durable ingest over both nodes: 100 tenants x 10 devices, 100 points per request, closed loop.
      cluster-ingest) echo ingest --batches 100 --seconds 10 --connections 32 --tenants 100 --devices-per-tenant 10 --tenant-prefix org_cluster_ingest_ ;;
    esac
  fi
}

mkdir -p "$work/results"
machine_load=$(cut -d' ' -f1-3 /proc/loadavg)
IFS=, read -ra scenario_list <<<"$scenarios"
IFS=, read -ra server_list <<<"$servers"

# The loopback floor needs no server: once per run, first, on a machine nothing of ours is loading yet.
if [[ ,$scenarios, == *,floor,* ]]; then
  log "== floor (loopback send + receive, no server)"
  # shellcheck disable=SC2046  # scenario_args is a word list by design
  if ! "$loadgen" $(scenario_args floor) --out "$work/results/floor.json" >/dev/null 2>"$work/floor.log"; then
    log "floor failed; load generator log:"
    tail -20 "$work/floor.log" >&2
  fi
  grep 'frames/s' "$work/floor.log" | sed 's/^/  /' >&2 || true
fi

for scenario in "${scenario_list[@]}"; do
  [[ $scenario == floor ]] && continue
  for server in "${server_list[@]}"; do
    [[ $server != fleetd && ,$fleetd_only, == *,$scenario,* ]] && continue
    run_dir=$work/$server-$scenario
    log "== $scenario on $server (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    cut -d' ' -f1-3 /proc/loadavg >"$work/results/$server-$scenario.load"
    if [[ $scenario == cluster ]]; then
      fsync_test=--fsync-test
      ((smoke)) && fsync_test=
      if ! bash "$root/bench/cluster/scenario.sh" --fleetd "$fleetd" --loadgen "$loadgen" --work "$run_dir" \
          --out "$work/results/$server-$scenario.json" --ingest "$(scenario_args cluster-ingest)" \
          --fanout "$(scenario_args cluster-fanout)" --fleetd-args "$fleetd_args" $fsync_test >&2; then
        log "cluster failed"
      fi
      continue
    fi
    start_server "$server" "$run_dir"
    extra=()
    [[ $scenario == storm ]] && extra=(--restart-cmd "bash $(printf %q "$root/bench/restart_server.sh") $(printf %q "$run_dir")")
    # shellcheck disable=SC2046  # scenario_args is a word list by design
    if ! "$loadgen" $(scenario_args "$scenario") "${extra[@]}" --url "http://127.0.0.1:$server_port" \
        --private-key "$work/jwt-private.pem" --issuer "$issuer" --server-pid "$server_pid" \
        --out "$work/results/$server-$scenario.json" >/dev/null 2>"$run_dir/loadgen.log"; then
      log "$scenario on $server failed; load generator log:"
      tail -20 "$run_dir/loadgen.log" >&2
    fi
    grep -E 'trials:|step|handshakes in|batch|per idle|refresh:|after the restart|scoped|empty:' "$run_dir/loadgen.log" | sed 's/^/  /' >&2 || true
    stop_server
  done
done

# ---- report -------------------------------------------------------------------------------------------
if ((smoke)); then
  out=$work/smoke-$commit.json
else
  mkdir -p "$root/bench/results"
  suffix=
  # Only the full default run gets the plain name; subsets and extra fleetd options are marked.
  [[ $scenarios != "$default_scenarios" || $servers != fleetd,baseline || -n $fleetd_args || -n $rates ||
     $repeat != 3 || -n $keep_going ]] && suffix=-custom
  out=$root/bench/results/$(date -u +%Y-%m-%d)-$commit$suffix.json
  # A second run of the same commit on the same day keeps the first: -2, -3, ...
  for n in $(seq 2 99); do
    [[ -e $out ]] || break
    out=$root/bench/results/$(date -u +%Y-%m-%d)-$commit$suffix-$n.json
  done
fi
node "$root/bench/report.mjs" --dir "$work/results" --out "$out" --commit "$commit" --smoke "$smoke" \
  --load-before "$machine_load" --scenarios "$scenarios" --servers "$servers" --fleetd-only "$fleetd_only" \
  --fleetd-args="$fleetd_args" --repeat "$repeat"
log "results: $out"
