#!/usr/bin/env python3
"""WebSocket conformance run for fleetd's /ws: Autobahn|Testsuite's case groups 1-7 and 9 (framing, pings,
reserved bits, opcodes, fragmentation, UTF-8, close handling, limits), restated for a server-push endpoint
(ws_cases.py), driven by a client that shares no code with fleetd (ws_wire.py).

Starts `fleetd --dev` on an ephemeral loopback port with a temporary data directory (or uses --url), takes
a dev token, runs every case on its own authenticated connection with a per-case deadline, and writes
ws_conformance.json and ws_conformance.txt to --report-dir. Exits 1 when a case FAILED (NON-STRICT and
INFORMATIONAL outcomes are reported, not failures), 2 when the run itself could not start.

    tests/conformance/ws_conformance.py --fleetd build/dev/src/app/fleetd --report-dir build/dev/conformance
    tests/conformance/ws_conformance.py --url http://127.0.0.1:3000 --case 5.19 --case 6.4.   # a running --dev fleetd
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ws_cases  # noqa: E402
from ws_wire import Connection, ServerViolation, http_post_json, ws_target  # noqa: E402

GROUPS = {"1": "Framing", "2": "Pings/Pongs", "3": "Reserved bits", "4": "Opcodes", "5": "Fragmentation",
          "6": "UTF-8 handling", "7": "Close handling", "9": "Limits"}


class Fleetd:
    """fleetd --dev on 127.0.0.1:0 with its own data directory; stopped (and checked) at the end."""

    def __init__(self, binary: str, extra_args):
        self.dir = tempfile.mkdtemp(prefix="fleet-conformance-")
        port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "fleetd.log")
        args = [binary, "--dev", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(self.dir, "data"),
                "--port-file", port_file, "--workers", "2"] + list(extra_args)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # start-up, not a test: poll for the port file
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    return
            except FileNotFoundError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("fleetd exited during start-up:\n" + self.log())
            time.sleep(0.02)
        self.proc.kill()
        raise RuntimeError("fleetd did not start within 30 s:\n" + self.log())

    def log(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self) -> int:
        """SIGTERM, as an operator would; returns the exit status (0 expected; ASan reports make it non-zero)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def open_session(host, port, token, deadline) -> Connection:
    """An authenticated live session: upgraded, hello and snapshot read, nothing else pending."""
    c = Connection(host, port, deadline)
    c.upgrade(ws_target(token))
    if not c.wait_for(lambda: len(c.messages) >= 2):
        raise ServerViolation("no hello and snapshot (close %s)" % (c.close,))
    kinds = [json.loads(v).get("type") if k == "text" else k for k, v in c.messages[:2]]
    if kinds != ["hello", "snapshot"]:
        raise ServerViolation("session did not start with hello, snapshot: %s" % kinds)
    del c.messages[:]
    return c


def observed_outcome(c: Connection) -> dict:
    answers = [(k, v) for k, v in c.messages if k != "ping"]  # the server's keep-alive pings do not count
    return {"answers": answers,
            "close": None if c.close is None else c.close[0],
            "close_reason": None if c.close is None else c.close[1].decode("utf-8", "replace"),
            "end": c.end or "open",
            "violations": list(c.violations),
            "notes": list(c.notes)}


def matches(expect: "ws_cases.Expect", obs: dict) -> bool:
    return (obs["answers"] == expect.answers and obs["close"] == expect.close and obs["end"] in expect.ends
            and not obs["violations"])


def run_case(k, host, port, token, timeout) -> dict:
    started = time.monotonic()
    obs = None
    error = None
    c = None
    try:
        c = open_session(host, port, token, started + timeout)
        k.run(c)
        c.finish()
    except Exception as e:  # noqa: BLE001 - a timeout, a socket error, a bad handshake: the case failed
        error = "%s: %s" % (type(e).__name__, e)
    finally:
        if c is not None:
            c.sock.close()
    if c is not None:
        obs = observed_outcome(c)
    elapsed_ms = (time.monotonic() - started) * 1000
    if error is None and matches(k.expect, obs):
        verdict = "INFORMATIONAL" if k.grade == "informational" else "OK"
        if k.non_strict is not None and obs["notes"]:  # matched, but only after the non-strict path
            verdict = "NON-STRICT"
    elif error is None and k.non_strict is not None and matches(k.non_strict, obs):
        verdict = "NON-STRICT"
    else:
        verdict = "FAILED"
    return {"id": k.cid, "group": k.cid.lstrip("f").split(".")[0], "origin": k.origin, "grade": k.grade,
            "description": k.description, "rule": k.rule, "expected": k.expect.describe(),
            "non_strict": k.non_strict.describe() if k.non_strict else None,
            "observed": describe_observed(obs, error), "verdict": verdict, "ms": round(elapsed_ms, 1),
            "error": error}


