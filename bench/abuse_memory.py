#!/usr/bin/env python3
"""Memory stays flat under abuse (issue 20): peak resident memory < 150 MB.

Starts its own `yizhan serve` (production profile, built-in argon2 cost,
worker count and pool size; a fresh SQLite file in a temporary folder; a
free loopback port) and, all at the same time for --seconds:

  1. big bodies: 8 workers POST 63 MiB to /api/v1/tickets/1/actions/comment
     with a valid officer token, alternately with `Content-Length: 66060288`
     and `Transfer-Encoding: chunked`, writing 64 KiB at a time. Each attempt
     notes the body bytes it had written when the answer (413) came, and in
     all before the service closed. The client's send buffer is held at
     128 KiB, so whatever it wrote beyond that plus the service's receive
     buffer, the service has read;
  2. invented methods: 23,000 requests with a unique method each
     (`INVENTED123`) to random paths over 4 keep-alive connections, then
     the size and render time of /metrics (it must not grow with them);
  3. a log-in flood: 16 workers logging in, mostly with wrong passwords for
     the officer and for unknown addresses, one in eight with the right one.
     The service trusts X-Forwarded-For as behind a proxy: most guesses come
     from fresh addresses, so each costs a full argon2 hash (the memory worst
     case); some come from one address, which the throttle answers with 429.
     The officer logs in from its own address; its latencies are reported.

Meanwhile it samples VmRSS of the service every 100 ms, and reads VmHWM (the
peak) at the end. It prints a report, writes it to target/abuse_memory.json
and exits non-zero if the peak is >= 150 MB (MiB, as the other benches) or
any 5xx came back. Only loopback traffic; every loop is bounded in time.

    python3 bench/abuse_memory.py --bin target/release/yizhan [--seconds 30]
"""

import argparse
import http.client
import json
import os
import random
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMAIL, PASSWORD = "officer@abuse.test", "abuse-bench-密码-2022"
OWNER_ADDRESS, GUESSER_ADDRESS = "198.51.100.7", "203.0.113.9"
COUNTY = "320506"  # 吴中区, Suzhou
LIMIT_MB = 150.0
BIG = 63 * 1024 * 1024
CHUNK = 64 * 1024
METHODS = 23_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[max(0, min(len(v) - 1, round(p / 100 * (len(v) - 1))))]


def proc_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Tally:
    def __init__(self):
        self.lock, self.statuses, self.lists = threading.Lock(), {}, {}

    def status(self, group, status):
        with self.lock:
            g = self.statuses.setdefault(group, {})
            g[str(status)] = g.get(str(status), 0) + 1

    def add(self, key, item):
        with self.lock:
            self.lists.setdefault(key, []).append(item)


