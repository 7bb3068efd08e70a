"""Reliability scenarios: yizhan under crashes, a database outage, several
instances, and a fuzzed API. Each reports what clients sent and were told,
what the database holds, and every contradiction; it exits non-zero if any.

    python3 bench/reliability quick          # every scenario, short (CI runs this)
    python3 bench/reliability all            # every scenario, long, release build
    python3 bench/reliability crash --backend sqlite --seconds 60 --kills 3
    python3 bench/reliability outage --down 20
    python3 bench/reliability instances --seconds 120
    python3 bench/reliability fuzz --examples 200

PostgreSQL scenarios start a private server of their own (the binaries of a
Debian `postgresql` package are enough; no cluster needs to be running), so
stopping it disturbs nothing else. Results are also written as JSON to
target/reliability/<scenario>.json.
"""

import argparse
import concurrent.futures
import json
import os
import sys
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fuzz  # noqa: E402
import scenarios  # noqa: E402
from harness import ROOT, default_binary  # noqa: E402


def plan(args):
    """(name, function) for each scenario the command asks for."""
    b = args.bin
    if args.command in ("quick", "all"):
        long = args.command == "all"
        secs = 60 if long else 10
        return [
            ("crash-sqlite", lambda: scenarios.crash(b, "sqlite", secs, 3 if long else 1)),
            ("crash-postgres", lambda: scenarios.crash(b, "postgres", secs, 3 if long else 1)),
            ("outage", lambda: scenarios.outage(b, 20)),
            ("instances", lambda: scenarios.instances(b, 120 if long else 20)),
            # CI's budget leaves out the coverage phase; `all` runs every phase.
            ("fuzz", lambda: fuzz.run(b, 100) if long else fuzz.run(b, 10, "examples,fuzzing,stateful")),
        ]
    if args.command == "crash":
        backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
        return [(f"crash-{x}", lambda x=x: scenarios.crash(b, x, args.seconds, args.kills)) for x in backends]
    if args.command == "outage":
        return [("outage", lambda: scenarios.outage(b, args.down))]
    if args.command == "instances":
        return [("instances", lambda: scenarios.instances(b, args.seconds, args.count))]
    return [("fuzz", lambda: fuzz.run(b, args.examples, args.phases))]


def run(name, scenario):
    started = time.time()
    try:
        result = scenario()
    except Exception:  # a scenario that cannot finish is a failure, with its reason
        result = {"scenario": name, "ok": False, "figures": {}, "problems": [traceback.format_exc()],
                  "problem_count": 1, "kept": None}
    result["seconds"] = round(time.time() - started, 1)
    out = os.path.join(ROOT, "target", "reliability")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(result, f, ensure_ascii=False, indent=2)
    return result


def print_result(r):
    print(f"== {r['scenario']}: {'PASS' if r['ok'] else 'FAIL'} in {r['seconds']} s")
    print(json.dumps(r["figures"], ensure_ascii=False, indent=1))
    for p in r["problems"]:
        print(f"   problem: {p}")
    if r["problem_count"] > len(r["problems"]):
        print(f"   ... and {r['problem_count'] - len(r['problems'])} more")
    if r.get("kept"):
        print(f"   logs and database kept in {r['kept']}")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["quick", "all", "crash", "outage", "instances", "fuzz"])
    ap.add_argument("--bin", help="the yizhan binary (default: target/debug for quick, else target/release)")
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--seconds", type=float, default=60, help="load duration")
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--down", type=float, default=20, help="seconds the database is down")
    ap.add_argument("--count", type=int, default=3, help="instances")
    ap.add_argument("--examples", type=int, default=100, help="schemathesis examples per operation and role")
    ap.add_argument("--phases", help="fuzz: schemathesis phases (default all: examples,coverage,fuzzing,stateful)")
    ap.add_argument("--serial", action="store_true", help="one scenario at a time")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin or default_binary(args.command in ("quick", "fuzz")))

    chosen = plan(args)
    # The scenarios share nothing (each has its own database, server and
    # ports), so they run side by side: most of their time is waiting for
    # SLA deadlines.
    workers = 1 if args.serial else len(chosen)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, name, f) for name, f in chosen]
        results = [f.result() for f in futures]
    for r in results:
        print_result(r)
    failed = [r["scenario"] for r in results if not r["ok"]]
    print(f"{'FAIL' if failed else 'PASS'}: {len(results) - len(failed)} of {len(results)} scenarios passed"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
