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


def _differs(c: str) -> str:
    return f"excluded.{c} IS NOT NULL AND (w.{c} IS NULL OR excluded.{c} <> w.{c})"


# Only rows the upsert would change are written: a re-import leaves the table (and its indexes) alone.
_CHANGES = " OR ".join([
    "(w.product = '' AND excluded.product <> '')",
    f"({_differs('area_id')})", f"({_differs('customer_id')})",
    "(w.promised_at IS NULL AND excluded.promised_at IS NOT NULL)",
    f"({_earlier('delivery_at').replace(' < ', ' > ')})",
    f"(excluded.delivery_at = w.delivery_at AND {_differs('courier_id')})",
    *(f"({_earlier(c)})" for c in ("arrived_at", "signed_at", "returned_at", "problem_at", "settled_at")),
])

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
WHERE {_CHANGES}
"""


class _Store:
    """`store()` takes the scans as the importer rendered them for this database
    (`time_text` for the times) and waybill rows from `waybill_row`."""

    vendor = ""

    def __init__(self, connection):
        self.connection = connection
        self._ready = False

    def store(self, scans: list, waybills: list, *, batch_id: int) -> int:
        """Store one chunk inside the caller's transaction; returns the scans newly stored."""
        if not scans and not waybills:
            return 0
        with self.connection.cursor() as cursor:
            self._prepare(cursor)
            self._tune(cursor)
            self._load(cursor, "kefu_scan_stage", SCAN_COLS, scans)
            self._load(cursor, "kefu_wb_stage", WB_COLS, waybills)
            cursor.execute(INSERT_SCANS, [batch_id])
            inserted = cursor.rowcount
            cursor.execute(UPSERT_WAYBILLS)
            cursor.execute("DELETE FROM kefu_scan_stage")
            cursor.execute("DELETE FROM kefu_wb_stage")
        return inserted

    def _tune(self, cursor) -> None:
        pass

    def _prepare(self, cursor) -> None:
        if self._ready:
            return
        for name, cols in (("kefu_scan_stage", SCAN_COLS), ("kefu_wb_stage", WB_COLS)):
            spec = ", ".join(f"{c} {self._type(c)}" for c in cols)
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({spec})")
        self._ready = True


class PostgresStore(_Store):
    """Rows as COPY text lines, written in blocks of a few MB."""

    vendor = "postgresql"
    BLOCK = 4000

    def _type(self, col: str) -> str:
        return "timestamptz" if col in _TIME_COLS else "bigint" if col in _INT_COLS else "text"

    def _tune(self, cursor) -> None:
        # The import is idempotent and re-run after a crash: its chunks need not wait for the WAL flush.
        cursor.execute("SET LOCAL synchronous_commit = off")

    @staticmethod
    def time_text(value: dt.datetime) -> str:
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        return str(value)

    @staticmethod
    def waybill_row(*values) -> str:
        # Times arrive as staging text or \\N, codes escaped for COPY already.
        return "\t".join(map(str, values)) + "\n"

    def _load(self, cursor, table: str, cols: tuple, rows: list[str]) -> None:
        step = self.BLOCK
        with cursor.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for i in range(0, len(rows), step):
                copy.write("".join(rows[i:i + step]))


class SqliteStore(_Store):
    vendor = "sqlite"

    def _type(self, col: str) -> str:
        return "text" if col in _TIME_COLS or col not in _INT_COLS else "integer"

    @staticmethod
    def time_text(value: dt.datetime) -> str:
        # Datetimes as Django stores them on SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        return str(value.replace(tzinfo=None))

    @staticmethod
    def waybill_row(*values) -> tuple:
        return values

    def _tune(self, cursor) -> None:
        # A bigger page cache for this connection: the scan index grows by a chunk at a time.
        cursor.execute("PRAGMA cache_size = -65536")

    def _load(self, cursor, table: str, cols: tuple, rows: list) -> None:
        marks = ", ".join("?" * len(cols))
        cursor.cursor.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)


def for_connection(connection) -> _Store:
    if connection.vendor == "postgresql":
        return PostgresStore(connection)
    if connection.vendor == "sqlite":
        return SqliteStore(connection)
    raise NotImplementedError(f"scan import does not support {connection.vendor}")