def request(port, method, path, body=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body, headers or {})
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def big_body(port, token, chunked, tally, stop):
    """One 63 MiB attempt; bounded to 10 s, and 2 s after the answer."""
    head = (f"POST /api/v1/tickets/1/actions/comment HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {BIG}\r\n") + "\r\n")
    piece = b" " * CHUNK
    if chunked:
        piece = f"{CHUNK:x}\r\n".encode() + piece + b"\r\n"
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 128 * 1024)
    s.settimeout(5)
    written, at_answer, answered, answer, end, offset, pieces = 0, None, None, b"", "stalled", 0, 0
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(head.encode())
        s.setblocking(False)
        give_up = time.monotonic() + 10
        while time.monotonic() < give_up and not stop.is_set():
            more = pieces < BIG // CHUNK
            r, w, _ = select.select([s], [s] if more else [], [], 0.2)
            if r:
                data = s.recv(65536)
                if not data:
                    end = "closed"
                    break
                if at_answer is None:
                    at_answer, answered = written, time.monotonic()
                    give_up = min(give_up, answered + 2)
                answer += data
            elif w:
                n = s.send(memoryview(piece)[offset:])
                written, offset = written + n, offset + n
                if offset == len(piece):
                    offset, pieces = 0, pieces + 1
                    if pieces == BIG // CHUNK and chunked:
                        s.settimeout(5)
                        s.sendall(b"0\r\n\r\n")
                        s.setblocking(False)
        else:
            end = "stopped" if stop.is_set() else ("all sent" if pieces == BIG // CHUNK else "stalled")
    except (BrokenPipeError, ConnectionResetError):
        end = "reset"
    except OSError as e:
        end = f"error {e.__class__.__name__}"
    finally:
        s.close()
    open_after = None if answered is None else round((time.monotonic() - answered) * 1000)
    if end == "stopped" and at_answer is None:
        return  # cut short by the end of the run
    status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "none"
    kind = "chunked" if chunked else "content-length"
    tally.status(f"big body ({kind})", status)
    tally.add("big_body", {"kind": kind, "status": status, "end": end,
                           "written_at_answer": at_answer, "written": written, "open_ms": open_after})


def big_body_worker(port, token, tally, stop, worker):
    while not stop.is_set():
        big_body(port, token, worker % 2 == 1, tally, stop)
        worker += 1


def methods_worker(port, count, tally, stop, worker):
    rng = random.Random(worker)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    words = ["api/v1", "api/v1/tickets", "admin", "x", "static", "api/v2", ""]
    for i in range(count):
        if stop.is_set():
            break
        method = f"INVENTED{worker}{i:05d}"
        path = f"/{rng.choice(words)}/{secrets.token_hex(4)}/{rng.randrange(10**6)}"
        try:
            conn.request(method, path)
            res = conn.getresponse()
            tally.status("invented methods", (res.status, res.read())[0])
        except (OSError, http.client.HTTPException):
            tally.status("invented methods", "error")
            conn.close()


def login_worker(port, tally, stop, worker):
    rng = random.Random(1000 + worker)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    n = worker
    while not stop.is_set():
        kind, n = n % 8, n + 1
        fresh = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        # 0: the officer, right password, own address; 1-4: the officer, wrong; 5-7: unknown accounts.
        email = EMAIL if kind <= 4 else f"nobody{n}@abuse.test"
        password = PASSWORD if kind == 0 else f"guess-{n}"
        address = OWNER_ADDRESS if kind == 0 else GUESSER_ADDRESS if kind in (1, 2, 7) else fresh
        body = json.dumps({"email": email, "password": password})
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/auth/login", body,
                         {"Content-Type": "application/json", "X-Forwarded-For": address})
            res = conn.getresponse()
            status, _ = res.status, res.read()
        except (OSError, http.client.HTTPException):
            status = "error"
            conn.close()
        tally.status("log-in (right password)" if kind == 0 else "log-in (wrong)", status)
        if kind == 0 and status == 200:
            tally.add("login_ms", (time.perf_counter() - t0) * 1000)


def sample_rss(pid, samples, stop):
    while not stop.is_set():
        try:
            samples.append((time.monotonic(), proc_kb(pid, "VmRSS")))
        except OSError:
            return
        stop.wait(0.1)


def summarise(attempts):
    """Body bytes written per attempt: when the answer came, and in all; ms open after the answer."""
    at_answer = [a["written_at_answer"] for a in attempts if a["written_at_answer"] is not None]
    written = [a["written"] for a in attempts]
    open_ms = [a["open_ms"] for a in attempts if a["open_ms"] is not None]
    spread = lambda v: {"max": max(v, default=None), "median": int(statistics.median(v)) if v else None}
    return {"attempts": len(attempts), "unanswered": len(attempts) - len(at_answer),
            # The service took the whole 63 MiB although it had answered 413 early on.
            "whole_body_taken": sum(1 for a in attempts if a["written"] >= BIG),
            "ends": {e: sum(1 for a in attempts if a["end"] == e) for e in sorted({a["end"] for a in attempts})},
            "at_answer": spread(at_answer), "written": spread(written), "open_ms": spread(open_ms)}


def metrics(port, tally):
    t0 = time.perf_counter()
    status, body = request(port, "GET", "/metrics")
    tally.status("metrics", status)
    return {"status": status, "bytes": len(body), "ms": round((time.perf_counter() - t0) * 1000, 2),
            "mentions_invented": b"INVENTED" in body}


