"""Who used the CPU while a benchmark ran: this run's processes, the database
server, or someone else (on a shared 2-core machine, another process's test
suite halves the figures). A thread samples /proc every second; PostgreSQL
backends are told apart by their database (pg_stat_activity)."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

CLK = os.sysconf("SC_CLK_TCK")


def _table() -> dict[tuple[int, int], tuple[str, int, int]]:
    """(pid, start time) → (command, parent pid, CPU ticks so far)."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        f = raw[raw.rindex(")") + 2:].split()
        out[(int(entry.name), int(f[19]))] = (comm, int(f[1]), int(f[11]) + int(f[12]))
    return out


def _tree(table: dict, root: int) -> set[int]:
    mine = {root}
    changed = True
    while changed:
        changed = False
        for (pid, _start), (_c, ppid, _t) in table.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                changed = True
    return mine


class CpuSampler(threading.Thread):
    """Use as a context manager; `.result` holds percentages of the machine
    (elapsed time × cores) used by this run, by the database and by others."""

    def __init__(self, *, root_pid: int, postgres_url: str | None = None, database: str = "",
                 interval: float = 1.0):
        super().__init__(name="bench-cpu", daemon=True)
        self.root_pid, self.interval = root_pid, interval
        self.postgres_url, self.database = postgres_url, database
        self._halt = threading.Event()
        self.ticks: Counter[str] = Counter()
        self.others: Counter[str] = Counter()
        self.result: dict = {}

    def _pg_databases(self, conn) -> dict[int, str]:
        if conn is None:
            return {}
        try:
            return {pid: db or "" for pid, db in conn.execute("SELECT pid, datname FROM pg_stat_activity")}
        except Exception:  # noqa: BLE001 — a lost sample must not stop the benchmark
            return {}

    def _classify(self, pid: int, comm: str, mine: set[int], pg: dict[int, str]) -> str:
        if pid in mine:
            return "bench"
        if comm == "postgres":
            db = pg.get(pid)
            return "database" if db is None or db in ("", self.database) else "other"
        return "other"

    def run(self) -> None:
        conn = None
        if self.postgres_url:
            import psycopg

            try:
                conn = psycopg.connect(self.postgres_url, autocommit=True)
            except psycopg.Error:
                conn = None
        prev = _table()
        done = False
        while not done:
            done = self._halt.wait(self.interval)
            cur = _table()
            mine, pg = _tree(cur, self.root_pid), self._pg_databases(conn)
            for key, (comm, _ppid, ticks) in cur.items():
                pid = key[0]
                # A process born since the last look counts from zero.
                delta = ticks - prev[key][2] if key in prev else ticks
                if delta > 0:
                    kind = self._classify(pid, comm, mine, pg)
                    self.ticks[kind] += delta
                    if kind == "other":
                        self.others[comm] += delta
            prev = cur
        if conn is not None:
            conn.close()

    def __enter__(self) -> CpuSampler:
        self.started = time.monotonic()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._halt.set()
        self.join()
        capacity = (time.monotonic() - self.started) * (os.cpu_count() or 1) * CLK / 100.0
        kinds = ("bench", "database", "other")
        self.result = {f"{kind}_pct": round(self.ticks[kind] / capacity, 1) for kind in kinds}
        self.result.update({f"{kind}_cpu_s": round(self.ticks[kind] / CLK, 2) for kind in kinds})
        self.result["other_top"] = [
            [comm, round(t / CLK, 1)] for comm, t in self.others.most_common(3)
        ]


def sampler(interval: float = 1.0) -> CpuSampler:
    """A sampler for this run, configured by the environment the parent sets."""
    return CpuSampler(
        root_pid=int(os.environ.get("BENCH_ROOT_PID", os.getpid())),
        postgres_url=os.environ.get("BENCH_POSTGRES_ADMIN_URL") or None,
        database=os.environ.get("BENCH_DATABASE", ""), interval=interval,
    )


def others_busy_pct(seconds: float = 3.0) -> float:
    """Share of the machine other processes used over a short look."""
    with sampler(interval=seconds / 3) as s:
        time.sleep(seconds)
    return s.result["other_pct"] + s.result["database_pct"]


def cpu_ms_per_op(result: dict, ops: int) -> float | None:
    """CPU milliseconds this run and its database spent per operation: unlike
    wall time, hardly changed by other processes competing for the cores."""
    if not ops:
        return None
    return round((result["bench_cpu_s"] + result["database_cpu_s"]) * 1000 / ops, 2)
