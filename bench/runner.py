"""One database's run, in its own process (settings read DATABASE_URL at
import): migrate, build the world, run the chosen benchmarks, write JSON.

    python -m bench.runner --db sqlite --scale small --out /tmp/x.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
import traceback

from bench import BENCHMARKS, SCALES, cpu


def _dependants(models: set) -> set:
    """`models` and every model whose rows point at one of them, transitively."""
    out, todo = set(models), list(models)
    while todo:
        for rel in todo.pop()._meta.related_objects:
            if rel.related_model not in out:
                out.add(rel.related_model)
                todo.append(rel.related_model)
    return out


def _reset_tickets() -> None:
    """Empty the ticket and notification tables (and whatever hangs off them)
    so that each benchmark starts from none."""
    from django.db import connection

    from kefu.notifications.models import Notification
    from kefu.tickets.models import Ticket

    tables = sorted({m._meta.db_table for m in _dependants({Ticket, Notification})})
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(qn(t) for t in tables)} RESTART IDENTITY CASCADE")
        return
    connection.disable_constraint_checking()
    try:
        with connection.cursor() as cur:
            for t in tables:
                cur.execute(f"DELETE FROM {qn(t)}")
    finally:
        connection.enable_constraint_checking()


def _db_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        return cur.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--scale", choices=list(SCALES), required=True)
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--budget", type=float, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.core.management import call_command

    from bench.creation import api_create, service_create
    from bench.queue_page import queue_page
    from bench.world import build_world

    sizes = SCALES[args.scale]
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    phases = {"migrate_s": round(time.perf_counter() - t0, 1)}
    t0 = time.perf_counter()
    world = build_world()
    phases["world_s"] = round(time.perf_counter() - t0, 1)
    runs = {
        "service_create": (service_create, sizes["creations"]),
        "api_create": (api_create, sizes["creations"]),
        "queue_page": (queue_page, sizes["queue_tickets"]),
    }
    results: list[dict] = []
    for name in [b for b in BENCHMARKS if b in args.only.split(",")]:
        fn, n = runs[name]
        t0 = time.perf_counter()
        try:
            _reset_tickets()
            with cpu.sampler() as sampled:
                rows = fn(world, n=n, db=args.db, scale=args.scale, repeat=args.repeat,
                          budget_s=args.budget)
            for row in rows:
                row.setdefault("cpu", sampled.result)
            results.extend(rows)
        except Exception as exc:  # a failing benchmark must not hide the others' figures
            traceback.print_exc()
            results.append({"benchmark": name, "db": args.db, "scale": args.scale, "n": n,
                            "status": "error", "note": f"{type(exc).__name__}: {exc}"[:500]})
        phases[f"{name}_s"] = round(time.perf_counter() - t0, 1)
    with open(args.out, "w") as fh:
        json.dump({"db_version": _db_version(), "phases": phases, "results": results}, fh,
                  ensure_ascii=False, indent=1, default=str)


if __name__ == "__main__":
    main()
