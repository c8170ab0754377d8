"""Load a year of tickets fast: COPY on PostgreSQL, executemany on SQLite,
raw rows (no model instances) in batches, with a progress line.

Shape of the data (per the issue): ~3 % open — most of last fortnight's
tickets and a thin tail of stale ones; priorities 1–4; 8 agents; customers of
all tiers in owned areas; and one ticket in eleven in one of 4 other points,
interleaved by id so that scoping filters have rows to skip.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator

from django.db import connection, transaction

from bench.world import DESCRIPTIONS, SUBJECTS, SURNAMES, PointStaff, World, mobile, waybill

UTC = dt.UTC
BATCH = 5_000
OPEN_STATUS_WEIGHTS = {"new": 15, "open": 45, "waiting_customer": 15, "waiting_internal": 20,
                       "reopened": 5}
PRIORITY_WEIGHTS = {1: 5, 2: 15, 3: 45, 4: 35}
RECENT_DAYS = 14
P_OPEN_RECENT = 0.6
P_OPEN_STALE = 0.005


class _PointData:
    """What the row generator needs of a point, as plain ids and strings."""

    def __init__(self, staff: PointStaff):
        self.point_id = staff.point.pk
        self.agents = [(a.pk, a.queue) for a in staff.agents]
        self.areas = [(a.pk, a.owner_id) for a in staff.areas]
        self.customers = [
            (c.pk, c.area_id, c.area.owner_id if c.area else None, c.named_agent_id, c.name, c.phone)
            for c in staff.customers
        ]
        self.queue_of = dict(self.agents)


def _row(rng: random.Random, p: _PointData, created: dt.datetime, now: dt.datetime,
         category_ids: list[int]) -> dict:
    recent = (now - created).days < RECENT_DAYS
    is_open = rng.random() < (P_OPEN_RECENT if recent else P_OPEN_STALE)
    customer_id = area_id = owner_id = named_id = None
    if rng.random() < 0.65:
        customer_id, area_id, owner_id, named_id, name, phone = rng.choice(p.customers)
    else:
        name, phone = f"{rng.choice(SURNAMES)}女士", mobile(rng)
        if rng.random() < 0.5:
            area_id, owner_id = rng.choice(p.areas)
    assignee = owner_id or named_id or rng.choice(p.agents)[0]
    if rng.random() < (0.15 if is_open else 0.02):
        assignee = None
    queue = p.queue_of.get(assignee) or ("arrival" if rng.random() < 0.6 else "departure")
    fr_due = created + dt.timedelta(hours=2)
    res_due = created + dt.timedelta(days=2)
    row = {
        "point_id": p.point_id, "waybill_no": waybill(rng), "customer_id": customer_id,
        "contact_name": name, "contact_phone": phone,
        "channel": rng.choice(("web", "phone", "import", "import", "api")),
        "kind": "inquiry" if rng.random() < 0.75 else "feedback",
        "category_id": rng.choice(category_ids) if rng.random() < 0.9 else None,
        "queue": queue, "priority": rng.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))[0],
        "area_id": area_id, "assignee_id": assignee, "is_open": is_open,
        "subject": rng.choice(SUBJECTS), "description": rng.choice(DESCRIPTIONS),
        "created_at": created, "updated_at": created,
        "first_response_due": fr_due, "first_response_warn_at": fr_due - dt.timedelta(minutes=30),
        "resolution_due": res_due, "resolution_warn_at": res_due - dt.timedelta(minutes=30),
    }
    if is_open:
        row["status"] = rng.choices(list(OPEN_STATUS_WEIGHTS), list(OPEN_STATUS_WEIGHTS.values()))[0]
        row["reopen_count"] = 1 if row["status"] == "reopened" else 0
        if row["status"] != "new" and rng.random() < 0.8:
            row["first_responded_at"] = min(now, created + dt.timedelta(minutes=rng.randint(5, 180)))
        if res_due <= now:
            row["sla_warned_at"] = row["resolution_warn_at"]
            row["sla_breached_at"] = res_due
    else:
        resolved = created + dt.timedelta(minutes=rng.randint(30, 4 * 24 * 60))
        row["first_responded_at"] = created + dt.timedelta(minutes=rng.randint(5, 180))
        row["resolved_at"] = resolved
        row["status"] = "closed" if rng.random() < 0.8 else "resolved"
        if row["status"] == "closed":
            row["closed_at"] = resolved + dt.timedelta(days=1)
        row["updated_at"] = row.get("closed_at", resolved)
        if rng.random() < 0.3:
            row["satisfaction"] = rng.randint(1, 5)
    return row


def _rows(world: World, n_main: int, seed: int) -> Iterator[dict]:
    """n_main tickets of the measured point and n_main/10 of the other points,
    created evenly over the last 365 days in id order."""
    from django.utils import timezone

    rng = random.Random(seed)
    main = _PointData(world.main)
    others = [_PointData(o) for o in world.others]
    category_ids = [c.pk for c in world.categories]
    total = n_main + n_main // 10
    now = timezone.now().astimezone(UTC)
    start = now - dt.timedelta(days=365)
    span = (now - start).total_seconds()
    for i in range(total):
        created = start + dt.timedelta(seconds=span * (i + rng.random()) / total)
        p = others[(i // 11) % len(others)] if i % 11 == 10 else main
        yield _row(rng, p, created, now, category_ids)


def _columns() -> tuple[str, list[str], list, list[bool]]:
    from kefu.tickets.models import Ticket

    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    defaults = [f.get_default() for f in fields]
    is_dt = [f.get_internal_type() == "DateTimeField" for f in fields]
    return Ticket._meta.db_table, [f.attname for f in fields], defaults, is_dt


def _sqlite_dt(value: dt.datetime | None) -> str | None:
    # Django stores aware datetimes in SQLite as naive UTC text.
    return None if value is None else str(value.astimezone(UTC).replace(tzinfo=None))


def _foreign_key_checks(on: bool) -> None:
    """Off during the load: the generator only writes ids it read from the
    database, and a foreign-key trigger per row and key halves COPY's speed.
    On PostgreSQL this needs a superuser (session_replication_role)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"SET session_replication_role = {'DEFAULT' if on else 'replica'}")
    elif on:
        connection.enable_constraint_checking()
    else:
        connection.disable_constraint_checking()
        with connection.cursor() as cur:
            # A 512 MiB page cache for this connection only (closed after the load).
            cur.execute("PRAGMA cache_size = -524288")


