"""What the figures were measured on: hardware, software, database servers, commit."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _postgres(url: str | None) -> dict | None:
    if not url:
        return None
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost")
            }
    except psycopg.Error:
        return None
    return {"version": version, "settings": settings}


def machine_info(postgres_url: str | None) -> dict:
    import django

    commit = _git("rev-parse", "HEAD")
    return {
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpu_cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres(postgres_url),
        "git_commit": commit,
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }
