"""The fuzzed API: schemathesis generates requests for every operation of
/api/openapi.json, as each role and without a token, and checks each answer:
no 5xx, a documented status, a documented content type, a body that matches
its schema, documented headers.

schemathesis is installed from requirements.txt (pinned) into
target/reliability/venv the first time.
"""

import concurrent.futures
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from harness import ROOT, Cast, Service, Workdir, create_user, login, must, report, tidy

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
])
ROLES = ["anonymous", "enterprise", "officer", "lead", "supervisor", "admin"]


def schemathesis():
    venv = os.path.join(ROOT, "target", "reliability", "venv")
    st = os.path.join(venv, "bin", "st")
    if not os.path.exists(st):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "-r",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "requirements.txt")], check=True)
    return st


def failures_of(report_dir):
    """(operations tested, [(operation, first line of each failure)]) from the JUnit report."""
    reports = [f for f in os.listdir(report_dir) if f.endswith(".xml")] if os.path.isdir(report_dir) else []
    if not reports:
        return 0, [("(no report)", "schemathesis wrote no report")]
    root = ET.parse(os.path.join(report_dir, reports[0])).getroot()
    tested, failed = 0, []
    for case in root.iter("testcase"):
        tested += 1
        for f in list(case.iter("failure")) + list(case.iter("error")):
            text = f.text or f.get("message", "")
            kinds = sorted(set(re.findall(r"^- (.+)$", text, re.MULTILINE))) or [text.strip().splitlines()[0]]
            failed.append((case.get("name"), "; ".join(kinds)))
    return tested, failed


def run(binary, examples, phases=None):
    """`phases`: schemathesis's phases to run (default: all four; the
    coverage phase, which tries every boundary value, is the longest)."""
    st = schemathesis()
    wd = Workdir("fuzz")
    svc = Service(binary, f"sqlite://{wd.file('yizhan.db')}", wd, "yizhan", {
        # The fuzzer logs in with wrong passwords by the hundred, and runs
        # for longer than an access token lives.
        "YIZHAN__AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        "YIZHAN__AUTH__LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000",
        "YIZHAN__AUTH__ACCESS_TOKEN_MINUTES": "240",
        "YIZHAN__SLA__SCAN_INTERVAL_SECS": "0",
        "YIZHAN__MAIL__POLL_INTERVAL_SECS": "0",
    })
    try:
        svc.start()
        cast = Cast(svc, enterprises=2, officers=1)
        city = must(svc.port, "GET", "/api/v1/regions/320500")["department_id"]
        create_user(svc, "lead", "lead@reliability.test", department=cast.county)
        create_user(svc, "supervisor", "s@reliability.test", department=city)
        tokens = {
            "anonymous": None,
            "enterprise": login(svc.port, cast.enterprise_emails[0]),
            "officer": login(svc.port, cast.officer_emails[0]),
            "lead": login(svc.port, "lead@reliability.test"),
            "supervisor": login(svc.port, "s@reliability.test"),
            "admin": cast.admin,
        }
        # Something to read: a few tickets with ids the fuzzer may hit.
        for i in range(3):
            must(svc.port, "POST", "/api/v1/tickets", {"category": "logistics", "urgency": "normal",
                 "title": f"模糊测试种子 {i}", "description": "运输车辆受阻。"}, tokens["enterprise"])
        out = os.path.join(ROOT, "target", "reliability", "fuzz")

        def one(role):
            cmd = [st, "run", f"http://127.0.0.1:{svc.port}/api/openapi.json", "--checks", CHECKS,
                   "--max-examples", str(examples), "--seed", "2022", "--request-timeout", "30",
                   "--workers", "1", "--no-color", "--report", "junit", "--report-dir", os.path.join(out, role)]
            if phases:
                cmd += ["--phases", phases]
            if tokens[role]:
                cmd += ["-H", f"Authorization: Bearer {tokens[role]}"]
            if role == "admin":
                # Setting its own password would end the run's session.
                cmd += ["--exclude-path-regex", r"/admin/users/\{id\}/password$"]
            log = open(os.path.join(wd.path, f"st-{role}.log"), "w")
            # Run inside target/: schemathesis keeps a cache folder where it runs.
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=out)
            tested, failed = failures_of(os.path.join(out, role))
            return role, done.returncode, tested, failed

        # Non-administrators side by side; the administrator (who may
        # deactivate the others) after them.
        for role in ROLES:
            subprocess.run(["rm", "-rf", os.path.join(out, role)])
        os.makedirs(out, exist_ok=True)
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(ROLES) - 1) as pool:
            results = list(pool.map(one, ROLES[:-1]))
        results.append(one("admin"))

        problems, figures = [], {"examples_per_operation": examples, "phases": phases or "all", "roles": {}}
        for role, code, tested, failed in results:
            figures["roles"][role] = {"operations": tested, "failed": len(failed), "exit": code}
            problems += [f"{role}: {op}: {why}" for op, why in failed]
            if code not in (0, 1) or (code == 1 and not failed):
                problems.append(f"{role}: schemathesis exited with {code}; see {wd.path}/st-{role}.log")
        with open(wd.file("yizhan.1.log")) as f:
            panics = [line.strip() for line in f if "panicked" in line]
        problems += [f"the service panicked: {p}" for p in panics[:5]]
        figures["reports"] = out
        return report("fuzzed API (sqlite)", figures, problems, wd, shown=80)
    finally:
        svc.stop()
        tidy(wd)