def load_tickets(world: World, n_main: int, *, seed: int = 7) -> dict:
    """Insert the tickets and return counts and timings."""
    table, attnames, defaults, is_dt = _columns()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(a) for a in attnames)
    vendor = connection.vendor
    total = n_main + n_main // 10
    print(f"  bulk load: {total:,} tickets ({n_main:,} in the measured point) into {vendor}", flush=True)
    started = time.perf_counter()
    batch: list[tuple] = []
    done = 0
    report_every = max(BATCH, (total // 10) // BATCH * BATCH)

    def flush() -> None:
        nonlocal done
        if vendor == "postgresql":
            with connection.connection.cursor() as cur, cur.copy(
                f"COPY {qn(table)} ({cols}) FROM STDIN"
            ) as copy:
                for r in batch:
                    copy.write_row(r)
        else:
            rows = [tuple(_sqlite_dt(v) if d else v for v, d in zip(r, is_dt, strict=True)) for r in batch]
            with transaction.atomic(), connection.cursor() as cur:
                marks = ", ".join(["%s"] * len(attnames))
                cur.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({marks})", rows)
        done += len(batch)
        batch.clear()
        if done % report_every == 0 or done == total:
            rate = done / (time.perf_counter() - started)
            print(f"    {done:>10,} / {total:,}  {rate:9,.0f} rows/s", flush=True)

    connection.ensure_connection()
    _foreign_key_checks(False)
    try:
        for d in _rows(world, n_main, seed):
            batch.append(tuple(d.get(a, default) for a, default in zip(attnames, defaults, strict=True)))
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    finally:
        _foreign_key_checks(True)
    load_s = time.perf_counter() - started
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute(f"VACUUM ANALYZE {qn(table)}")
    analyze_s = time.perf_counter() - t0
    return {"total": total, "main": n_main, "load_s": round(load_s, 1),
            "rows_per_s": round(total / load_s), "vacuum_analyze_s": round(analyze_s, 1)}
