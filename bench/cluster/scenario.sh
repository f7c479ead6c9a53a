#!/usr/bin/env bash
# The `cluster` benchmark scenario (bench/run.sh runs it; docs/benchmarks.md "Cluster"): two fleetd nodes
# sharing PostgreSQL and NATS on this machine (scripts/cluster.sh), measured with the load generator spread
# over both nodes (--url A,B), and the CPU each process spent in each phase, read from /proc/<pid>/stat.
#
#   bench/cluster/scenario.sh --fleetd BIN --loadgen BIN --out FILE.json --work DIR
#                             --ingest "LOADGEN ARGS" --fanout "LOADGEN ARGS" [--fsync-test]
#                             [--fleetd-args "EXTRA FLEETD FLAGS"]
#
# Phases: (1) durable ingest, closed loop, every point a 202 (PostgreSQL with fsync and synchronous_commit
# on, its defaults); (2) fan-out: viewers split over both nodes, ingest posted to both, stepped rates until
# arrival p99 > 10 ms. Between them the cluster is not restarted (the tenants differ). With --fsync-test,
# pg_test_fsync measures what one WAL flush costs on the data directory's file system.
# Writes one JSON object: the two load generator results, per-process CPU per phase, pg_stat_wal deltas.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fleetd='' loadgen='' out='' work='' ingest_args='' fanout_args='' fsync_test=0 fleetd_args=''
while (($#)); do
  case $1 in
    --fleetd) fleetd=$2; shift ;;
    --loadgen) loadgen=$2; shift ;;
    --out) out=$2; shift ;;
    --work) work=$2; shift ;;
    --ingest) ingest_args=$2; shift ;;
    --fanout) fanout_args=$2; shift ;;
    --fsync-test) fsync_test=1 ;;
    --fleetd-args) fleetd_args=$2; shift ;;
    *) echo "cluster scenario: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $fleetd && -x $loadgen && -n $out && -n $work ]] || { echo "cluster scenario: missing arguments" >&2; exit 2; }

log() { printf 'bench: cluster: %s\n' "$*" >&2; }
pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

mkdir -p "$work"
# A directory of its own: the postgres user must reach its data directory, and the bench's work directory
# is private (0700). Its logs are copied into the work directory before it is removed.
dir=$(mktemp -d "${TMPDIR:-/tmp}/fleet-bench-cluster.XXXXXX")
stop_cluster() {
  if [[ -d $dir ]]; then
    cp "$dir"/{a,b,nats}.log "$dir/pg/server.log" "$work/" 2>/dev/null || true
    "$root/scripts/cluster.sh" stop "$dir" >/dev/null 2>&1 || true
  fi
}
trap stop_cluster EXIT

# Bench flags for both nodes: as the single-node scenarios run fleetd (no access log, warnings only).
FLEETD_BIN=$fleetd \
  FLEET_CLUSTER_FLEETD_ARGS="--max-connections 19500 --log-level warn $fleetd_args" \
  "$root/scripts/cluster.sh" start "$dir" >"$work/cluster-start.log" 2>&1 ||
  { log "the cluster did not start:"; tail -20 "$work/cluster-start.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$dir/cluster.env"
urls=$FLEET_NODE_A,$FLEET_NODE_B
pg_port=$(cat "$dir/pg.port")
psql() { as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U fleet -d fleet -XAtq "$@"; }
# The nodes' shared dev issuer signs with one key (kept in the database's meta table) under one issuer
# name; the load generator mints its tokens with that key, under the kid the nodes' JWKS names.
key=$work/dev-issuer-key.pem
psql -c "SELECT value FROM meta WHERE key = 'dev_issuer_key'" >"$key"
[[ -s $key ]] || cp "$dir/shared/dev-issuer-key.pem" "$key" 2>/dev/null ||
  { log "no dev issuer key in the database or the shared directory"; exit 1; }
issuer=http://fleet-dev-cluster.local
kid=$(curl -fsS "$FLEET_NODE_A/.well-known/jwks.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["kid"])')

# CPU seconds per process group: fleetd a, fleetd b, PostgreSQL (the postmaster and its children) and
# nats-server. A PostgreSQL backend that exits takes its CPU with it; fleetd's pooled connections do not.
cpu_snapshot() {
  local postmaster
  postmaster=$(head -1 "$dir/pg/data/postmaster.pid")
  python3 - "$(cat "$dir/a.pid")" "$(cat "$dir/b.pid")" "$postmaster" "$(cat "$dir/nats.pid")" <<'EOF_PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[1]), (int(rest[11]) + int(rest[12])) / tick  # ppid, utime + stime
    except (OSError, IndexError, ValueError):
        return None, 0.0
a, b, pm, nats = sys.argv[1:]
pg = stat(pm)[1]
for p in os.listdir("/proc"):
    if p.isdigit():
        ppid, cpu = stat(p)
        if str(ppid) == pm:
            pg += cpu
print(f'{{"fleetd_a": {stat(a)[1]}, "fleetd_b": {stat(b)[1]}, "postgres": {pg}, "nats": {stat(nats)[1]}}}')
EOF_PY
}
wal_snapshot() {
  psql -c "SELECT json_build_object('wal_records', wal_records, 'wal_bytes', wal_bytes, 'wal_write', wal_write,
             'wal_sync', wal_sync) FROM pg_stat_wal" 2>/dev/null || echo '{}'
}

# phase NAME ARGS: runs the load generator over both nodes, with CPU and WAL snapshots around it.
phase() {
  local name=$1 args=$2 rc=0
  log "$name: fleet_loadgen $args --url $urls (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  cut -d' ' -f1-3 /proc/loadavg >"$work/cluster-$name.load"
  cpu_snapshot >"$work/cluster-$name.cpu-before"
  wal_snapshot >"$work/cluster-$name.wal-before"
  date +%s.%N >"$work/cluster-$name.t0"
  # shellcheck disable=SC2086  # the scenario's arguments are a word list by design
  "$loadgen" $args --url "$urls" --private-key "$key" --issuer "$issuer" --kid "$kid" \
    --out "$work/cluster-$name.json" >/dev/null 2>"$work/cluster-$name.log" || rc=$?
  date +%s.%N >"$work/cluster-$name.t1"
  cpu_snapshot >"$work/cluster-$name.cpu-after"
  wal_snapshot >"$work/cluster-$name.wal-after"
  grep -E 'trials:|step|batch' "$work/cluster-$name.log" | sed 's/^/  /' >&2 || true
  if ((rc)); then
    log "$name failed; load generator log:"
    tail -20 "$work/cluster-$name.log" >&2
  fi
}

phase ingest "$ingest_args"
phase fanout "$fanout_args"

fsync_file=
if ((fsync_test)); then
  # One 8 kB write + fdatasync (wal_sync_method's default on Linux) on the data directory's file system.
  log "pg_test_fsync on $dir/pg"
  as_pg "$pgbin/pg_test_fsync" -s 2 -f "$dir/pg/fsync-test" >"$work/cluster-fsync.txt" 2>&1 || true
  fsync_file=$work/cluster-fsync.txt
fi
data_fs=$(df -PT "$dir/pg/data" | awk 'NR == 2 {print $2 " on " $1 " (" $7 ")"}')
settings=$(psql -c "SELECT json_object_agg(name, setting) FROM pg_settings WHERE name IN
  ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'max_wal_size')")

python3 "$root/bench/cluster/summarize.py" --work "$work" --data-fs "$data_fs" --settings "$settings" \
  --cpus "$(nproc)" ${fsync_file:+--fsync "$fsync_file"} --out "$out"
