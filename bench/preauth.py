#!/usr/bin/env python3
"""What unauthenticated clients can make fleetd hold (issue 11, "budgets before authentication").

  bench/preauth.py FLEETD [FLEETD ...] [--bodies 1000] [--body-bytes 1048576] [--flood 21500] [--json FILE]

For each fleetd binary given (e.g. a build before and after a change, measured side by side), starts it
with --dev on an ephemeral loopback port and a fresh data dir, then:

  bodies: N connections (200 per source address, 127.0.1.x) each send an ingest head with an unknown
          device key and Content-Length of body-bytes, then stream the body as fast as fleetd takes it. Reports fleetd's peak RSS above its
          idle RSS while all N are open, and how the requests were answered.
  flood:  `flood` connects from 127.0.0.9 that send nothing (the client closes any the server closes, so
          its own descriptors stay few), then a viewer from 127.0.0.2 opens /ws with a token and must get
          hello. Reports whether it did, how long it took, and what the flood's connects saw.

Peak RSS is sampled from /proc/<pid>/status every 10 ms. Prints a table and, with --json, writes one.
"""
import argparse
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Fleetd:
    def __init__(self, binary, extra=()):
        self.dir = tempfile.mkdtemp(prefix="fleet-preauth-")
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [binary, "--dev", "--listen", "127.0.0.1:0", "--data-dir", self.dir, "--port-file", port_file,
             "--access-log", "0", "--log-level", "warn", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{binary} did not start")
            time.sleep(0.05)
        self.port = int(open(port_file).read().strip())

    def token(self):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/dev/token", method="POST",
                                     data=json.dumps({"user": "viewer", "org": "org_bench"}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)["token"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def connect(port, source="127.0.0.1"):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def bodies(fleetd, n, body_bytes):
    idle = rss_kib(fleetd.proc.pid)
    head = (f"POST /api/v1/telemetry HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer fk_not_a_device\r\n"
            f"Content-Type: application/json\r\nContent-Length: {body_bytes}\r\n\r\n").encode()
    chunk = b"[" + b" " * 65535
    sel = selectors.DefaultSelector()
    conns = {}
    for i in range(n):
        # 200 per source address: under the per-address cap, so what is measured is the body path.
        s = connect(fleetd.port, f"127.0.1.{i // 200 + 1}")
        conns[s] = {"out": head, "sent": 0, "answer": b"", "open": True}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    peak = idle
    deadline = time.time() + 60
    last_sample = 0.0
    while any(c["open"] for c in conns.values()) and time.time() < deadline:
        for key, events in sel.select(timeout=0.01):
            s, c = key.fileobj, conns[key.fileobj]
            if events & selectors.EVENT_READ:
                try:
                    data = s.recv(65536)
                except (ConnectionResetError, BlockingIOError):
                    data = b""
                if data:
                    c["answer"] += data
                else:
                    c["open"] = False
                    sel.unregister(s)
                    continue
            if events & selectors.EVENT_WRITE:
                if not c["out"] and c["sent"] < body_bytes:
                    c["out"] = chunk[:min(len(chunk), body_bytes - c["sent"])]
                if c["out"]:
                    try:
                        k = s.send(c["out"])
                        if c["sent"] or c["out"] is not head:
                            c["sent"] += k
                        c["out"] = c["out"][k:]
                    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                        pass
                if not c["out"] and c["sent"] >= body_bytes:
                    sel.modify(s, selectors.EVENT_READ)
        now = time.time()
        if now - last_sample > 0.01:
            peak = max(peak, rss_kib(fleetd.proc.pid))
            last_sample = now
    statuses = {}
    for c in conns.values():
        st = c["answer"][9:12].decode() if c["answer"].startswith(b"HTTP/1.1 ") else "none"
        statuses[st] = statuses.get(st, 0) + 1
    sent = sum(c["sent"] for c in conns.values())
    for s in conns:
        s.close()
    return {"idle_rss_mib": idle / 1024, "peak_rss_mib": peak / 1024, "growth_mib": (peak - idle) / 1024,
            "statuses": statuses, "body_bytes_sent_mib": sent / 2**20}


def flood(fleetd, n, token):
    held, refused, failed = [], 0, 0
    for _ in range(n):
        try:
            s = socket.socket()
            s.bind(("127.0.0.9", 0))
            s.connect(("127.0.0.1", fleetd.port))
        except OSError:
            failed += 1
            s.close()
            continue
        held.append(s)
        # Close what the server already closed, so the flood's own descriptors stay few.
        if len(held) >= 512:
            keep = []
            for h in held:
                h.setblocking(False)
                try:
                    data = h.recv(4096)
                    if data or data == b"":
                        refused += 1
                        h.close()
                        continue
                except BlockingIOError:
                    pass
                keep.append(h)
            held = keep
    start = time.time()
    viewer = socket.socket()
    viewer.settimeout(10)
    got_hello = False
    try:
        viewer.bind(("127.0.0.2", 0))
        viewer.connect(("127.0.0.1", fleetd.port))
        viewer.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        data = b""
        while b'"hello"' not in data:
            part = viewer.recv(65536)
            if not part:
                break
            data += part
        got_hello = b'"hello"' in data
    except OSError:
        pass
    elapsed_ms = (time.time() - start) * 1000
    viewer.close()
    still_open = len(held)
    for h in held:
        h.close()
    return {"connects": n, "connect_failed": failed, "closed_by_server": refused,
            "open_at_end": still_open, "viewer_hello": got_hello, "viewer_ms": round(elapsed_ms, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fleetd", nargs="+")
    ap.add_argument("--bodies", type=int, default=1000)
    ap.add_argument("--body-bytes", type=int, default=1 << 20)
    ap.add_argument("--flood", type=int, default=21500)
    ap.add_argument("--json")
    args = ap.parse_args()
    results = []
    for binary in args.fleetd:
        f = Fleetd(binary)
        try:
            r = {"fleetd": binary, "bodies": bodies(f, args.bodies, args.body_bytes)}
        finally:
            f.stop()
        f = Fleetd(binary)
        try:
            r["flood"] = flood(f, args.flood, f.token())
        finally:
            f.stop()
        results.append(r)
        b, fl = r["bodies"], r["flood"]
        print(f"{binary}\n  {args.bodies} x {args.body_bytes} B unauthenticated bodies: RSS +{b['growth_mib']:.1f} MiB "
              f"(idle {b['idle_rss_mib']:.1f}, peak {b['peak_rss_mib']:.1f}); answers {b['statuses']}; "
              f"body sent {b['body_bytes_sent_mib']:.0f} MiB\n"
              f"  {args.flood} idle connects from one address: {fl['closed_by_server']} closed by the server, "
              f"{fl['connect_failed']} failed; viewer elsewhere got hello: {fl['viewer_hello']} "
              f"in {fl['viewer_ms']} ms")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    sys.exit(main())
