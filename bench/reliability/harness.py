"""What every scenario needs: a private PostgreSQL server, yizhan processes,
an HTTP client, SQL against the service's database, and the cast of users.

Standard library only (the fuzz scenario installs schemathesis itself).
"""

import glob
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "reliability-密码-2022"
COUNTY = "320506"  # 吴中区, Suzhou, Jiangsu


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_binary(quick):
    """The debug build in quick runs (CI has just built it), else release;
    built (or found up to date) first, so that a scenario never runs stale code."""
    profile = "debug" if quick else "release"
    cmd = ["cargo", "build", "--locked", "--bin", "yizhan"] + ([] if quick else ["--release"])
    subprocess.run(cmd, cwd=ROOT, check=True)
    return os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), profile, "yizhan")


def credit_code(body17):
    """A 统一社会信用代码 with its check character (GB 32100-2015)."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(chars.index(c) * w for c, w in zip(body17, weights))
    return body17 + chars[(31 - total % 31) % 31]


class Workdir:
    """A temporary folder that is kept when a scenario fails."""

    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix=f"yizhan-{name}-")
        self.keep = True  # until a scenario's checks pass

    def file(self, name):
        return os.path.join(self.path, name)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class PrivatePostgres:
    """A throwaway PostgreSQL server of this scenario's own, on a free port,
    so that stopping it (the outage scenario) disturbs nothing else."""

    def __init__(self, workdir):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[-2].split(".")])
        found = shutil.which("pg_ctl") and os.path.dirname(shutil.which("pg_ctl"))
        self.bin = bins[-1] if bins else found
        if not self.bin:
            raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
        self.port = free_port()
        self.data = os.path.join(workdir.path, "pgdata")
        self.log = os.path.join(workdir.path, "postgres.log")
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            # initdb refuses to run as root.
            os.chmod(workdir.path, 0o777)
        self._run(["initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"])
        self.start()
        self.psql("postgres", "CREATE ROLE yizhan LOGIN PASSWORD 'yizhan'")
        self.psql("postgres", "CREATE DATABASE yizhan OWNER yizhan")
        self.url = f"postgres://yizhan:yizhan@127.0.0.1:{self.port}/yizhan"

    def _run(self, args, check=True):
        cmd = [os.path.join(self.bin, args[0])] + args[1:]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def start(self):
        opts = f"-p {self.port} -k {os.path.dirname(self.data)} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(["pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "start"])

    def stop(self, mode="immediate"):
        """`immediate`: the server dies as in a power cut or failover."""
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def psql(self, db, sql):
        out = subprocess.run(
            [os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql],
            check=True, capture_output=True, text=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def destroy(self):
        self._run(["pg_ctl", "-D", self.data, "-m", "immediate", "stop"], check=False)


class Store:
    """SQL against the service's database, for the checks: sqlite3 for a
    file, psql for the private server. Values come back as strings."""

    def __init__(self, sqlite_path=None, postgres=None):
        self.sqlite_path, self.postgres = sqlite_path, postgres

    @property
    def backend(self):
        return "postgres" if self.postgres else "sqlite"

    def rows(self, sql):
        if self.postgres:
            return self.postgres.psql("yizhan", sql)
        con = sqlite3.connect(self.sqlite_path, timeout=30)
        try:
            return [[("" if v is None else str(v)) for v in row] for row in con.execute(sql)]
        finally:
            con.close()

    def value(self, sql):
        rows = self.rows(sql)
        return int(rows[0][0]) if rows and rows[0][0] != "" else 0


class Service:
    """One `yizhan serve` process."""

    def __init__(self, binary, database_url, workdir, name, settings=None):
        self.binary, self.name, self.workdir = binary, name, workdir
        self.port = free_port()
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": database_url,
            "YIZHAN_BIND": f"127.0.0.1:{self.port}",
            "YIZHAN_CONFIG_DIR": os.path.join(ROOT, "config"),
            "YIZHAN__MAIL__FILE_DIR": workdir.file("mail"),
            # Attachments (issue 25) in the scenario's own directory.
            "YIZHAN__ATTACHMENTS__ROOT": workdir.file("attachments"),
            "YIZHAN__LOG__LEVEL": "warn,yizhan=info",
            "YIZHAN__SERVER__WORKERS": "2",
            # Cheap hashes: these scenarios are about data, not log-in cost.
            "YIZHAN__AUTH__ARGON2_MEMORY_KIB": "1024",
            "YIZHAN__AUTH__ARGON2_ITERATIONS": "1",
            "YIZHAN__MAIL__DIGEST_TIME": "",
            # A few accounts file for many: the scenarios are about data,
            # not the flood guard (its own tests are in tests/api).
            "YIZHAN__FILING__PER_ACCOUNT_PER_MINUTE": "0",
            "YIZHAN__FILING__PER_ENTERPRISE_PER_MINUTE": "0",
        }
        self.env.update(settings or {})
        self.proc = None
        self.starts = 0

    def cli(self, args, stdin=None):
        return subprocess.run([self.binary] + args, env=self.env, input=stdin, text=True,
                              capture_output=True, timeout=300)

    def start(self, wait=True):
        self.starts += 1
        log = open(self.workdir.file(f"{self.name}.{self.starts}.log"), "w")
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=log, stderr=log)
        if wait:
            self.wait_ready()

    def wait_ready(self, seconds=120):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.workdir.path}")
            status, _, _ = try_request(self.port, "GET", "/readyz", timeout=2)
            if status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {seconds} s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()


def try_request(port, method, path, body=None, token=None, headers=None, timeout=10):
    """(status, headers, parsed body), or (None, None, error) when no answer came."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Accept-Language": "zh-CN"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if token:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    try:
        conn.request(method, path, data, h)
        res = conn.getresponse()
        raw = res.read()
        parsed = raw
        if res.getheader("Content-Type", "").startswith(("application/json", "application/problem+json")):
            parsed = json.loads(raw)
        return res.status, {k.lower(): v for k, v in res.getheaders()}, parsed
    except (OSError, http.client.HTTPException) as e:
        return None, None, repr(e)
    finally:
        conn.close()


