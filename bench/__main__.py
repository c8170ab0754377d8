"""`python -m bench [--db sqlite|postgres|both] [--scale small|full] [--only NAME]`

Each database gets a fresh, empty database of its own and its own process;
the figures go to a table on stdout and to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import BENCHMARKS, SCALES, cpu
from bench.machine import REPO, machine_info
from bench.report import table, write

WORK = Path(__file__).resolve().parent / ".work"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
POSTGRES_DB = "kefu_bench"
_HELD: list = []  # the run lock's file, kept open for the life of the process


def _postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _postgres_reset(create: bool) -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {POSTGRES_DB}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{POSTGRES_DB}"


def _sqlite_reset() -> str:
    WORK.mkdir(exist_ok=True)
    path = WORK / "kefu_bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _fresh_database(db: str) -> str:
    return _postgres_reset(create=True) if db == "postgres" else _sqlite_reset()


def _drop_database(db: str) -> None:
    if db == "postgres":
        _postgres_reset(create=False)
    else:
        _sqlite_reset()


def _wait_quiet(limit_s: float) -> float:
    """Wait up to `limit_s` for other processes to leave the CPU (< 10 % busy)."""
    deadline = time.monotonic() + limit_s
    busy = cpu.others_busy_pct()
    while busy >= 10 and time.monotonic() < deadline:
        print(f"  others use {busy:.0f} % of the CPU; waiting for a quiet machine …", flush=True)
        time.sleep(20)
        busy = cpu.others_busy_pct()
    if busy >= 10:
        print(f"  WARNING: others use {busy:.0f} % of the CPU: figures will be low", flush=True)
    return busy


def _run_one(db: str, args: argparse.Namespace) -> dict:
    busy = _wait_quiet(args.wait_quiet)
    url = _fresh_database(db)
    out = WORK / f"run-{db}-{os.getpid()}.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ, "DATABASE_URL": url, "KEFU_EMBEDDED_JOBS": "0", "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-not-secret-" + "x" * 40),
        # For the CPU sampler (bench/cpu.py): whose processes and which database are ours.
        "BENCH_ROOT_PID": str(os.getpid()),
        "BENCH_DATABASE": POSTGRES_DB if db == "postgres" else "",
        "BENCH_POSTGRES_ADMIN_URL": POSTGRES_ADMIN_URL if db == "postgres" else "",
    }
    cmd = [sys.executable, "-m", "bench.runner", "--db", db, "--scale", args.scale,
           "--only", args.only, "--repeat", str(args.repeat), "--budget", str(args.budget),
           "--out", str(out)]
    print(f"== {db} ({args.scale}) {url}; other processes used {busy:.0f} % of the CPU just before",
          flush=True)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env)
    run = {"results": [], "phases": {}}
    if out.exists():
        run = json.loads(out.read_text())
        out.unlink()
    if proc.returncode != 0:
        run["results"].append({"benchmark": "run", "db": db, "scale": args.scale, "n": 0,
                               "status": "error", "note": f"runner exited with {proc.returncode}"})
    run["wall_s"] = round(time.perf_counter() - started, 1)
    if not args.keep:
        _drop_database(db)
    return run


def _single_run_lock():
    """Two runs at once would share the databases and skew each other's figures."""
    WORK.mkdir(exist_ok=True)
    fh = open(WORK / "run.lock", "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit("another `python -m bench` is running (bench/.work/run.lock)")
    return fh


def _header(machine: dict, args: argparse.Namespace) -> str:
    pg = machine.get("postgresql") or {}
    sizes = SCALES[args.scale]
    budget = f"; creation time budget {args.budget:.0f} s" if args.budget else ""
    return (
        f"machine: {machine['cpu_model']}, {machine['cpu_cores']} cores, {machine['ram_gib']} GiB RAM, "
        f"{machine['platform']}\n"
        f"software: Python {machine['python']}, Django {machine['django']}, SQLite {machine['sqlite']}"
        f"{', PostgreSQL ' + pg['version'] if pg else ''}; commit {machine['git_commit'][:10]}"
        f"{' (dirty)' if machine['git_dirty'] else ''}\n"
        f"scale {args.scale}: {sizes['creations']:,} tickets created one by one; "
        f"{sizes['queue_tickets']:,} tickets in the measured point's queue{budget}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="kefu benchmarks: a table on stdout, JSON in bench/results/.")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default=None,
                        help="default: both if PostgreSQL is reachable, else sqlite")
    parser.add_argument("--scale", choices=list(SCALES), default="full")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per queue case")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="stop each creation benchmark after this long (default: 300 at "
                             "full scale, none otherwise; 0 = create all)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to this long for other processes to leave the CPU")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    if args.budget is None:
        args.budget = 300.0 if args.scale == "full" else 0.0
    unknown = set(args.only.split(",")) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    _HELD.append(_single_run_lock())
    reachable = _postgres_reachable()
    if args.db == "postgres" and not reachable:
        parser.error(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    if args.db is None:
        args.db = "both" if reachable else "sqlite"
        if not reachable:
            print(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: SQLite only", flush=True)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]

    machine = machine_info(POSTGRES_ADMIN_URL if reachable else None)
    print(_header(machine, args), flush=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    runs, rows = {}, []
    for db in dbs:
        run = _run_one(db, args)
        payload = {"machine": machine, "scale": args.scale, "sizes": SCALES[args.scale], "db": db,
                   "started_utc": stamp, **run}
        path = write(payload, f"{stamp}-{db}-{args.scale}.json")
        print(f"wrote {path.relative_to(REPO)}", flush=True)
        runs[db] = run
        rows.extend(run["results"])
    write({"machine": machine, "scale": args.scale, "sizes": SCALES[args.scale],
           "started_utc": stamp, "runs": runs}, "latest.json")
    print()
    print(_header(machine, args))
    print(table(rows))
    sys.exit(1 if any(r.get("status") == "error" for r in rows) else 0)


if __name__ == "__main__":
    main()