def describe_observed(obs, error) -> str:
    if obs is None:
        return error or "?"
    parts = [ws_cases.describe_answers(obs["answers"]) or "no answer"]
    parts.append("close %s" % obs["close"] + (" %r" % obs["close_reason"] if obs["close_reason"] else ""))
    parts.append({"eof": "server closed TCP", "reset": "server reset TCP", "open": "TCP still open"}[obs["end"]])
    parts += ["VIOLATION: " + v for v in obs["violations"]]
    parts += ["note: " + n for n in obs["notes"]]
    if error:
        parts.append(error)
    return "; ".join(parts)


def write_reports(results, report_dir, meta):
    os.makedirs(report_dir, exist_ok=True)
    with open(os.path.join(report_dir, "ws_conformance.json"), "w") as f:
        json.dump({"meta": meta, "cases": results}, f, indent=1, ensure_ascii=False)
    lines = ["fleetd WebSocket conformance (Autobahn|Testsuite groups 1-7, 9)  %s" % meta["started"],
             "fleetd: %s   cases: %d   %s" % (meta["fleetd"], len(results), summary_line(results)), ""]
    current = None
    for r in results:
        if r["group"] != current:
            current = r["group"]
            lines += ["", "== %s %s" % (current, GROUPS.get(current, "")), ""]
        lines.append("%-8s %-13s %s" % (r["id"], r["verdict"], r["description"]))
        lines.append("         rule:     %s" % r["rule"])
        lines.append("         expected: %s" % r["expected"])
        if r["non_strict"]:
            lines.append("         (NON-STRICT if: %s)" % r["non_strict"])
        lines.append("         observed: %s   [%.0f ms]" % (r["observed"], r["ms"]))
    with open(os.path.join(report_dir, "ws_conformance.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def summary_line(results) -> str:
    counts = {}
    for r in results:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return "  ".join("%s %d" % (v, counts[v]) for v in ("OK", "NON-STRICT", "INFORMATIONAL", "FAILED") if v in counts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--fleetd", help="fleetd binary to start (--dev, 127.0.0.1:0, temporary data dir)")
    where.add_argument("--url", help="a running fleetd --dev with the default --ws-max-message, e.g. http://127.0.0.1:3000")
    ap.add_argument("--report-dir", default=".", help="where ws_conformance.json and .txt go (default: .)")
    ap.add_argument("--case", action="append", default=[], help="run only ids starting with this (repeatable)")
    ap.add_argument("--case-timeout", type=float, default=15.0, help="seconds per case (default 15)")
    args = ap.parse_args()

    server = None
    try:
        if args.fleetd:
            server = Fleetd(args.fleetd, [])
            host, port = "127.0.0.1", server.port
        else:
            u = urllib.parse.urlsplit(args.url)
            host, port = u.hostname, u.port or 80
        token = json.loads(http_post_json(host, port, "/dev/token", json.dumps(
            {"user": "user_conformance", "org": "org_conformance", "ttl_s": 3600}).encode()))["token"]
    except Exception as e:  # noqa: BLE001 - any start-up failure ends the run with its reason
        print("ws_conformance: cannot start: %s" % e, file=sys.stderr)
        if server:
            server.stop()
            server.cleanup()
        return 2

    selected = [k for k in ws_cases.CASES if not args.case or any(k.cid.startswith(p) for p in args.case)]
    meta = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "fleetd": args.fleetd or args.url, "max_message": ws_cases.MAX_MESSAGE}
    t0 = time.monotonic()
    results = []
    try:
        for k in selected:
            r = run_case(k, host, port, token, args.case_timeout)
            results.append(r)
            if r["verdict"] == "FAILED":
                print("FAILED %s %s\n  expected: %s\n  observed: %s" % (r["id"], r["description"], r["expected"],
                                                                          r["observed"]), flush=True)
    finally:
        status = None
        if server:
            status = server.stop()
            meta["fleetd_exit"] = status
        meta["seconds"] = round(time.monotonic() - t0, 1)
        write_reports(results, args.report_dir, meta)
    failed = [r for r in results if r["verdict"] == "FAILED"]
    print("ws_conformance: %d cases in %.1f s: %s" % (len(results), meta["seconds"], summary_line(results)))
    for r in results:
        if r["verdict"] in ("NON-STRICT", "INFORMATIONAL"):
            print("  %-13s %-8s %s" % (r["verdict"], r["id"], r["observed"]))
    print("report: %s" % os.path.join(os.path.abspath(args.report_dir), "ws_conformance.txt"))
    if server and status != 0:
        print("ws_conformance: fleetd exited with status %s after SIGTERM:\n%s" % (status, server.log()[-4000:]),
              file=sys.stderr)
        server.cleanup()
        return 1
    if server:
        server.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
