#!/usr/bin/env python3
"""Folds the cluster scenario's phases (bench/cluster/scenario.sh) into one JSON object for bench/report.mjs:
the load generator's results, and per-process CPU per point, per delivery and per NATS message from the
/proc/<pid>/stat snapshots taken around each phase."""
import argparse
import json
import os
import re


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def phase(work, name):
    """The load generator's result and the CPU, WAL and wall-clock deltas around it."""
    p = os.path.join(work, f"cluster-{name}")
    before, after = load(p + ".cpu-before", {}), load(p + ".cpu-after", {})
    cpu = {k: after[k] - before[k] for k in after if k in before}
    wal_b, wal_a = load(p + ".wal-before", {}) or {}, load(p + ".wal-after", {}) or {}
    wal = {k: float(wal_a[k]) - float(wal_b[k]) for k in wal_a if k in wal_b}
    t0, t1 = read(p + ".t0"), read(p + ".t1")
    seconds = float(t1) - float(t0) if t0 and t1 else 0.0
    return load(p + ".json"), cpu, wal, seconds, read(p + ".load")


def per(value, count, scale=1e6):
    return value * scale / count if count else None


def steps_of(fanout):
    """Every trial of every step (a step with repeats keeps its trials)."""
    for step in (fanout or {}).get("steps", []):
        yield from step.get("trials", [step])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data-fs", default="")
    ap.add_argument("--settings", default="{}")
    ap.add_argument("--cpus", type=int, default=0)
    ap.add_argument("--fsync")
    a = ap.parse_args()

    result = {"nodes": 2, "cpus": a.cpus, "postgres_data_fs": a.data_fs,
              "postgres_settings": json.loads(a.settings or "{}")}

    ingest, cpu, wal, seconds, load_avg = phase(a.work, "ingest")
    run = (ingest or {}).get("runs", [{}])[0] if ingest else {}
    points = run.get("points_accepted", 0)
    fleetd_ingest_cpu = cpu.get("fleetd_a", 0) + cpu.get("fleetd_b", 0)
    fleetd_us_per_point = per(fleetd_ingest_cpu, points)
    result["ingest"] = {
        "loadgen": ingest, "load_average_before": load_avg, "phase_seconds": seconds, "cpu_seconds": cpu,
        "cores": {k: v / seconds for k, v in cpu.items()} if seconds else {},
        "batch": run.get("batch"), "points_per_s": run.get("points_per_s"),
        "requests_failed": run.get("requests_failed"), "ack_latency": run.get("ack_latency"),
        # The phase's CPU over its points (the tenants' provisioning, a few requests, is in it too).
        "fleetd_cpu_us_per_point": fleetd_us_per_point,
        "postgres_cpu_us_per_point": per(cpu.get("postgres", 0), points),
        "nats_cpu_us_per_point": per(cpu.get("nats", 0), points),
        "wal": wal,
        "wal_syncs_per_s": wal.get("wal_sync", 0) / seconds if seconds else None,
        "points_per_wal_sync": points / wal["wal_sync"] if wal.get("wal_sync") else None,
        "wal_bytes_per_point": wal["wal_bytes"] / points if points and "wal_bytes" in wal else None,
    }

    fanout, cpu, wal, seconds, load_avg = phase(a.work, "fanout")
    trials = list(steps_of(fanout))
    deliveries = sum(t.get("deliveries", 0) for t in trials)
    published = sum(t.get("points_published", 0) for t in trials)
    requests = sum(t.get("ingest_requests", 0) for t in trials)
    fleetd_cpu = cpu.get("fleetd_a", 0) + cpu.get("fleetd_b", 0)
    best = (fanout or {}).get("best_step") or {}
    arrival = best.get("arrival_latency", {}) if isinstance(best, dict) else {}
    result["fanout"] = {
        "loadgen": fanout, "load_average_before": load_avg, "phase_seconds": seconds, "cpu_seconds": cpu,
        "max_deliveries_per_s": (fanout or {}).get("max_deliveries_per_s"),
        "best_arrival_p50_us": arrival.get("p50_us"), "best_arrival_p99_us": arrival.get("p99_us"),
        "deliveries": deliveries, "points_published": published, "ingest_requests": requests,
        # Over the whole phase (viewers' connects included): fleetd per delivery, gross and net of what the
        # ingest phase priced a point at (that was at 100 points per request, these are smaller batches: the
        # net figure is an upper bound of delivery alone); NATS per published batch (one message each, fanned
        # out to both nodes' subscriptions).
        "fleetd_cpu_us_per_delivery": per(fleetd_cpu, deliveries),
        "fleetd_cpu_us_per_delivery_net_of_ingest":
            per(fleetd_cpu - (fleetd_us_per_point or 0) * published / 1e6, deliveries),
        "postgres_cpu_us_per_point": per(cpu.get("postgres", 0), published),
        "nats_cpu_us_per_message": per(cpu.get("nats", 0), requests),
        "wal": wal,
    }
    if a.fsync:
        text = read(a.fsync) or ""
        m = re.search(r"fdatasync\s+([\d.]+) ops/sec\s+([\d.]+) usecs/op", text)
        result["fsync"] = {"fdatasync_ops_per_s": float(m.group(1)), "fdatasync_us": float(m.group(2))} if m \
            else {"raw": text[-2000:]}

    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    i, o = result["ingest"], result["fanout"]
    fmt = lambda v, d=0: "-" if v is None else f"{v:,.{d}f}"
    print(f"cluster: ingest {fmt(i['points_per_s'])} points/s (batch {i['batch']}, {i['requests_failed']} failed);"
          f" CPU per point fleetd {fmt(i['fleetd_cpu_us_per_point'], 2)} us, PostgreSQL "
          f"{fmt(i['postgres_cpu_us_per_point'], 2)} us; {fmt(i['wal_syncs_per_s'])} WAL syncs/s")
    print(f"cluster: fan-out {fmt(o['max_deliveries_per_s'])} deliveries/s at arrival p99 "
          f"{fmt(o['best_arrival_p99_us'])} us; fleetd {fmt(o['fleetd_cpu_us_per_delivery'], 3)} us per delivery, "
          f"NATS {fmt(o['nats_cpu_us_per_message'], 1)} us per message")


if __name__ == "__main__":
    main()
