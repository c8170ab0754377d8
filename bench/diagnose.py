"""Why a figure is what it is: every query timed (with PostgreSQL plans of
the slowest), and where the Python time goes (cProfile shares)."""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable

from django.db import connection

EXPLAIN_TOP = 2
# Functions outside kefu worth naming in a profile: (file suffix, function) → label.
NAMED = {
    ("django/shortcuts.py", "render"): "template render",
    ("ninja/operation.py", "run"): "ninja operation",
    ("ninja/operation.py", "_result_to_response"): "ninja response (serialise)",
    ("ninja/signature/details.py", "resolve"): "ninja input parsing",
    ("django/db/transaction.py", "__exit__"): "transaction commit",
}


class Recorder:
    """An execute wrapper that times every query to the microsecond."""

    def __init__(self):
        self.queries: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append({"ms": round((time.perf_counter() - t0) * 1000, 3), "sql": sql,
                                 "params": params})


def explain(sql: str, params) -> str:
    """PostgreSQL: EXPLAIN (ANALYZE, BUFFERS); SQLite: EXPLAIN QUERY PLAN."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(r[0] for r in cur.fetchall())
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(r[-1]) for r in cur.fetchall())


def queries(fn: Callable[[], object], *, with_plans: bool = True) -> dict:
    """Run `fn` once with every query recorded: count, SQL time, each query,
    and the plans of the slowest."""
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        fn()
    qs = recorder.queries
    slow = []
    for q in sorted(qs, key=lambda q: q["ms"], reverse=True)[:EXPLAIN_TOP]:
        item = {"ms": q["ms"], "sql": q["sql"], "params": [str(p) for p in q["params"] or ()]}
        if with_plans and q["sql"].lstrip().upper().startswith("SELECT"):
            item["explain"] = explain(q["sql"], q["params"])
        slow.append(item)
    return {
        "queries": len(qs), "sql_ms": round(sum(q["ms"] for q in qs), 2),
        "all": [[q["ms"], q["sql"][:200]] for q in qs], "slowest": slow,
    }


def profile_shares(fn: Callable[[], object], top: int = 10) -> list[list]:
    """Cumulative share (%) of the run spent in each kefu function and a few
    named Django/Ninja steps, under cProfile (which inflates Python time, so
    shares rather than milliseconds)."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(tt for (_cc, _nc, tt, _cum, _callers) in stats.values()) or 1
    shares = []
    for (filename, _line, name), (_cc, _nc, _tt, cum, _callers) in stats.items():
        label = next((lab for (suffix, fname), lab in NAMED.items()
                      if name == fname and filename.endswith(suffix)), None)
        if label is None and "/kefu/" in filename:
            label = filename.split("/kefu/", 1)[-1] + ":" + name
        if label is not None:
            shares.append([label, round(100 * cum / total, 1)])
    shares.sort(key=lambda x: x[1], reverse=True)
    return shares[:top]
