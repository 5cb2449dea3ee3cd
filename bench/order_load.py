#!/usr/bin/env python3
"""Order load for bench/orders.sh: closed-loop clients that each POST an order, then poll it.

Each of --clients threads keeps one HTTP/1.1 keep-alive connection and repeats: POST /v1/orders,
then GET the order_ref right away and every --poll-ms milliseconds until its status is no longer
PENDING; the time from sending the POST to reading that first non-PENDING answer is the order's
latency (so it is measured to within about one poll interval). Clients stop starting orders after
--duration seconds or once --orders orders have been started (whichever comes first; 0 means no
limit) and finish the ones in hand. Throughput is the orders that went ACTIVE divided by the wall
time from the first POST to the last answer.

Prints one line to stdout for the shell to parse:
    BENCH orders=<ACTIVE orders> duration_us=<wall> p50_us=<> p99_us=<> errors=<>
and a readable summary to stderr. An error is a non-2xx answer, a connection failure, an order
that ended in ERROR, or one still PENDING after --order-timeout seconds. Standard library only.
"""

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse

KEY_META = {"name": "bench-key", "algorithm": "aes", "bit_length": 256, "mode": "cbc",
            "payload_content_type": "application/octet-stream"}
ASYMMETRIC_META = {"name": "bench-rsa", "algorithm": "rsa", "bit_length": 2048,
                   "payload_content_type": "application/octet-stream"}


class Shared:
    """State the client threads share, under one lock."""

    def __init__(self, max_orders, deadline):
        self.lock = threading.Lock()
        self.max_orders = max_orders
        self.deadline = deadline
        self.started = 0
        self.latencies = []
        self.errors = 0
        self.first_error = None
        self.last_done = None

    def may_start(self):
        with self.lock:
            if time.monotonic() >= self.deadline:
                return False
            if self.max_orders and self.started >= self.max_orders:
                return False
            self.started += 1
            return True

    def done(self, latency):
        with self.lock:
            self.latencies.append(latency)
            self.last_done = time.monotonic()

    def error(self, what):
        with self.lock:
            self.errors += 1
            self.last_done = time.monotonic()
            if self.first_error is None:
                self.first_error = what


def client(base, project, body, poll, order_timeout, shared):
    url = urllib.parse.urlsplit(base)
    conn = None
    headers = {"X-Project-Id": project, "Content-Type": "application/json",
               "Accept": "application/json"}

    def request(method, path, payload=None):
        nonlocal conn
        for attempt in (1, 2):
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            try:
                conn.request(method, path, body=payload, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                # A keep-alive connection the server closed: retry once on a new one.
                conn.close()
                conn = None
                if attempt == 2:
                    raise

    while shared.may_start():
        start = time.monotonic()
        try:
            status, data = request("POST", "/v1/orders", body)
            if status != 202:
                shared.error(f"POST /v1/orders: {status} {data[:200]!r}")
                continue
            path = urllib.parse.urlsplit(json.loads(data)["order_ref"]).path
            while True:
                status, data = request("GET", path)
                if status != 200:
                    shared.error(f"GET {path}: {status} {data[:200]!r}")
                    break
                order = json.loads(data)
                if order["status"] == "ACTIVE":
                    shared.done(time.monotonic() - start)
                    break
                if order["status"] != "PENDING":
                    shared.error(f"order {path} ended {order['status']}: {data[:300]!r}")
                    break
                if time.monotonic() - start > order_timeout:
                    shared.error(f"order {path} still PENDING after {order_timeout}s")
                    break
                time.sleep(poll)
        except (http.client.HTTPException, OSError, ValueError, KeyError) as e:
            shared.error(f"{type(e).__name__}: {e}")
    if conn is not None:
        conn.close()


def percentile(sorted_values, p):
    """Nearest-rank percentile of a sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(rank) - 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="server URL, e.g. http://127.0.0.1:9311")
    ap.add_argument("--project", required=True, help="X-Project-Id of every request")
    ap.add_argument("--type", choices=("key", "asymmetric"), default="key")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    ap.add_argument("--duration", type=float, default=10,
                    help="seconds during which clients start orders (default 10)")
    ap.add_argument("--orders", type=int, default=0,
                    help="start at most this many orders in all (default 0: no limit)")
    ap.add_argument("--poll-ms", type=float, default=20, help="poll interval in ms (default 20)")
    ap.add_argument("--order-timeout", type=float, default=60,
                    help="seconds an order may stay PENDING before it counts as an error (default 60)")
    args = ap.parse_args()

    body = json.dumps({"type": args.type,
                       "meta": KEY_META if args.type == "key" else ASYMMETRIC_META}).encode()
    start = time.monotonic()
    shared = Shared(args.orders, start + args.duration)
    threads = [threading.Thread(target=client, daemon=True,
                                args=(args.base, args.project, body, args.poll_ms / 1000,
                                      args.order_timeout, shared))
               for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    wall = ((shared.last_done or time.monotonic()) - start)
    lat = sorted(shared.latencies)
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    print(f"BENCH orders={len(lat)} duration_us={wall * 1e6:.0f} p50_us={p50 * 1e6:.0f} "
          f"p99_us={p99 * 1e6:.0f} errors={shared.errors}")
    print(f"order_load: {args.type}: {len(lat)} orders ACTIVE in {wall:.2f} s = "
          f"{len(lat) / wall if wall > 0 else 0:.1f} orders/s; POST->ACTIVE p50 {p50 * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms; {shared.errors} error(s)", file=sys.stderr)
    if shared.first_error:
        print(f"order_load: first error: {shared.first_error}", file=sys.stderr)


if __name__ == "__main__":
    main()
