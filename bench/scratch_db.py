"""A throwaway database for a standalone benchmark (bench.scan_import, bench.sweep):
an SQLite file, or a PostgreSQL database created through the admin URL."""

from __future__ import annotations

import os
from pathlib import Path

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def fresh(db: str, *, sqlite_file: Path, postgres_db: str) -> str:
    """Drop and create the database; returns its DATABASE_URL."""
    drop(db, sqlite_file=sqlite_file, postgres_db=postgres_db)
    if db == "sqlite":
        return f"sqlite:///{sqlite_file}"
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {postgres_db}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{postgres_db}"


def drop(db: str, *, sqlite_file: Path, postgres_db: str) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {postgres_db} WITH (FORCE)")
