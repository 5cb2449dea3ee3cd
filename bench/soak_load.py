#!/usr/bin/env python3
"""Mixed traffic for bench/soak.sh: closed-loop clients doing what Barbican clients do.

Each of --clients threads keeps one HTTP/1.1 keep-alive connection and, until --duration seconds
have passed, repeats one operation picked at random with these weights:
    create  30  POST /v1/secrets with a 32-byte base64 payload
    read    30  GET /v1/secrets/{id} then GET /v1/secrets/{id}/payload (one of its own secrets)
    list    15  GET /v1/secrets?limit=10&offset=<random>
    order   10  POST /v1/orders (an aes-256 key), then GET it every 50 ms until it is ACTIVE
    delete  15  DELETE /v1/secrets/{id} (one of its own), then GET it, which must be 404
A client that has no secret of its own yet creates one instead of reading or deleting. A read
checks the payload is the one stored.

Every --interval seconds prints a line to stdout for the shell:
    SOAK t=<s> requests=<n> ops=<n> errors=<n> p50_us=<> p99_us=<>   (this interval only)
and at the end
    SOAK_TOTAL requests=<n> ops=<n> errors=<n> p50_us=<> p99_us=<> <op>_p99_us=<>...
Latency is per HTTP request. An error is an unexpected status, a wrong payload, a connection
failure, or an order that ended in ERROR or stayed PENDING over 60 s; the first few are printed to
stderr. Standard library only.
"""

import argparse
import base64
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

WEIGHTS = [("create", 30), ("read", 30), ("list", 15), ("order", 10), ("delete", 15)]
ORDER = json.dumps({"type": "key", "meta": {"name": "soak-key", "algorithm": "aes", "bit_length": 256,
                                            "mode": "cbc",
                                            "payload_content_type": "application/octet-stream"}}).encode()


