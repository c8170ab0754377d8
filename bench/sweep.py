"""`python -m bench.sweep [--waybills 1000000] [--db sqlite|postgres|both] [--mix demo|unsigned]`

The warning sweep (`kefu.parcels.sweep.sweep`) over one large point, in a
fresh database per engine:

- the world: region, point 310101 with operations, sales and CS departments
  (heads, a CS supervisor), 40 couriers in the operations department (as in
  `kefu demo`), 25 areas with one or two couriers each, 300 customers of which
  8 are KA, and channels: the point's WeCom group robot, the supervisor's
  DingTalk robot and a WeCom robot for 10 of the couriers (outbox rows only;
  nothing is sent);
- N waybills written straight into parcels_waybill (COPY on PostgreSQL,
  executemany on SQLite; the scan import is bypassed, so the derived columns —
  deadline, warn_at, settled_at, courier — are computed here the way the
  importer computes them). See `generate` for the distribution. PostgreSQL
  then gets VACUUM ANALYZE, as autovacuum would have done, and a CHECKPOINT;
- in a second process (so its peak memory is the sweep's): (a) the full sweep,
  the first sweep over the whole replayed history at `AT`, when a day's
  arrivals are partly past their deadline and partly in the warning window;
  (b) the minute-to-minute sweep at AT + 1 min … AT + 30 min; (c) idle sweeps,
  10 more at the last minute with nothing due.

The counts of every sweep are checked against what the generated data says
they must be (`expected`); a difference is printed as a failure. The figures
go to a table on stdout and to bench/results/<UTC timestamp>-sweep.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import scratch_db
from bench.machine import REPO, machine_info

POSTGRES_ADMIN_URL = scratch_db.POSTGRES_ADMIN_URL
RESULTS = Path(__file__).resolve().parent / "results"
# Another name lets two people run the benchmark on one server at once.
POSTGRES_DB = os.environ.get("KEFU_BENCH_SWEEP_DB", "kefu_bench_sweep")
SQLITE_FILE = Path(f"/tmp/{POSTGRES_DB}.sqlite3")
SH = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime(2026, 11, 20, tzinfo=SH)  # the day the parcels arrive
AT = DAY + dt.timedelta(days=1, hours=6)  # the first sweep: next morning 06:00
MINUTES = 30
IDLE = 10
POINT = "310101"
COURIERS, AREAS, CUSTOMERS, KA = 40, 25, 300, 8
ALLOWANCE = dt.timedelta(hours=24)
LEAD = dt.timedelta(minutes=60)
WB_COLS = ("point_id", "waybill_no", "product", "area_id", "courier_id", "customer_id", "arrived_at",
           "promised_at", "deadline", "warn_at", "delivery_at", "signed_at", "returned_at", "problem_at",
           "settled_at")
TARGET_FULL_S = 2.0
TARGET_MINUTE_MS = 200.0


# ---------------------------------------------------------------- the data

def generate(n: int, *, point_id: int, area_couriers: list[tuple[int, list[int]]], customers: list[int],
             ka: list[int], mix: str, seed: int = 11):
    """Yield N waybill rows (WB_COLS order, aware datetimes).

    Arrivals uniform over DAY 00:00–24:00 (Asia/Shanghai), to the second, rows
    in arrival order.
    Deadline: arrival + 24 h; 5 % carry a promised time (签收时限) of arrival
    + 8…24 h instead. warn_at = deadline − 60 min. 92 % have a 派件 scan
    40…180 min after arrival (the courier is one of the area's couriers), the
    rest none (routing falls back to the area's first courier). 3 % belong to a
    KA customer, 10 % to another customer.

    Outcome, mix "demo" (the mix of `kefu demo`): 86 % signed off 20…480 min
    after going out for delivery; 7 % signed inside the warning window (saved
    when warned); 4 % signed 10…600 min after the deadline; 2 % a 问题件 scan,
    then returned 2…30 h after the deadline; 1 % never signed. Mix "unsigned":
    no sign-off or return at all (every waybill open; the stress case), 2 %
    with a 问题件 scan.
    """
    rng = random.Random(seed)
    # Rows go in in arrival order, as the scan import writes a day's waybills.
    arrivals = sorted(rng.randrange(24 * 3600) for _ in range(n))
    for i, second in enumerate(arrivals):
        area_id, couriers = area_couriers[rng.randrange(len(area_couriers))]
        arrived = DAY + dt.timedelta(seconds=second)
        promised = None
        if rng.random() < 0.05:
            promised = arrived + dt.timedelta(minutes=rng.randint(8 * 60, 24 * 60))
        deadline = promised or arrived + ALLOWANCE
        warn_at = deadline - LEAD
        delivery = courier = None
        out_at = arrived + dt.timedelta(minutes=rng.randint(40, 180))
        if rng.random() < 0.92:
            delivery, courier = out_at, couriers[rng.randrange(len(couriers))]
        r = rng.random()
        customer = ka[rng.randrange(len(ka))] if r < 0.03 else (
            customers[rng.randrange(len(customers))] if r < 0.13 else None)
        signed = returned = problem = None
        r = rng.random()
        if mix == "unsigned":
            if r < 0.02:
                problem = out_at + dt.timedelta(minutes=rng.randint(30, 240))
        elif r < 0.86:
            signed = out_at + dt.timedelta(minutes=rng.randint(20, 480))
        elif r < 0.93:
            signed = warn_at + dt.timedelta(minutes=rng.randint(5, 55))
        elif r < 0.97:
            signed = deadline + dt.timedelta(minutes=rng.randint(10, 600))
        elif r < 0.99:
            problem = out_at + dt.timedelta(minutes=rng.randint(30, 240))
            returned = deadline + dt.timedelta(hours=rng.randint(2, 30))
        settled = min((t for t in (signed, returned) if t is not None), default=None)
        product = "标准快递" if rng.random() < 0.9 else "特惠件"
        yield (point_id, f"YT{8_000_000_000 + i:010d}", product, area_id, courier, customer, arrived,
               promised, deadline, warn_at, delivery, signed, returned, problem, settled)


def sweep_times() -> list[dt.datetime]:
    return [AT + dt.timedelta(minutes=k) for k in range(MINUTES + 1)]


class Expected:
    """What each sweep at `sweep_times()` must count, from the rows alone (the
    rules of kefu/parcels/README.md, applied one waybill at a time)."""

    def __init__(self):
        times = sweep_times()
        self.times = times
        self.raised = [0] * len(times)
        self.missed = [0] * len(times)
        self.saved = [0] * len(times)
        self.returned = [0] * len(times)
        self.open_at_first = 0  # not signed off or returned at AT

    def add(self, row) -> None:
        arrived, deadline, warn_at, signed, settled = row[6], row[8], row[9], row[11], row[14]
        times = self.times
        if settled is None or settled > times[0]:
            self.open_at_first += 1
        if settled is not None and settled <= warn_at:
            return  # settled before it could be warned: never warned, never missed
        if deadline <= times[0]:
            if settled is None or settled > deadline:
                self.missed[0] += 1
            return
        if warn_at > times[-1]:
            return
        warned = missed = closed = False
        for k, t in enumerate(times):
            if not missed and deadline <= t and (settled is None or settled > deadline):
                missed = True
                self.missed[k] += 1
                closed = True
            if (not warned and not missed and warn_at <= t < deadline and arrived <= t
                    and (settled is None or settled > t)):
                warned = True
                self.raised[k] += 1
            if warned and not closed and settled is not None and settled <= t and settled <= deadline:
                closed = True  # saved when signed off first, returned (退回) when returned first
                if signed == settled:
                    self.saved[k] += 1
                else:
                    self.returned[k] += 1

    def as_dict(self) -> dict:
        return {"full": {"raised": self.raised[0], "missed": self.missed[0], "saved": self.saved[0],
                         "returned": self.returned[0]},
                "minutes": {"raised": sum(self.raised[1:]), "missed": sum(self.missed[1:]),
                            "saved": sum(self.saved[1:]), "returned": sum(self.returned[1:])},
                "open_at_first_sweep": self.open_at_first}


# ---------------------------------------------------------------- child side

def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _build_world() -> dict:
    from kefu.customers.models import Customer
    from kefu.notifications.models import Channel
    from kefu.orgs.models import Area, Department, NetworkPoint, Region, Role, User
    from kefu.parcels.notices import PARCEL_WARNING

    region = Region.objects.create(code="SH", name="上海")
    point = NetworkPoint.objects.create(region=region, code=POINT, name="黄浦网点", brand="中通", city="上海")
    NetworkPoint.objects.create(region=region, code="310102", name="静安网点", brand="中通", city="上海")

    def user(username, role, **extra):
        u = User(username=username, point=point, role=role, display_name=username, **extra)
        u.set_unusable_password()
        u.save()
        return u

    depts = {kind: Department.objects.create(point=point, kind=kind, name=name) for kind, name in (
        (Department.Kind.OPERATIONS, "操作部"), (Department.Kind.SALES, "营销部"), (Department.Kind.CS, "客服部"))}
    ops_head = user("caozuo", Role.DEPT_HEAD, department=depts[Department.Kind.OPERATIONS])
    user("yingxiao", Role.DEPT_HEAD, department=depts[Department.Kind.SALES])
    manager = user("jingli", Role.MANAGER, department=depts[Department.Kind.CS])
    supervisor = user("zhuguan", Role.SUPERVISOR, department=depts[Department.Kind.CS], reports_to=manager)
    couriers = [user(f"paijian{i + 1}", Role.COURIER, department=depts[Department.Kind.OPERATIONS],
                     reports_to=ops_head, employee_no=str(1001 + i)) for i in range(COURIERS)]
    areas = Area.objects.bulk_create(
        Area(point=point, code=f"A{i + 1:02d}", name=f"{i + 1}号片区") for i in range(AREAS))
    links, area_couriers = [], {a.pk: [] for a in areas}
    for i, c in enumerate(couriers):  # every area one courier, the first 15 a second one
        area = areas[i % AREAS]
        area_couriers[area.pk].append(c.pk)
        links.append(Area.couriers.through(area_id=area.pk, user_id=c.pk))
    Area.couriers.through.objects.bulk_create(links)
    customers = Customer.objects.bulk_create(
        Customer(point=point, code=f"C{i + 1:04d}", name=f"客户{i + 1}",
                 tier=Customer.Tier.KA if i < KA else Customer.Tier.REGULAR) for i in range(CUSTOMERS))
    hook = "http://127.0.0.1:9/robot/send?key="
    Channel.objects.create(point=point, kind=Channel.Kind.WECOM, target=hook + "group",
                           verbs=[PARCEL_WARNING])
    Channel.objects.create(user=supervisor, kind=Channel.Kind.DINGTALK, target=hook + "zhuguan", verbs=[])
    for c in couriers[:10]:
        Channel.objects.create(user=c, kind=Channel.Kind.WECOM, target=hook + c.username, verbs=[])
    return {
        "point_id": point.pk,
        "area_couriers": list(area_couriers.items()),
        "customers": [c.pk for c in customers[KA:]],
        "ka": [c.pk for c in customers[:KA]],
    }


def _load(rows, expected: Expected) -> int:
    """Write the rows into parcels_waybill: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    cols = ", ".join(WB_COLS)
    n = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY parcels_waybill ({cols}) FROM STDIN") as copy:
                for row in rows:
                    expected.add(row)
                    copy.write_row(row)
                    n += 1
        else:
            adapt = connection.ops.adapt_datetimefield_value
            sql = f"INSERT INTO parcels_waybill ({cols}) VALUES ({', '.join(['%s'] * len(WB_COLS))})"
            chunk = []
            for row in rows:
                expected.add(row)
                chunk.append(tuple(adapt(v) if isinstance(v, dt.datetime) else v for v in row))
                if len(chunk) == 50_000:
                    cursor.executemany(sql, chunk)
                    n += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
                n += len(chunk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE parcels_waybill")
            # The load's dirty pages written now, not by the checkpointer while the sweep is timed.
            cursor.execute("CHECKPOINT")
    return n


def _child_setup(n: int, mix: str) -> None:
    _django()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started
    world = _build_world()
    expected = Expected()
    started = time.perf_counter()
    loaded = _load(generate(n, mix=mix, **world), expected)
    print(json.dumps({"migrate_s": round(migrate_s, 1), "load_s": round(time.perf_counter() - started, 1),
                      "waybills": loaded, "expected": expected.as_dict()}))


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class _Queries:
    """Counts the statements a sweep sends (execute and executemany)."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def _timed_sweep(at: dt.datetime) -> dict:
    from django.db import connection

    from kefu.parcels.sweep import sweep

    queries = _Queries()
    with connection.execute_wrapper(queries):
        started = time.perf_counter()
        result = sweep(at=at, time_budget_s=3600)
        seconds = time.perf_counter() - started
    return {**result, "seconds": seconds, "queries": queries.n}


def _plans(at: dt.datetime) -> dict:
    """The plans of the sweep's candidate and closing statements at `at`, reading on
    from a minute before it as a minute sweep does (EXPLAIN only: nothing runs)."""
    from django.db import connection

    from kefu.parcels import sweep as sweep_module

    p = connection.ops.adapt_datetimefield_value(at)
    since = connection.ops.adapt_datetimefield_value(at - dt.timedelta(minutes=1))
    miss = sweep_module.MISS_CANDIDATES_PG if connection.vendor == "postgresql" else sweep_module.MISS_CANDIDATES
    statements = {
        "miss": (sweep_module._sql(miss, sweep_module._MISS, after=1), [p, since]),
        "warn": (sweep_module._sql(sweep_module.WARN_CANDIDATES, sweep_module._WARN, after=1), [p, since, p, p]),
        "save": (sweep_module.SETTLED_SQL, ["open", "acknowledged", p, "open", "acknowledged", p]),
    }
    prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    plans = {}
    with connection.cursor() as cursor:
        for name, (sql, params) in statements.items():
            cursor.execute(prefix + sql, params)
            plans[name] = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    return plans


def _child_sweep() -> None:
    _django()
    from django.db import connection

    from kefu.notifications.models import Notification, OutboxMessage
    from kefu.parcels.models import ParcelWarning, Waybill, WaybillMark

    connection.ensure_connection()
    Waybill.objects.exists()
    rss_before = _rss_mb("VmRSS")
    full = _timed_sweep(AT)
    peak = _rss_mb("VmHWM")
    after_full = {
        "notifications": Notification.objects.count(), "outbox": OutboxMessage.objects.count(),
        "warnings_open": ParcelWarning.objects.filter(state__in=["open", "acknowledged"]).count(),
    }
    minutes = [_timed_sweep(t) for t in sweep_times()[1:]]
    idle = [_timed_sweep(sweep_times()[-1]) for _ in range(IDLE)]
    plans = _plans(sweep_times()[-1])
    print(json.dumps({
        "full": {**full, "rss_before_mb": rss_before, "peak_rss_mb": peak,
                 "peak_increase_mb": round(peak - rss_before, 1), **after_full},
        "minutes": minutes, "idle": idle, "plans": plans,
        "totals": {"warnings": ParcelWarning.objects.count(),
                   "missed_waybills": WaybillMark.objects.filter(missed_at__isnull=False).count(),
                   "notifications": Notification.objects.count(), "outbox": OutboxMessage.objects.count()},
    }, default=str))


# ---------------------------------------------------------------- parent side

def _fresh_database(db: str) -> str:
    return scratch_db.fresh(db, sqlite_file=SQLITE_FILE, postgres_db=POSTGRES_DB)


def _drop_database(db: str) -> None:
    scratch_db.drop(db, sqlite_file=SQLITE_FILE, postgres_db=POSTGRES_DB)


def _child(db: str, url: str, *args: str) -> tuple[dict, dict]:
    """Run this module in a child process on `url`; returns its JSON line and
    who used the CPU meanwhile (bench/cpu.py)."""
    from bench.cpu import CpuSampler

    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings",
           "KEFU_EMBEDDED_JOBS": "0", "LOG_LEVEL": "WARNING",
           "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-not-secret-" + "x" * 40)}
    sampler = CpuSampler(root_pid=os.getpid(), postgres_url=POSTGRES_ADMIN_URL if db == "postgres" else None,
                         database=POSTGRES_DB if db == "postgres" else "")
    started = time.perf_counter()
    with sampler:
        out = subprocess.run([sys.executable, "-m", "bench.sweep", *args], cwd=REPO, env=env,
                             capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"child {args[0]} failed on {db}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_s"] = round(time.perf_counter() - started, 1)
    return result, sampler.result


def _summary(runs: list[dict]) -> dict:
    from bench.stats import summary_ms

    return summary_ms([r["seconds"] for r in runs])


def _sum(runs: list[dict], key: str) -> int:
    return sum(r[key] for r in runs)


def run(db: str, n: int, mix: str, keep: bool) -> dict:
    url = _fresh_database(db)
    load_before = os.getloadavg()
    try:
        setup, setup_cpu = _child(db, url, "--child-setup", "--waybills", str(n), "--mix", mix)
        measured, cpu = _child(db, url, "--child-sweep")
    finally:
        if not keep:
            _drop_database(db)
    expected = setup["expected"]
    full, minutes, idle = measured["full"], measured["minutes"], measured["idle"]
    kinds = ("raised", "missed", "saved", "returned")
    got = {"full": {k: full[k] for k in kinds}, "minutes": {k: _sum(minutes, k) for k in kinds}}
    checks = {name: got[name] == {k: expected[name][k] for k in kinds} for name in ("full", "minutes")}
    checks["idle"] = all(r["raised"] == r["missed"] == r["saved"] == r["returned"] == 0 for r in idle)
    minute = _summary(minutes)
    return {
        "db": db, "waybills": setup["waybills"], "mix": mix, "open_at_first_sweep": expected["open_at_first_sweep"],
        "setup": {k: setup[k] for k in ("migrate_s", "load_s")} | {"process_s": setup["process_s"]},
        "full": {**full, "seconds": round(full["seconds"], 3)},
        "minute": {**minute, "sweeps": len(minutes), **{k: _sum(minutes, k) for k in
                                                         ("raised", "missed", "saved", "returned", "escalated")},
                   "queries_max": max(r["queries"] for r in minutes),
                   "each": [{k: r[k] for k in ("at", "raised", "missed", "saved", "queries")}
                            | {"ms": round(r["seconds"] * 1000, 1)} for r in minutes]},
        "idle": {**_summary(idle), "queries_max": max(r["queries"] for r in idle)},
        "totals": measured["totals"], "plans": measured["plans"],
        "expected": expected, "checks": checks,
        "cpu": cpu, "setup_cpu": setup_cpu, "loadavg_before": [round(x, 2) for x in load_before],
        "targets": {
            "full_s": TARGET_FULL_S, "minute_ms": TARGET_MINUTE_MS,
            "full_pass": full["seconds"] < TARGET_FULL_S,
            "minute_p95_pass": minute["p95_ms"] < TARGET_MINUTE_MS,
            "minute_max_pass": minute["max_ms"] < TARGET_MINUTE_MS,
        },
    }


def _print(results: list[dict], n: int, mix: str) -> None:
    print(f"\nwarning sweep, {n:,} waybills (mix {mix}), first sweep at {AT:%Y-%m-%d %H:%M %z}")
    print(f"{'db':<9}{'case':<13}{'sweeps':>7}{'s / p50 ms':>12}{'p95 ms':>9}{'max ms':>9}{'raised':>8}"
          f"{'missed':>8}{'saved':>7}{'escal':>7}{'queries':>8}{'peak MB':>9}{'others%':>8}  target")
    for r in results:
        f, m, i, t = r["full"], r["minute"], r["idle"], r["targets"]
        others = r["cpu"]["other_pct"]
        pg = r["db"] == "postgres" and n >= 1_000_000  # the targets: PostgreSQL, 1,000,000 waybills
        full_t = ("pass" if t["full_pass"] else "FAIL") if pg else ("(pass)" if t["full_pass"] else "(fail)")
        minute_t = ("pass" if t["minute_p95_pass"] else "FAIL") if pg else (
            "(pass)" if t["minute_p95_pass"] else "(fail)")
        print(f"{r['db']:<9}{'full':<13}{1:>7}{f['seconds']:>12.3f}{'':>9}{'':>9}{f['raised']:>8,}"
              f"{f['missed']:>8,}{f['saved']:>7,}{f['escalated']:>7,}{f['queries']:>8,}"
              f"{f['peak_rss_mb']:>9}{others:>8}  < {TARGET_FULL_S:g} s {full_t}")
        print(f"{r['db']:<9}{'minute':<13}{m['samples']:>7}{m['p50_ms']:>12}{m['p95_ms']:>9}{m['max_ms']:>9}"
              f"{m['raised']:>8,}{m['missed']:>8,}{m['saved']:>7,}{m['escalated']:>7,}{m['queries_max']:>8,}"
              f"{'':>9}{others:>8}  < {TARGET_MINUTE_MS:g} ms (p95) {minute_t}")
        print(f"{r['db']:<9}{'idle':<13}{i['samples']:>7}{i['p50_ms']:>12}{i['p95_ms']:>9}{i['max_ms']:>9}"
              f"{0:>8}{0:>8}{0:>7}{0:>7}{i['queries_max']:>8,}{'':>9}{others:>8}")
    for r in results:
        used = {name: sorted({w for line in plan for w in line.replace('"', " ").split()
                              if w.startswith(("waybill_", "warning_", "parcels_waybill_pkey"))})
                for name, plan in r["plans"].items()}
        print(f"{r['db']} plans: " + "; ".join(f"{k}: {', '.join(v) or 'NO INDEX'}" for k, v in used.items()))
    for r in results:
        bad = [k for k, ok in r["checks"].items() if not ok]
        state = "counts as expected" if not bad else f"COUNTS DIFFER from the data in: {', '.join(bad)}"
        print(f"{r['db']}: {r['waybills']:,} waybills, {r['open_at_first_sweep']:,} open at the first sweep; "
              f"{state}; notifications {r['totals']['notifications']:,}, outbox {r['totals']['outbox']:,}; "
              f"load {r['setup']['load_s']} s; load average before {r['loadavg_before'][0]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep")
    parser.add_argument("--waybills", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--mix", choices=["demo", "unsigned"], default="demo",
                        help="demo: most parcels signed off on time (default); unsigned: none ever signed")
    parser.add_argument("--keep", action="store_true", help="leave the database behind")
    parser.add_argument("--child-setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-sweep", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_setup:
        return _child_setup(args.waybills, args.mix)
    if args.child_sweep:
        return _child_sweep()

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for db in dbs:
        print(f"== {db}: {args.waybills:,} waybills …", flush=True)
        results.append(run(db, args.waybills, args.mix, args.keep))
    _print(results, args.waybills, args.mix)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{stamp}-sweep.json"
    out.write_text(json.dumps({
        "benchmark": "sweep", "waybills": args.waybills, "mix": args.mix, "first_sweep_at": AT.isoformat(),
        "minutes": MINUTES, "idle_sweeps": IDLE, "results": results,
        "machine": machine_info(POSTGRES_ADMIN_URL if "postgres" in dbs else None), "at": stamp,
    }, ensure_ascii=False, indent=2, default=str))
    print(f"\nwritten {out.relative_to(REPO)}")
    if any(not ok for r in results for ok in r["checks"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
