"""The table on stdout and the JSON files in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def target_applies(row: dict) -> bool:
    """The issue's targets are stated at full scale; the queue target on PostgreSQL."""
    if row.get("scale") != "full":
        return False
    if row["benchmark"].startswith("queue"):
        return row.get("db") == "postgres"
    return True


def _target_text(row: dict) -> str:
    t = row.get("target")
    if not t:
        return "—"
    if "p95_ms_max" in t:
        return f"p95<{t['p95_ms_max']:g}ms"
    return f"≥{t['throughput_per_s_min']:g}/s"


def _verdict(row: dict) -> str:
    status = row.get("status", "?")
    if status != "ok":
        return "ERROR" if status == "error" else status
    if row.get("passed") is None:
        return "—"
    word = "pass" if row["passed"] else "FAIL"
    return word if target_applies(row) else f"({word.lower()})"


def _num(row: dict, key: str, fmt: str) -> str:
    value = row.get(key)
    return format(value, fmt) if isinstance(value, int | float) else ""


COLUMNS = [
    ("benchmark", "<", lambda r: r["benchmark"]),
    ("role", "<", lambda r: r.get("role", "")),
    ("db", "<", lambda r: r["db"]),
    ("scale", "<", lambda r: r["scale"]),
    ("N", ">", lambda r: f"{r['n']:,}"),
    ("rate/s", ">", lambda r: _num(r, "throughput_per_s", ",.1f")),
    ("p50 ms", ">", lambda r: _num(r, "p50_ms", ".1f")),
    ("p95 ms", ">", lambda r: _num(r, "p95_ms", ".1f")),
    ("max ms", ">", lambda r: _num(r, "max_ms", ".1f")),
    ("cpu ms/op", ">", lambda r: _num(r, "cpu_ms_per_op", ".1f")),
    ("others%", ">", lambda r: _num(r.get("cpu") or {}, "other_pct", ".0f")),
    ("target", "<", _target_text),
    ("result", "<", _verdict),
]


def table(rows: list[dict]) -> str:
    cells = [[fn(r) for _name, _align, fn in COLUMNS] for r in rows]
    widths = [max([len(name)] + [len(c[i]) for c in cells]) for i, (name, _, _) in enumerate(COLUMNS)]
    lines = ["  ".join(format(name, f"{align}{w}") for (name, align, _), w in zip(COLUMNS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for c in cells:
        lines.append("  ".join(format(v, f"{align}{w}") for v, (_, align, _), w in zip(c, COLUMNS, widths, strict=True)))
    notes = [f"- {r['benchmark']} ({r['db']}): {r['note']}" for r in rows
             if r.get("status") != "ok" and r.get("note")]
    trends = [f"- {r['benchmark']} ({r['db']}) tickets/s by tenth of the run: {r['rate_by_tenth_per_s']}"
              for r in rows if r.get("rate_by_tenth_per_s")]
    trends += [f"- {r['benchmark']} ({r['db']}): {r['cpu_ms_per_op']} ms CPU per ticket "
               f"(server process {r['server_cpu_ms_per_ticket']} ms) → at most "
               f"{r['capacity_per_s_estimate']} tickets/s on this machine's cores"
               for r in rows if r.get("capacity_per_s_estimate")]
    legend = ("result: pass/FAIL against the issue's target; (pass)/(fail) in brackets is "
              "informational — the target is stated for full scale (queue: on PostgreSQL).\n"
              "cpu ms/op: CPU time of this run (client, server, database) per ticket or request — "
              "barely affected by other processes.\n"
              "others%: share of the machine (time × cores) used by other processes meanwhile.")
    return "\n".join(lines + [""] + notes + trends + [legend])


def write(payload: dict, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    tmp.replace(path)
    return path
