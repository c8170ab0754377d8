"""The queue page at scale: the whole request (Django test Client, logged in)
and the selector alone, on the first page and ~100 pages deep.

On PostgreSQL the slowest queries of each case are explained with
EXPLAIN (ANALYZE, BUFFERS) and kept in the results, so that a missed target
comes with its reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.test import Client

from bench import QUEUE_P95_TARGET_MS, cpu, diagnose
from bench.bulk import load_tickets
from bench.stats import summary_ms
from bench.world import World

WARMUP = 3
DEEP_PAGES = 100


def _timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], dict]:
    """Durations of `repeat` runs after the warm-up, and who used the CPU meanwhile."""
    for _ in range(WARMUP):
        fn()
    out = []
    with cpu.sampler(interval=0.5) as sampled:
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return out, sampled.result


def _cursor_at(user, pages: int) -> tuple[str, float]:
    """Follow `pages` cursors of the status=all list; returns the cursor and seconds taken."""
    from kefu.tickets.selectors import QueueFilters, queue_page

    cursor = None
    t0 = time.perf_counter()
    for _ in range(pages):
        page = queue_page(user, QueueFilters(status="all"), cursor=cursor)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return cursor or "", time.perf_counter() - t0


def _diagnose(fn: Callable[[], object]) -> dict:
    return {**diagnose.queries(fn), "profile_shares_pct": diagnose.profile_shares(fn)}


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str, headers: dict | None = None) -> Callable[[], object]:
    headers = headers or {}

    def fn():
        resp = client.get(url, headers=headers)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} → {resp.status_code}")
        return resp
    return fn


def _select(user, **kw) -> Callable[[], object]:
    from kefu.tickets.selectors import QueueFilters, queue_page

    cursor = kw.pop("cursor", None)

    def fn():
        return queue_page(user, QueueFilters(**kw), cursor=cursor)
    return fn


def _cases(world: World) -> list[tuple[str, str, Callable[[], object]]]:
    sup, agent = world.supervisor, world.main.agents[0]
    sup_cursor, sup_s = _cursor_at(sup, DEEP_PAGES)
    agent_cursor, agent_s = _cursor_at(agent, DEEP_PAGES)
    print(f"  followed {DEEP_PAGES} pages of status=all: supervisor {sup_s:.1f} s, "
          f"agent {agent_s:.1f} s", flush=True)
    sup_client, agent_client = _client_for(sup), _client_for(agent)
    deep_sup = "/queue/?" + urlencode({"status": "all", "cursor": sup_cursor})
    deep_agent = "/queue/?" + urlencode({"status": "all", "cursor": agent_cursor})
    return [
        ("page first (open)", "supervisor", _get(sup_client, "/queue/")),
        ("page first (open)", "agent", _get(agent_client, "/queue/")),
        ("page first (all)", "supervisor", _get(sup_client, "/queue/?status=all")),
        (f"page deep p{DEEP_PAGES} (all)", "supervisor", _get(sup_client, deep_sup)),
        (f"page deep p{DEEP_PAGES} (all)", "agent", _get(agent_client, deep_agent)),
        (f"htmx More p{DEEP_PAGES} (all)", "supervisor", _get(sup_client, deep_sup, {"HX-Request": "true"})),
        ("selector first (open)", "supervisor", _select(sup)),
        ("selector first (open)", "agent", _select(agent)),
        (f"selector deep p{DEEP_PAGES} (all)", "supervisor", _select(sup, status="all", cursor=sup_cursor)),
        (f"selector deep p{DEEP_PAGES} (all)", "agent", _select(agent, status="all", cursor=agent_cursor)),
    ]


def queue_page(world: World, *, n: int, db: str, scale: str, repeat: int = 30, **_) -> list[dict]:
    with cpu.sampler() as sampled:
        load = load_tickets(world, n)
    results = [{
        "benchmark": "queue_load", "db": db, "scale": scale, "n": load["total"], "status": "ok",
        "throughput_per_s": load["rows_per_s"], "wall_s": load["load_s"], "load": load,
        "target": None, "cpu": sampled.result, "cpu_ms_per_op": cpu.cpu_ms_per_op(sampled.result, load["total"]),
        "note": f"{load['main']:,} in the measured point + {load['total'] - load['main']:,} in 4 others",
    }]
    for name, role, fn in _cases(world):
        durations, cpu_used = _timed(fn, repeat)
        stats = summary_ms(durations)
        is_page = not name.startswith("selector")
        passed = stats["p95_ms"] < QUEUE_P95_TARGET_MS
        result = {
            "benchmark": f"queue {name}", "db": db, "scale": scale, "n": load["main"], "role": role,
            "status": "ok", **stats, "cpu": cpu_used, "cpu_ms_per_op": cpu.cpu_ms_per_op(cpu_used, repeat),
            "target": {"p95_ms_max": QUEUE_P95_TARGET_MS} if is_page else None,
            "passed": passed if is_page else None,
            "diagnosis": _diagnose(fn),
        }
        results.append(result)
        print(f"    {name:<28} {role:<10} p50 {stats['p50_ms']:8.1f}  p95 {stats['p95_ms']:8.1f}  "
              f"max {stats['max_ms']:8.1f} ms  ({result['diagnosis']['queries']} queries, "
              f"{result['diagnosis']['sql_ms']:.1f} ms SQL)", flush=True)
    return results
