#!/usr/bin/env bash
# The demo: builds fleetd, fleetctl and the web app, starts fleetd in dev mode on http://127.0.0.1:3000 with
# two demo organizations and simulated vehicles, and prints how to watch them. Ctrl-C stops everything.
# Usage: scripts/demo.sh            (FLEET_DEMO_LISTEN=127.0.0.1:3000 and FLEET_DEMO_VEHICLES=8 to change)
#        scripts/demo.sh --cluster  the same on two fleetd nodes sharing PostgreSQL and NATS
#                                   (scripts/cluster.sh): open either node; ingest goes to both
set -euo pipefail
cd "$(dirname "$0")/.."
cluster=0
case "${1:-}" in
  --cluster) cluster=1 ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--cluster]" >&2; exit 2 ;;
esac
listen=${FLEET_DEMO_LISTEN:-127.0.0.1:3000}
vehicles=${FLEET_DEMO_VEHICLES:-8}
url="http://$listen"

bash scripts/bootstrap.sh

echo "== building fleetd and fleetctl (Release)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLEET_BUILD_TESTS=OFF -DFLEET_BUILD_BENCH=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
fleetd=build/release/src/app/fleetd
fleetctl=build/release/tools/fleetctl/fleetctl

echo "== building the web app"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)

mkdir -p .demo
pids=()
cluster_dir=
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "== stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "$cluster_dir" ]]; then bash scripts/cluster.sh stop "$cluster_dir" || true; fi
}
trap cleanup INT TERM EXIT

if ((cluster)); then
  cluster_dir=$(mktemp -d /tmp/fleet-demo-cluster.XXXXXX)
  FLEETD_BIN=$fleetd FLEET_CLUSTER_WEB_ROOT=$PWD/web/apps/web/dist bash scripts/cluster.sh start "$cluster_dir" >/dev/null
  # shellcheck disable=SC1091  # written by cluster.sh
  source "$cluster_dir/cluster.env"
  url=$FLEET_NODE_A
  pids+=($(cat "$cluster_dir/a.pid"))
else
  "$fleetd" --dev --listen "$listen" --data-dir .demo/data --web-root web/apps/web/dist \
    --access-log 0 2>.demo/fleetd.log &
  pids+=($!)
  for _ in $(seq 100); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    if ! kill -0 "${pids[0]}" 2>/dev/null; then
      echo "fleetd failed to start:"; cat .demo/fleetd.log; exit 1
    fi
    sleep 0.1
  done
fi

# Two tenants, each with its own vehicles in its own city. Keys are kept so a restart reuses the devices.
for spec in org_acme:paris org_globex:berlin; do
  org=${spec%%:*}
  city=${spec##*:}
  token=$("$fleetctl" --server "$url" token --user demo-admin --org "$org" --role admin)
  # In a cluster each fleet ingests on node b, so what node a shows came over the bus.
  ingest_url=${FLEET_NODE_B:-$url}
  keys=".demo/$org-keys.json"
  ((cluster)) && keys="$cluster_dir/$org-keys.json"  # its devices live in the cluster's own database
  "$fleetctl" --server "$ingest_url" simulate --token "$token" --vehicles "$vehicles" --rate 1 --city "$city" \
    --keys-file "$keys" --name-prefix "${org#org_}-" >".demo/simulate-$org.log" 2>&1 &
  pids+=($!)
done

cat <<EOF_MSG

  Fleet Live demo is running.

  Open $url and sign in (dev mode) as any user of org_acme (Paris) or org_globex (Berlin).

  Or watch a tenant from the terminal:
    $fleetctl --server $url watch --dev-user alice --dev-org org_acme
    $fleetctl --server $url watch --dev-user bob --dev-org org_globex

  Logs: .demo/fleetd.log, .demo/simulate-*.log       Metrics: $url/metrics
  Press Ctrl-C to stop.

EOF_MSG
if ((cluster)); then
  cat <<EOF_MSG
  Cluster: node a $FLEET_NODE_A, node b $FLEET_NODE_B (vehicles post to b), PostgreSQL $FLEET_DATABASE,
  NATS $FLEET_BUS. Node logs: $cluster_dir/{a,b}.log. Kill node a (kill \$(cat $cluster_dir/a.pid)) and
  open $FLEET_NODE_B: the same fleets, the same seqs.

EOF_MSG
fi
if ((cluster)); then
  # The nodes are not this shell's children (cluster.sh started them): watch node a instead of wait.
  # (`wait` on a background sleep, so a signal to this script alone runs the trap at once.)
  while kill -0 "${pids[0]}" 2>/dev/null; do sleep 1 & wait $!; done
else
  wait "${pids[0]}"
fi