class Stats:
    """Counters for the current interval and the whole run, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.interval = {"lat": [], "ops": 0, "errors": 0}
        self.total_lat = {}
        self.total_ops = 0
        self.total_errors = 0
        self.printed_errors = 0

    def request(self, op, seconds):
        with self.lock:
            self.interval["lat"].append(seconds)
            self.total_lat.setdefault(op, []).append(seconds)

    def op_done(self):
        with self.lock:
            self.interval["ops"] += 1
            self.total_ops += 1

    def error(self, what):
        with self.lock:
            self.interval["errors"] += 1
            self.total_errors += 1
            if self.printed_errors < 10:
                self.printed_errors += 1
                print(f"soak_load: error: {what}", file=sys.stderr, flush=True)

    def take_interval(self):
        with self.lock:
            taken, self.interval = self.interval, {"lat": [], "ops": 0, "errors": 0}
            return taken


def percentile(values, p):
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    values = sorted(values)
    return values[max(1, -(-len(values) * p // 100)) - 1]


class Client:
    def __init__(self, base, project, stats):
        self.url = urllib.parse.urlsplit(base)
        self.stats = stats
        self.conn = None
        self.headers = {"X-Project-Id": project, "X-Roles": "admin", "Accept": "application/json"}
        self.mine = []  # (path, payload) of this client's live secrets

    def call(self, op, method, path, body=None, headers=None):
        """One request, timed; returns (status, body bytes). Retries once on a dropped keep-alive."""
        all_headers = dict(self.headers, **(headers or {}))
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
            start = time.monotonic()
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                resp = self.conn.getresponse()
                data = resp.read()
                self.stats.request(op, time.monotonic() - start)
                return resp.status, data
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise

    def expect(self, op, method, path, status, body=None, headers=None):
        got, data = self.call(op, method, path, body, headers)
        if got != status:
            raise AssertionError(f"{method} {path}: {got} (expected {status}) {data[:200]!r}")
        return data

    def create(self):
        payload = base64.b64encode(os.urandom(32)).decode()
        body = json.dumps({"name": "soak", "payload": payload,
                           "payload_content_type": "application/octet-stream",
                           "payload_content_encoding": "base64"}).encode()
        data = self.expect("create", "POST", "/v1/secrets", 201, body, {"Content-Type": "application/json"})
        self.mine.append((urllib.parse.urlsplit(json.loads(data)["secret_ref"]).path, payload))

    def read(self):
        path, payload = random.choice(self.mine)
        self.expect("read", "GET", path, 200)
        data = self.expect("read", "GET", path + "/payload", 200, headers={"Accept": "application/octet-stream"})
        if base64.b64encode(data).decode() != payload:
            raise AssertionError(f"GET {path}/payload: not the payload stored")

    def list(self):
        self.expect("list", "GET", f"/v1/secrets?limit=10&offset={random.randrange(0, 200)}", 200)

    def order(self):
        data = self.expect("order", "POST", "/v1/orders", 202, ORDER, {"Content-Type": "application/json"})
        path = urllib.parse.urlsplit(json.loads(data)["order_ref"]).path
        start = time.monotonic()
        while True:
            order = json.loads(self.expect("order", "GET", path, 200))
            if order["status"] == "ACTIVE":
                return
            if order["status"] != "PENDING":
                raise AssertionError(f"order {path} ended {order['status']}: {order}")
            if time.monotonic() - start > 60:
                raise AssertionError(f"order {path} still PENDING after 60 s")
            time.sleep(0.05)

    def delete(self):
        path, _ = self.mine.pop(random.randrange(len(self.mine)))
        self.expect("delete", "DELETE", path, 204)
        self.expect("delete", "GET", path, 404)

    def run(self, deadline):
        ops, weights = zip(*WEIGHTS)
        while time.monotonic() < deadline:
            op = random.choices(ops, weights)[0]
            if op in ("read", "delete") and not self.mine:
                op = "create"
            try:
                getattr(self, op)()
                self.stats.op_done()
            except (AssertionError, http.client.HTTPException, OSError, ValueError, KeyError) as e:
                self.stats.error(f"{op}: {type(e).__name__}: {e}")
        if self.conn is not None:
            self.conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="server URL, e.g. http://127.0.0.1:9311")
    ap.add_argument("--project", required=True, help="X-Project-Id of every request")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=600, help="seconds of traffic (default 600)")
    ap.add_argument("--interval", type=float, default=60, help="seconds per report line (default 60)")
    args = ap.parse_args()

    stats = Stats()
    start = time.monotonic()
    deadline = start + args.duration
    threads = [threading.Thread(target=Client(args.base, args.project, stats).run, args=(deadline,), daemon=True)
               for _ in range(args.clients)]
    for t in threads:
        t.start()
    tick = start
    while any(t.is_alive() for t in threads):
        tick = min(tick + args.interval, deadline)
        while time.monotonic() < tick and any(t.is_alive() for t in threads):
            time.sleep(0.2)
        if time.monotonic() >= deadline:
            for t in threads:
                t.join()
        taken = stats.take_interval()
        print(f"SOAK t={time.monotonic() - start:.0f} requests={len(taken['lat'])} ops={taken['ops']} "
              f"errors={taken['errors']} p50_us={percentile(taken['lat'], 50) * 1e6:.0f} "
              f"p99_us={percentile(taken['lat'], 99) * 1e6:.0f}", flush=True)
    every = [x for lat in stats.total_lat.values() for x in lat]
    per_op = " ".join(f"{op}_p99_us={percentile(lat, 99) * 1e6:.0f}" for op, lat in sorted(stats.total_lat.items()))
    print(f"SOAK_TOTAL requests={len(every)} ops={stats.total_ops} errors={stats.total_errors} "
          f"p50_us={percentile(every, 50) * 1e6:.0f} p99_us={percentile(every, 99) * 1e6:.0f} {per_op}",
          flush=True)


if __name__ == "__main__":
    main()