def run(args, work):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "YIZHAN_PROFILE": "production",
        "YIZHAN_JWT_SECRET": secrets.token_hex(32),
        "YIZHAN_CONFIG_DIR": os.path.join(ROOT, "config"),
        "DATABASE_URL": f"sqlite://{work}/abuse.db",
        "YIZHAN_BIND": f"127.0.0.1:{port}",
        "YIZHAN__MAIL__FILE_DIR": os.path.join(work, "mail"),
        # As behind a reverse proxy, so that the flood can come from many clients.
        "YIZHAN__SERVER__TRUST_PROXY_HEADERS": "true",
    }
    # Allocator settings may be tried from outside (MALLOC_ARENA_MAX=2 ...).
    env.update({k: v for k, v in os.environ.items() if k.startswith("MALLOC_") or k == "GLIBC_TUNABLES"})
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen([args.bin, "serve"], env=env, stdout=log, stderr=log)
    try:
        return abuse(args, env, port, server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def abuse(args, env, port, server):
    deadline = time.time() + 60
    while True:
        if server.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"the service did not start (exit {server.poll()})")
        try:
            if request(port, "GET", "/readyz", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    department = json.loads(request(port, "GET", f"/api/v1/regions/{COUNTY}")[1])["department_id"]
    made = subprocess.run([args.bin, "user", "create", "--role", "officer", "--email", EMAIL, "--name", "压测",
                           "--department", str(department), "--password-stdin"],
                          env=env, input=PASSWORD + "\n", text=True, capture_output=True, timeout=120)
    if made.returncode != 0:
        raise RuntimeError(f"user create: {made.stderr}")
    status, body = request(port, "POST", "/api/v1/auth/login", json.dumps({"email": EMAIL, "password": PASSWORD}),
                           {"Content-Type": "application/json", "X-Forwarded-For": OWNER_ADDRESS})
    if status != 200:
        raise RuntimeError(f"log-in: {status} {body[:200]!r}")
    token = json.loads(body)["access_token"]
    pid, tally, samples = server.pid, Tally(), []
    metrics_before = metrics(port, tally)
    stop, sampler_stop = threading.Event(), threading.Event()
    rss_start = proc_kb(pid, "VmRSS")
    sampler = threading.Thread(target=sample_rss, args=(pid, samples, sampler_stop), daemon=True)
    sampler.start()
    plan = [("bodies", 8, big_body_worker, (port, token, tally, stop)),
            ("methods", 4, methods_worker, (port, METHODS // 4, tally, stop)),
            ("logins", 16, login_worker, (port, tally, stop))]
    threads = [threading.Thread(target=fn, args=(*a, i), daemon=True)
               for name, n, fn, a in plan if name in args.only for i in range(n)]
    t0, interrupted = time.monotonic(), True
    for t in threads:
        t.start()
    try:
        while time.monotonic() - t0 < args.seconds and server.poll() is None:
            time.sleep(0.2)
        interrupted = False
    finally:
        stop.set()  # in-flight requests finish; at most 2 minutes (5 s on Ctrl-C)
        end_by = time.monotonic() + (5 if interrupted else 120)
        for t in threads:
            t.join(timeout=max(0.0, end_by - time.monotonic()))
    elapsed = time.monotonic() - t0
    metrics_after = metrics(port, tally)
    time.sleep(1.0)
    sampler_stop.set()
    sampler.join()
    if server.poll() is not None:
        raise RuntimeError(f"the service exited with {server.returncode} during the run")
    hwm, rss_end = proc_kb(pid, "VmHWM"), proc_kb(pid, "VmRSS")
    attempts = tally.lists.get("big_body", [])
    logins = tally.lists.get("login_ms", [])
    mb = lambda kb: round(kb / 1024, 1)
    rss = [kb for _, kb in samples]
    return {
        "env": {k: v for k, v in env.items() if k.startswith(("MALLOC_", "GLIBC_"))},
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "binary": args.bin, "cpus": os.cpu_count(),
        "seconds": round(elapsed, 1), "abuses": args.only,
        "rss_mb": {"start": mb(rss_start), "peak_sampled": mb(max(rss, default=0)),
                   "peak_vmhwm": mb(hwm), "end": mb(rss_end), "samples": len(rss),
                   "every_5s": [mb(kb) for i, (_, kb) in enumerate(samples) if i % 50 == 0]},
        "big_body": {kind: summarise([a for a in attempts if a["kind"] == kind])
                     for kind in ("content-length", "chunked")},
        "metrics": {"before": metrics_before, "after": metrics_after},
        "login": {"right_password_ok": len(logins),
                  "right_password_ms": {"p50": pct(logins, 50), "p99": pct(logins, 99), "max": max(logins, default=None)},
                  "429": sum(g.get("429", 0) for k, g in tally.statuses.items() if k.startswith("log-in"))},
        "statuses": tally.statuses,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "yizhan"))
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--only", default="bodies,methods,logins", help="to find what costs memory: e.g. --only bodies")
    args = ap.parse_args()
    args.bin, args.only = os.path.abspath(args.bin), args.only.split(",")
    if not os.path.exists(args.bin):
        sys.exit(f"no binary at {args.bin}: cargo build --release --bin yizhan")
    work = tempfile.mkdtemp(prefix="yizhan-abuse-")
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop the service and clean up, as on Ctrl-C
        signal.signal(sig, signal.default_int_handler)
    try:
        r = run(args, work)
    except KeyboardInterrupt:
        sys.exit("interrupted; the service is stopped")
    except Exception as e:
        log = os.path.join(work, "serve.log")
        tail = open(log, errors="replace").read()[-2000:] if os.path.exists(log) else ""
        sys.exit(f"FAIL: {e}\n--- service log (tail) ---\n{tail}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    fivexx = sorted({(g, s) for g, st in r["statuses"].items() for s in st if s[:1] == "5"})
    r["five_xx"] = [f"{g}: {s}" for g, s in fivexx]
    r["pass"] = r["rss_mb"]["peak_vmhwm"] < LIMIT_MB and not fivexx
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    with open(os.path.join(ROOT, "target", "abuse_memory.json"), "w") as f:
        json.dump(r, f, indent=2, ensure_ascii=False)

    m, lg, rs = r["metrics"], r["login"], r["rss_mb"]
    ms = lambda v: "-" if v is None else f"{v:.0f} ms"
    print(f"{r['cpus']} CPUs, {r['seconds']} s, {os.path.basename(os.path.dirname(args.bin))} binary, {args.only}")
    print(f"resident memory: start {rs['start']} MB, peak {rs['peak_vmhwm']} MB (VmHWM; sampled max "
          f"{rs['peak_sampled']}), end {rs['end']} MB; every 5 s: {rs['every_5s']}")
    for kind, k in r["big_body"].items():
        print(f"big bodies, {kind}: {k['attempts']} attempts, {k['unanswered']} unanswered, {k['whole_body_taken']} "
              f"taken whole, ends {k['ends']}; body bytes written when answered: max {k['at_answer']['max']}, "
              f"median {k['at_answer']['median']}; in all: max {k['written']['max']}, median {k['written']['median']}; "
              f"open after the answer: max {k['open_ms']['max']} ms, median {k['open_ms']['median']} ms")
    print(f"/metrics: {m['before']['bytes']} B before, {m['after']['bytes']} B after, rendered in {m['after']['ms']} ms "
          f"(mentions INVENTED: {m['after']['mentions_invented']})")
    print(f"log-ins, right password: {lg['right_password_ok']} ok, p50 {ms(lg['right_password_ms']['p50'])}, "
          f"p99 {ms(lg['right_password_ms']['p99'])}; 429s: {lg['429']}")
    print("statuses: " + "; ".join(f"{g} " + ", ".join(f"{s}×{n}" for s, n in sorted(st.items()))
                                   for g, st in sorted(r["statuses"].items())))
    print(f"{'PASS' if r['pass'] else 'FAIL'}: peak {rs['peak_vmhwm']} MB (target < {LIMIT_MB:.0f} MB), "
          f"5xx: {r['five_xx'] or 'none'}; report in target/abuse_memory.json")
    sys.exit(0 if r["pass"] else 1)


if __name__ == "__main__":
    main()
