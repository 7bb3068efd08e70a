#!/usr/bin/env python3
"""Log-in is slow on purpose (argon2id); it must not starve other requests.

Starts a release build of yizhan with the production argon2 parameters,
keeps 8 log-ins running at once for a while, and meanwhile samples
GET /healthz every 10 ms. Passes when /healthz p99 stays under 20 ms.

    python3 bench/login_contention.py                 # embedded SQLite
    BENCH_DATABASE_URL=postgres://... python3 bench/login_contention.py
    options: --seconds 20 --concurrency 8 --target-ms 20 --bin target/release/yizhan

Only loopback traffic; every loop is bounded in time.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMAIL = "bench-admin@example.cn"
PASSWORD = "bench-password-足够长-2022"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--target-ms", type=float, default=20.0)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "yizhan"))
    args = ap.parse_args()

    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--bin", "yizhan"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="yizhan-bench-")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite://{work}/bench.db"),
        "YIZHAN_BIND": f"127.0.0.1:{port}",
        "YIZHAN_CONFIG_DIR": os.path.join(ROOT, "config"),
        "RUST_LOG": "warn",
    }
    created = subprocess.run(
        [args.bin, "user", "create", "--role", "admin", "--email", EMAIL, "--name", "bench", "--password-stdin"],
        input=PASSWORD + "\n", text=True, env=env, capture_output=True,
    )
    if created.returncode != 0 and "taken" not in created.stderr:
        sys.exit(f"cannot create the bench user: {created.stderr}")

    server = subprocess.Popen([args.bin, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("the service did not become ready")

        body = json.dumps({"email": EMAIL, "password": PASSWORD})
        stop = time.time() + args.seconds
        logins, login_errors, lock = [], [0], threading.Lock()

        def log_in_loop():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.time() < stop:
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
                res = conn.getresponse()
                res.read()
                with lock:
                    if res.status == 200:
                        logins.append(time.perf_counter() - t0)
                    else:
                        login_errors[0] += 1

        health = []

        def health_loop():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            time.sleep(1.0)  # let the log-in load build up first
            while time.time() < stop - 0.5:
                t0 = time.perf_counter()
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                health.append(time.perf_counter() - t0)
                time.sleep(0.01)

        threads = [threading.Thread(target=log_in_loop) for _ in range(args.concurrency)]
        threads.append(threading.Thread(target=health_loop))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    ms = [h * 1000 for h in health]
    p99 = percentile(ms, 99)
    print(f"backend: {'postgres' if 'BENCH_DATABASE_URL' in os.environ else 'sqlite'}, "
          f"{args.concurrency} concurrent log-ins for {args.seconds:.0f} s, {os.cpu_count()} CPUs")
    print(f"log-ins: {len(logins)} ok ({len(logins) / args.seconds:.1f}/s), {login_errors[0]} failed, "
          f"median {statistics.median(logins) * 1000:.0f} ms")
    print(f"/healthz: {len(ms)} samples, p50 {percentile(ms, 50):.2f} ms, p95 {percentile(ms, 95):.2f} ms, "
          f"p99 {p99:.2f} ms, max {max(ms):.2f} ms")
    ok = p99 < args.target_ms and login_errors[0] == 0 and len(logins) > 0
    print(f"{'PASS' if ok else 'FAIL'}: /healthz p99 {p99:.2f} ms (target < {args.target_ms:.0f} ms)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