def must(port, method, path, body=None, token=None, expect=(200, 201)):
    status, _, parsed = try_request(port, method, path, body, token, timeout=60)
    if status not in expect:
        raise RuntimeError(f"{method} {path}: {status} {parsed}")
    return parsed


def login(port, email):
    return must(port, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})["access_token"]


class Cast:
    """The users of a scenario: an administrator, `enterprises` enterprises
    in one county with a user each, and `officers` officers of the county."""

    def __init__(self, service, enterprises=8, officers=3):
        self.admin_email = "admin@reliability.test"
        create_user(service, "admin", self.admin_email)
        port = service.port
        self.admin = login(port, self.admin_email)
        self.county = must(port, "GET", f"/api/v1/regions/{COUNTY}")["department_id"]
        self.enterprise_emails = []
        for i in range(enterprises):
            e = must(port, "POST", "/api/v1/enterprises", {
                "credit_code": credit_code(f"91{COUNTY}{i:09d}"), "name": f"苏州可靠性测试企业{i}有限公司",
                "county_code": COUNTY, "size": "medium"}, self.admin)
            email = f"e{i}@reliability.test"
            create_user(service, "enterprise", email, enterprise=e["id"])
            self.enterprise_emails.append(email)
        self.officer_emails = []
        for i in range(officers):
            email = f"o{i}@reliability.test"
            create_user(service, "officer", email, department=self.county)
            self.officer_emails.append(email)

    def short_sla(self, port, sign_minutes=1, resolve_minutes=3):
        """Clock-minute targets, so that SLA events fall within a run."""
        for urgency in ("normal", "urgent", "critical"):
            must(port, "PUT", f"/api/v1/admin/sla-policies/{urgency}", {
                "sign_for": {"value": sign_minutes, "unit": "clock_minutes"},
                "resolve": {"value": resolve_minutes, "unit": "clock_minutes"},
                "warning_percent": 50, "escalation_working_days": 1}, self.admin)


def create_user(service, role, email, department=None, enterprise=None):
    args = ["user", "create", "--role", role, "--email", email, "--name", email.split("@")[0],
            "--password-stdin"]
    if department:
        args += ["--department", str(department)]
    if enterprise:
        args += ["--enterprise", str(enterprise)]
    done = service.cli(args, stdin=PASSWORD + "\n")
    if done.returncode != 0:
        raise RuntimeError(f"user create {email}: {done.stderr}")


class Tally:
    """Thread-safe counters and lists for a report."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.items = {}

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def append(self, key, item):
        with self.lock:
            self.items.setdefault(key, []).append(item)

    def get(self, key):
        return self.counts.get(key, 0)

    def list(self, key):
        return self.items.get(key, [])


def report(name, figures, problems, workdir, shown=50):
    """A scenario's result; a failed one keeps its folder for a look."""
    ok = not problems
    workdir.keep = not ok
    return {"scenario": name, "ok": ok, "figures": figures, "problems": problems[:shown],
            "problem_count": len(problems), "kept": None if ok else workdir.path}


def tidy(workdir, pg=None):
    """Stops the private server; removes the folder unless a check failed
    (the logs and the database are kept for a look)."""
    if pg:
        pg.destroy()
    if not workdir.keep:
        workdir.remove()
