"""Bulk storage of parsed scans and waybill aggregates through temporary
staging tables: COPY on PostgreSQL, executemany on SQLite, then the same
set-based INSERT … SELECT … ON CONFLICT statements on both."""

from __future__ import annotations

import datetime as dt

SCAN_COLS = ("point_id", "waybill_no", "scan_type", "scanned_at", "employee_no", "product",
             "promised_at", "area_code", "customer_code")
WB_COLS = ("point_id", "waybill_no", "product", "area_id", "courier_id", "customer_id", "arrived_at",
           "promised_at", "deadline", "warn_at", "delivery_at", "signed_at", "returned_at",
           "problem_at", "settled_at")
_TIME_COLS = {"scanned_at", "promised_at", "arrived_at", "deadline", "warn_at", "delivery_at",
              "signed_at", "returned_at", "problem_at", "settled_at"}
_INT_COLS = {"point_id", "scan_type", "area_id", "courier_id", "customer_id"}


def _earlier(c: str) -> str:
    return f"excluded.{c} IS NOT NULL AND (w.{c} IS NULL OR excluded.{c} < w.{c})"


def _newer(c: str) -> str:
    return f"excluded.{c} IS NOT NULL AND (w.{c} IS NULL OR excluded.{c} >= w.{c})"


def _earliest(c: str) -> str:
    return f"{c} = CASE WHEN {_earlier(c)} THEN excluded.{c} ELSE w.{c} END"


INSERT_SCANS = f"""
INSERT INTO parcels_scanevent ({", ".join(SCAN_COLS)}, batch_id)
SELECT {", ".join(SCAN_COLS)}, %s FROM kefu_scan_stage WHERE true
ON CONFLICT (waybill_no, scan_type, scanned_at) DO NOTHING
"""

UPSERT_WAYBILLS = f"""
INSERT INTO parcels_waybill AS w ({", ".join(WB_COLS)})
SELECT {", ".join(WB_COLS)} FROM kefu_wb_stage WHERE true
ON CONFLICT (point_id, waybill_no) DO UPDATE SET
  product = CASE WHEN w.product = '' THEN excluded.product ELSE w.product END,
  area_id = COALESCE(excluded.area_id, w.area_id),
  customer_id = COALESCE(excluded.customer_id, w.customer_id),
  promised_at = COALESCE(w.promised_at, excluded.promised_at),
  courier_id = CASE WHEN {_newer("delivery_at")} THEN COALESCE(excluded.courier_id, w.courier_id) ELSE w.courier_id END,
  delivery_at = CASE WHEN {_newer("delivery_at")} THEN excluded.delivery_at ELSE w.delivery_at END,
  deadline = CASE WHEN {_earlier("arrived_at")} THEN excluded.deadline ELSE w.deadline END,
  warn_at = CASE WHEN {_earlier("arrived_at")} THEN excluded.warn_at ELSE w.warn_at END,
  {_earliest("arrived_at")},
  {_earliest("signed_at")},
  {_earliest("returned_at")},
  {_earliest("problem_at")},
  {_earliest("settled_at")}
"""


class _Store:
    vendor = ""

    def __init__(self, connection):
        self.connection = connection
        self._ready = False

    def store(self, scans: list[tuple], waybills: list[tuple], *, batch_id: int) -> int:
        """Store one chunk inside the caller's transaction; returns the scans newly stored."""
        if not scans and not waybills:
            return 0
        with self.connection.cursor() as cursor:
            self._prepare(cursor)
            self._load(cursor, "kefu_scan_stage", SCAN_COLS, scans)
            self._load(cursor, "kefu_wb_stage", WB_COLS, waybills)
            cursor.execute(INSERT_SCANS, [batch_id])
            inserted = cursor.rowcount
            cursor.execute(UPSERT_WAYBILLS)
            cursor.execute("DELETE FROM kefu_scan_stage")
            cursor.execute("DELETE FROM kefu_wb_stage")
        return inserted

    def _prepare(self, cursor) -> None:
        if self._ready:
            return
        for name, cols in (("kefu_scan_stage", SCAN_COLS), ("kefu_wb_stage", WB_COLS)):
            spec = ", ".join(f"{c} {self._type(c)}" for c in cols)
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({spec})")
        self._ready = True


class PostgresStore(_Store):
    vendor = "postgresql"

    def _type(self, col: str) -> str:
        return "timestamptz" if col in _TIME_COLS else "bigint" if col in _INT_COLS else "text"

    def _load(self, cursor, table: str, cols: tuple, rows: list[tuple]) -> None:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class SqliteStore(_Store):
    vendor = "sqlite"

    def _type(self, col: str) -> str:
        return "text" if col in _TIME_COLS or col not in _INT_COLS else "integer"

    def _load(self, cursor, table: str, cols: tuple, rows: list[tuple]) -> None:
        # Datetimes as Django stores them on SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        positions = [i for i, c in enumerate(cols) if c in _TIME_COLS]
        cache: dict[dt.datetime, str] = {}

        def text(v):
            if v is None:
                return None
            s = cache.get(v)
            if s is None:
                s = cache[v] = str(v.astimezone(dt.UTC).replace(tzinfo=None))
            return s

        def convert(row):
            row = list(row)
            for i in positions:
                row[i] = text(row[i])
            return row

        marks = ", ".join("?" * len(cols))
        cursor.cursor.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", map(convert, rows)
        )


def for_connection(connection) -> _Store:
    if connection.vendor == "postgresql":
        return PostgresStore(connection)
    if connection.vendor == "sqlite":
        return SqliteStore(connection)
    raise NotImplementedError(f"scan import does not support {connection.vendor}")
