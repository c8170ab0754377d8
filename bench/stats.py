"""Percentiles by linear interpolation between closest ranks (numpy's default)."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    data = sorted(values)
    k = (len(data) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50 / p95 / max / mean in milliseconds of durations given in seconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2) if ms else float("nan"),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else float("nan"),
        "samples": len(ms),
    }
