#!/usr/bin/env python3
"""Importing 100,000 enterprises from CSV finishes in under 30 s.

Generates a CSV of N enterprises (valid credit codes, real county codes,
chains, contacts), imports it with `yizhan import enterprises` into a fresh
database, then imports it again (which must change nothing), and reports
both times.

    python3 bench/import_enterprises.py                  # embedded SQLite
    BENCH_DATABASE_URL=postgres://yizhan:yizhan@127.0.0.1:5432/yizhan \\
        python3 bench/import_enterprises.py              # a fresh database on that server
    options: --rows 100000 --target-s 30 --bin target/release/yizhan
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(body17):
    s = sum(ALPHABET.index(c) * w for c, w in zip(body17, WEIGHTS))
    return body17 + ALPHABET[(31 - s % 31) % 31]


def counties():
    with open(os.path.join(ROOT, "src", "seed", "regions", "areas.csv"), encoding="utf-8") as f:
        next(f)
        return [line.split(",")[0] for line in f if line.strip()]


def write_csv(path, n):
    cs = counties()
    chains = ["汽车", "集成电路", "医疗物资", "", "装备制造", ""]
    sizes = ["大", "中", "小", "微"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("统一社会信用代码,企业名称,所在区县代码,地址,产业链,规模,联系人,联系电话,联系邮箱\n")
        for i in range(n):
            county = cs[i % len(cs)]
            code = credit_code(f"91{county}{i:09d}")
            f.write(f"{code},基准测试企业{i}有限公司,{county},工业路{i}号,{chains[i % 6]},{sizes[i % 4]},"
                    f"联系人{i % 1000},021-{i % 100000000:08d},c{i}@bench.example.cn\n")


def run(cmd, env):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return elapsed, out.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--target-s", type=float, default=30.0)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "yizhan"))
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--bin", "yizhan"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="yizhan-import-")
    path = os.path.join(work, "enterprises.csv")
    write_csv(path, args.rows)

    pg = os.environ.get("BENCH_DATABASE_URL")
    fresh_db = None
    if pg:
        fresh_db = f"yizhan_bench_{os.getpid()}"
        subprocess.run(["psql", pg, "-qc", f'CREATE DATABASE "{fresh_db}"'], check=True)
        parts = urllib.parse.urlsplit(pg)
        url = urllib.parse.urlunsplit(parts._replace(path="/" + fresh_db))
    else:
        url = f"sqlite://{work}/bench.db"
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url,
           "YIZHAN_CONFIG_DIR": os.path.join(ROOT, "config"), "RUST_LOG": "warn"}
    try:
        run([args.bin, "migrate"], env)
        first, first_out = run([args.bin, "import", "enterprises", path], env)
        second, second_out = run([args.bin, "import", "enterprises", path], env)
    finally:
        if fresh_db:
            subprocess.run(["psql", pg, "-qc", f'DROP DATABASE IF EXISTS "{fresh_db}"'])

    print(f"backend: {'postgres' if pg else 'sqlite'}, {args.rows} rows, {os.cpu_count()} CPUs")
    print(f"first import: {first:.1f} s ({args.rows / first:,.0f} rows/s): {first_out}")
    print(f"re-import:    {second:.1f} s: {second_out}")
    unchanged = re.search(rf"0 new, 0 changed, {args.rows} unchanged", second_out) is not None
    ok = first < args.target_s and unchanged
    print(f"{'PASS' if ok else 'FAIL'}: first import {first:.1f} s (target < {args.target_s:.0f} s); "
          f"re-import {'changed nothing' if unchanged else 'CHANGED ROWS'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
