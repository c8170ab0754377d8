"""Bulk storage of parsed scans through staging tables: COPY on PostgreSQL,
executemany or the parser process's own files on SQLite; everything after that
is set-based SQL.

One import, on one connection:

- `begin`: empty the session's temporary tables.
- per chunk, inside the caller's transaction:
  1. `load_scans`: the parsed rows into `kefu_scan_stage`.
  2. `add_codes` / `add_terms`: the ids of the area, courier and customer codes
     the chunk names (the importer looks them up, creating unknown areas and
     couriers unconfirmed) and the deadline allowance and warning lead of each
     (point, product, area, local day) — small tables, kept for the whole import.
  3. `insert_scans`: into parcels_scanevent, `ON CONFLICT DO NOTHING` (idempotent
     on waybill, type and time); the row count is what was new.
  4. `upsert_waybills`: the chunk grouped by waybill — earliest arrival,
     sign-off, return and problem scan, latest delivery scan and its employee:
     one GROUP BY, or as the column parser grouped it (`kefu_group_stage`) —
     joined to the codes and terms, into parcels_waybill with "earliest scan
     wins" rules, so chunks and re-imports merge in any order; only rows the
     upsert would change are written.
  5. `clear` the chunk's scans.

Times are UTC in the database; the local arrival day is UTC+8 (Asia/Shanghai
has kept no daylight saving time since 1991).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from kefu.parcels.ingest.shape import (
    AREA,
    ARRIVAL,
    CODE_COLS,
    CODE_TEXT_COLS,
    COURIER,
    CUSTOMER,
    DELIVERY,
    GROUP_COLS,
    INT_COLS,
    PROBLEM,
    RETURN,
    SCAN_COLS,
    SIGNOFF,
    TERM_COLS,
    TIME_COLS,
    WB_COLS,
    Staged,
)

STAGE = "kefu_scan_stage"
GROUP_STAGE = "kefu_group_stage"


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

# PostgreSQL's split of the scans by whether their waybill is new (see PostgresStore.store_chunk).
NEW_WAYBILLS = """
WITH upserted AS ({upsert} RETURNING w.point_id, w.waybill_no, w.xmax = 0 AS inserted)
INSERT INTO kefu_new_waybills SELECT point_id, waybill_no FROM upserted WHERE inserted
"""
INSERT_NEW_SCANS = f"""
INSERT INTO parcels_scanevent ({", ".join(SCAN_COLS)}, batch_id)
SELECT {", ".join("s." + c for c in SCAN_COLS)}, %s
FROM kefu_scan_stage s JOIN kefu_new_waybills n ON n.point_id = s.point_id AND n.waybill_no = s.waybill_no
"""
INSERT_OTHER_SCANS = f"""
INSERT INTO parcels_scanevent ({", ".join(SCAN_COLS)}, batch_id)
SELECT {", ".join("s." + c for c in SCAN_COLS)}, %s FROM kefu_scan_stage s
WHERE NOT EXISTS (SELECT FROM kefu_new_waybills n WHERE n.point_id = s.point_id AND n.waybill_no = s.waybill_no)
ON CONFLICT (waybill_no, scan_type, scanned_at) DO NOTHING
"""

# The same split when the parser grouped the chunk (PostgresStore._store_grouped): the
# waybills stored before, looked up one primary-key probe each (a scalar subquery is
# always a probe per row; a join could be planned as a scan of the whole table).
OLD_WAYBILLS = """
INSERT INTO kefu_old_waybills SELECT g.point_id, g.waybill_no FROM {grouped} g
WHERE (SELECT 1 FROM parcels_waybill x WHERE x.point_id = g.point_id AND x.waybill_no = g.waybill_no) IS NOT NULL
ON CONFLICT DO NOTHING
"""
_OLD = "SELECT FROM kefu_old_waybills o WHERE o.point_id = {t}.point_id AND o.waybill_no = {t}.waybill_no"
INSERT_SCANS_OF_NEW = f"""
INSERT INTO parcels_scanevent ({", ".join(SCAN_COLS)}, batch_id)
SELECT {", ".join("s." + c for c in SCAN_COLS)}, %s FROM kefu_scan_stage s WHERE NOT EXISTS ({_OLD.format(t="s")})
"""
INSERT_SCANS_OF_OLD = f"""
INSERT INTO parcels_scanevent ({", ".join(SCAN_COLS)}, batch_id)
SELECT {", ".join("s." + c for c in SCAN_COLS)}, %s FROM kefu_scan_stage s WHERE EXISTS ({_OLD.format(t="s")})
ON CONFLICT (waybill_no, scan_type, scanned_at) DO NOTHING
"""

INSERT_CODES = f"INSERT INTO kefu_codes ({', '.join(CODE_COLS)}) VALUES ({', '.join(['%s'] * len(CODE_COLS))})"
INSERT_TERMS = f"INSERT INTO kefu_terms_stage ({', '.join(TERM_COLS)}) VALUES ({', '.join(['%s'] * len(TERM_COLS))})"

_FIRST_CODE = "COALESCE(MAX(NULLIF({c}, '')), '')"

_SETTLED = ("CASE WHEN signed_at IS NULL THEN returned_at WHEN returned_at IS NULL THEN signed_at "
            "WHEN signed_at < returned_at THEN signed_at ELSE returned_at END")

_UPSERT = """
INSERT INTO parcels_waybill AS w ({cols})
{select}
ON CONFLICT (point_id, waybill_no) DO UPDATE SET
  product = CASE WHEN w.product = '' THEN excluded.product ELSE w.product END,
  area_id = COALESCE(excluded.area_id, w.area_id),
  customer_id = COALESCE(excluded.customer_id, w.customer_id),
  promised_at = COALESCE(w.promised_at, excluded.promised_at),
  courier_id = CASE WHEN {newer_delivery} THEN COALESCE(excluded.courier_id, w.courier_id) ELSE w.courier_id END,
  delivery_at = CASE WHEN {newer_delivery} THEN excluded.delivery_at ELSE w.delivery_at END,
  deadline = CASE WHEN {earlier_arrival} THEN excluded.deadline ELSE w.deadline END,
  warn_at = CASE WHEN {earlier_arrival} THEN excluded.warn_at ELSE w.warn_at END,
  {arrived},
  {signed},
  {returned},
  {problem},
  {settled}
WHERE {changes}
"""


def _upsert(select: str) -> str:
    return _UPSERT.format(
        cols=", ".join(WB_COLS), select=select, newer_delivery=_newer("delivery_at"),
        earlier_arrival=_earlier("arrived_at"), arrived=_earliest("arrived_at"), signed=_earliest("signed_at"),
        returned=_earliest("returned_at"), problem=_earliest("problem_at"), settled=_earliest("settled_at"),
        changes=_CHANGES,
    )


class _Store:
    """The statements of one import; the importer calls them in order (see the module docstring)."""

    vendor = ""
    NULL = None
    GROUPED = ""  # one row per waybill of the chunk, codes and times as the scans give them
    CLEAR = "DELETE FROM kefu_scan_stage"
    STAGE_COLS = SCAN_COLS  # the scan staging table's columns
    DEADLINE = ""  # expressions over the grouped row g and the terms t
    WARN_AT = ""

    def __init__(self, connection):
        self.connection = connection
        self._ready = False
        self.source = STAGE  # where the chunk's scans are: the temporary table, or a parser's table
        self.grouped = None  # where the chunk's scans grouped by waybill are, when the parser grouped them
        self.grouped_count = 0  # and how many waybills they are
        self._deferred: Staged | None = None  # scans not staged yet (PostgresStore._defer)
        self._analyzed: set[str] = set()

    def _sql(self, text: str) -> str:
        return text if self.source == STAGE else text.replace(STAGE, self.source)

    def cursor(self):
        cursor = self.connection.cursor()
        if not self._ready:
            self._setup(cursor)
            for name, cols in ((STAGE, self.STAGE_COLS), (GROUP_STAGE, GROUP_COLS), ("kefu_codes", CODE_COLS),
                               ("kefu_terms_stage", TERM_COLS)):
                spec = ", ".join(f"{c} {self.column_type(c)}" for c in cols)
                cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({spec})")
            cursor.execute("CREATE INDEX IF NOT EXISTS kefu_codes_key ON kefu_codes (kind, point_id, code)")
            cursor.execute("CREATE INDEX IF NOT EXISTS kefu_terms_key ON kefu_terms_stage (point_id, product, area_key, day)")
            self._ready = True
        self._tune(cursor)
        return cursor

    def begin(self) -> None:
        """Empty what an earlier import on this connection left behind."""
        with self.cursor() as cursor:
            for table in (STAGE, GROUP_STAGE, "kefu_codes", "kefu_terms_stage"):
                cursor.execute(f"DELETE FROM {table}")

    def _setup(self, cursor) -> None:
        pass

    def _tune(self, cursor) -> None:
        pass

    def renumber_points(self, cursor, mapping: dict[int, int]) -> None:
        """Points a file named before they existed were staged under provisional ids."""
        for provisional, real in mapping.items():
            cursor.execute("UPDATE kefu_scan_stage SET point_id = %s WHERE point_id = %s", [real, provisional])
            if self.grouped == GROUP_STAGE:
                cursor.execute(f"UPDATE {GROUP_STAGE} SET point_id = %s WHERE point_id = %s", [real, provisional])

    def add_codes(self, cursor, rows: list[tuple[int, int, str, int]]) -> None:
        """(kind, point id, code, id) rows: AREA, COURIER or CUSTOMER."""
        if rows:
            cursor.executemany(INSERT_CODES, rows)
            self._analyze(cursor, "kefu_codes")

    def add_terms(self, cursor, rows: list[tuple[int, str, int | None, dt.date, int, int]]) -> None:
        """(point id, product, area id or None, local day, allowance minutes, lead minutes) rows."""
        if rows:
            cursor.executemany(
                INSERT_TERMS,
                [(p, product, area_id or 0, str(day), allowance, lead)
                 for p, product, area_id, day, allowance, lead in rows])
            self._analyze(cursor, "kefu_terms_stage")

    def _analyze(self, cursor, table: str) -> None:
        pass

    def store_chunk(self, cursor, *, batch_id: int) -> int:
        """The staged scans into the real tables; returns how many scans were new."""
        created = self.insert_scans(cursor, batch_id=batch_id)
        self.upsert_waybills(cursor)
        return created

    def insert_scans(self, cursor, *, batch_id: int) -> int:
        cursor.execute(self._sql(INSERT_SCANS), [batch_id])
        return cursor.rowcount

    def upsert_waybills(self, cursor) -> None:
        cursor.execute(self._sql(self._upsert_sql()))

    def _upsert_sql(self, where: str = "") -> str:
        return _upsert(self._select_sql(where))

    def _select_sql(self, where: str = "") -> str:
        """The chunk's waybills as parcels_waybill rows (WB_COLS); `where` filters
        the grouped rows (alias g0) when the parser grouped them."""
        select = f"""
        SELECT point_id, waybill_no, product, area_id, courier_id, customer_id, arrived_at, promised_at, deadline,
          {self.WARN_AT}, delivery_at, signed_at, returned_at, problem_at, {_SETTLED}
        FROM (
          SELECT g.point_id, g.waybill_no, g.product, a.ref_id AS area_id, c.ref_id AS courier_id,
            k.ref_id AS customer_id, g.arrived_at, g.promised_at, t.lead, {self.DEADLINE} AS deadline,
            g.delivery_at, g.signed_at, g.returned_at, g.problem_at
          FROM ({self.GROUPED}) g
          LEFT JOIN kefu_codes a ON a.kind = {AREA} AND a.point_id = g.point_id AND a.code = g.area_code
          LEFT JOIN kefu_codes c ON c.kind = {COURIER} AND c.point_id = g.point_id AND c.code = g.employee_no
          LEFT JOIN kefu_codes k ON k.kind = {CUSTOMER} AND k.point_id = g.point_id AND k.code = g.customer_code
          LEFT JOIN kefu_terms_stage t ON t.point_id = g.point_id AND t.product = g.product
            AND t.area_key = COALESCE(a.ref_id, 0) AND t.day = {self.LOCAL_DAY.format(t="g.arrived_at")}
        ) s WHERE true"""
        if self.grouped is not None:
            select = select.replace(self.GROUPED, f"SELECT {', '.join(GROUP_COLS)} FROM {self.grouped} g0 {where}")
        return select

    def clear(self, cursor) -> None:
        if self.source == STAGE:
            cursor.execute(self.CLEAR)
        if self.grouped == GROUP_STAGE:
            cursor.execute(self.CLEAR.replace(STAGE, GROUP_STAGE))
        self.source = STAGE
        self.grouped = None
        self._deferred = None

    def load_scans(self, cursor, rows, *, writable: bool = False) -> None:
        """The chunk's rows into the staging table. A parser process's chunk
        (`shape.Staged`) may be in a table of its own already, read from
        there unless `writable` (the caller will rewrite it); and may come
        grouped by waybill as well (`Staged.grouped`), likewise."""
        if isinstance(rows, Staged):
            if rows.grouped is not None:
                self.grouped = self._place(cursor, rows.grouped, GROUP_STAGE, writable)
                self.grouped_count = rows.grouped.count
                if self._defer(rows, writable):
                    return
            self.source = self._place(cursor, rows, STAGE, writable)
            return
        self._load(cursor, rows)

    def _defer(self, staged: Staged, writable: bool) -> bool:
        """Whether the scans may wait for `store_chunk`, which may write them straight
        into their table (PostgreSQL); then they are not staged yet."""
        return False

    def _place(self, cursor, staged: Staged, stage: str, writable: bool) -> str:
        """Where the staged rows are read from: the parser's table, or `stage`."""
        if staged.table is not None:
            if not writable:
                return staged.table
            # Provisional point ids are rewritten in the staging table, which is ours to write.
            cursor.execute(f"INSERT INTO {stage} SELECT * FROM {staged.table}")
            return stage
        self._load(cursor, staged.data if staged.data is not None else staged.rows, table=stage, binary=staged.binary)
        return stage


class PostgresStore(_Store):
    """Rows arrive as COPY text lines, written in blocks of a few MB."""

    vendor = "postgresql"
    BLOCK = 4000
    _mostly_new = True  # whether the last chunk's waybills were mostly new (a first import)
    NULL = "\\N"
    LOCAL_DAY = "({t} AT TIME ZONE 'Asia/Shanghai')::date"
    TIME_SUFFIX = "+00:00"
    CLEAR = "TRUNCATE kefu_scan_stage"
    # A parser process's binary COPY data carries the batch's id: the same rows go straight into
    # parcels_scanevent or, when one was stored before, into the staging table.
    STAGE_COLS = (*SCAN_COLS, "batch_id")

    GROUPED = f"""
      SELECT point_id, waybill_no, {_FIRST_CODE.format(c="product")} AS product,
        {_FIRST_CODE.format(c="area_code")} AS area_code, {_FIRST_CODE.format(c="customer_code")} AS customer_code,
        -- the latest delivery scan's employee: a fixed-width UTC time before it makes MAX pick that scan
        substr(MAX(CASE WHEN scan_type = {DELIVERY}
                   THEN to_char(scanned_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || employee_no END), 21)
          AS employee_no,
        MIN(scanned_at) FILTER (WHERE scan_type = {ARRIVAL}) AS arrived_at, MIN(promised_at) AS promised_at,
        MAX(scanned_at) FILTER (WHERE scan_type = {DELIVERY}) AS delivery_at,
        MIN(scanned_at) FILTER (WHERE scan_type = {SIGNOFF}) AS signed_at,
        MIN(scanned_at) FILTER (WHERE scan_type = {RETURN}) AS returned_at,
        MIN(scanned_at) FILTER (WHERE scan_type = {PROBLEM}) AS problem_at
      FROM kefu_scan_stage GROUP BY point_id, waybill_no"""
    DEADLINE = ("CASE WHEN g.arrived_at IS NOT NULL "
                "THEN COALESCE(g.promised_at, g.arrived_at + t.allowance * interval '1 minute') END")
    WARN_AT = "deadline - lead * interval '1 minute'"

    def column_type(self, col: str) -> str:
        # Codes compare byte by byte, as the column parser's grouping (and SQLite) does.
        if col == "waybill_no" or col in CODE_TEXT_COLS:
            return 'text COLLATE "C"'
        if col == "day":  # compared as a date: no text to make of each waybill's arrival day
            return "date"
        if col == "scan_type":  # as in parcels_scanevent: binary COPY data fits both
            return "smallint"
        return "timestamptz" if col in TIME_COLS else "bigint" if col in INT_COLS else "text"

    def _setup(self, cursor) -> None:
        cursor.execute('CREATE TEMPORARY TABLE IF NOT EXISTS kefu_new_waybills '
                       '(point_id bigint, waybill_no text COLLATE "C")')
        cursor.execute('CREATE TEMPORARY TABLE IF NOT EXISTS kefu_old_waybills '
                       '(point_id bigint, waybill_no text COLLATE "C", PRIMARY KEY (point_id, waybill_no))')

    def _tune(self, cursor) -> None:
        # The import is idempotent and re-run after a crash: its chunks need not wait for the WAL flush.
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The chunk's GROUP BY sorts in memory, and the waybills meet the small code and
        # term tables in hash joins (with one point in them, a merge join on point_id
        # would pair every waybill with every code before filtering).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL enable_mergejoin = off")

    @staticmethod
    def time_text(value: dt.datetime) -> str:
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        return str(value)

    @staticmethod
    def binary_kinds() -> dict[str, str]:
        """The type of each staged column, for `columnar.copy_binary`."""
        return {c: "bigint" if c in ("point_id", "batch_id") else "smallint" if c == "scan_type"
                else "time" if c in TIME_COLS else "text" for c in (*SCAN_COLS, *GROUP_COLS, "batch_id")}

    def _load(self, cursor, rows: list[str] | bytes, table: str = STAGE, binary: bool = False) -> None:
        """COPY text lines, or a block of them as bytes from a parser process, or
        the parser's binary COPY data (scans with their batch id)."""
        cols = GROUP_COLS if table == GROUP_STAGE else self.STAGE_COLS if binary else SCAN_COLS
        binary_format = " (FORMAT binary)" if binary else ""
        with cursor.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN{binary_format}") as copy:
            if isinstance(rows, bytes):
                view = memoryview(rows)
                for i in range(0, len(view), 1 << 22):
                    copy.write(view[i:i + (1 << 22)])
            else:
                for i in range(0, len(rows), self.BLOCK):
                    copy.write("".join(rows[i:i + self.BLOCK]))
        self._analyze(cursor, table)

    def _analyze(self, cursor, table: str) -> None:
        # Autovacuum never analyses a temporary table: without statistics the planner
        # joins the waybills to the small code and term tables by sorting millions of rows.
        # The scans' statistics from the first chunk serve the others (TRUNCATE keeps them,
        # and the planner reads the row count from the table's size): ANALYZE costs as
        # much as the COPY.
        if table in (STAGE, GROUP_STAGE):
            if table in self._analyzed:
                return
            self._analyzed.add(table)
        cursor.execute(f"ANALYZE {table}")

    def _defer(self, staged: Staged, writable: bool) -> bool:
        # COPY text from the column parser, in a chunk whose points need no renumbering
        # (`writable` says they may: the staged rows are rewritten then).
        if writable or staged.data is None or staged.grouped is None:
            return False
        self._deferred = staged
        return True

    def _stage_deferred(self, cursor) -> None:
        if self._deferred is not None:
            self._load(cursor, self._deferred.data, binary=self._deferred.binary)
            self._deferred = None

    def _copy_scans(self, cursor, batch_id: int) -> int | None:
        """The deferred scans COPYed straight into parcels_scanevent: the rows skip
        the staging table and the join that sorts them. None (and the scans
        staged) when one of them was there already: the COPY is undone whole."""
        staged, self._deferred = self._deferred, None
        # Binary data carries the batch's id; each line of text gets it added.
        data = staged.data if staged.binary else staged.data.replace(b"\n", b"\t%d\n" % batch_id)
        binary_format = " (FORMAT binary)" if staged.binary else ""
        try:
            # wrap_database_errors: psycopg's own cursor raises psycopg's errors, not Django's.
            with transaction.atomic(using=self.connection.alias), self.connection.wrap_database_errors:
                cols = ", ".join([*SCAN_COLS, "batch_id"])
                with cursor.cursor.copy(f"COPY parcels_scanevent ({cols}) FROM STDIN{binary_format}") as copy:
                    view = memoryview(data)
                    for i in range(0, len(view), 1 << 22):
                        copy.write(view[i:i + (1 << 22)])
        except IntegrityError:
            self._load(cursor, staged.data, binary=staged.binary)
            return None
        return staged.count

    def store_chunk(self, cursor, *, batch_id: int) -> int:
        """Waybills first, noting which are new: a new waybill's scans cannot be
        in the table yet, so they go in with a plain INSERT, less work than
        `ON CONFLICT` (which probes the unique index before each row), or, when
        most of the chunk's waybills are new and the scans are COPY data still,
        all of them straight in by COPY. The chunk holds no duplicate scans (the parser drops
        them). Should a new waybill's scan exist all the same (scans of one
        waybill number under another point, or a waybill deleted without its
        scans), the chunk's scans take the `ON CONFLICT` path."""
        # A chunk the parser grouped looks its stored waybills up first, unless the previous
        # chunk's were mostly stored (a re-import): then the upsert's own probe is the look-up.
        if self.grouped is not None and self._mostly_new:
            created = self._store_grouped(cursor, batch_id)
            if created is not None:
                return created
        cursor.execute("TRUNCATE kefu_new_waybills")
        cursor.execute(self._sql(NEW_WAYBILLS.format(upsert=self._upsert_sql())))
        return self._store_scans(cursor, batch_id, new=cursor.rowcount, of_new=INSERT_NEW_SCANS,
                                 of_others=INSERT_OTHER_SCANS)

    def _store_grouped(self, cursor, batch_id: int) -> int | None:
        """`store_chunk` for a chunk the parser grouped: the waybills stored before
        are looked up first (`OLD_WAYBILLS`), so the new ones go in with a plain
        INSERT, and only the others through `ON CONFLICT`, whose every row costs a
        probe of the unique index before its insert and a second pass over each
        index entry after. None when a new waybill turned out to be stored all the
        same (another import stored it meanwhile): nothing was written, and the
        caller takes the upsert's way."""
        cursor.execute("TRUNCATE kefu_old_waybills")
        cursor.execute(OLD_WAYBILLS.format(grouped=self.grouped))
        old = cursor.rowcount
        if old < self.grouped_count:
            try:
                with transaction.atomic(using=self.connection.alias):
                    where = f"WHERE NOT EXISTS ({_OLD.format(t='g0')})" if old else ""
                    cursor.execute(f"INSERT INTO parcels_waybill ({', '.join(WB_COLS)}) {self._select_sql(where)}")
            except IntegrityError:
                return None
        if old:
            cursor.execute(self._upsert_sql(f"WHERE EXISTS ({_OLD.format(t='g0')})"))
        return self._store_scans(cursor, batch_id, new=self.grouped_count - old, of_new=INSERT_SCANS_OF_NEW,
                                 of_others=INSERT_SCANS_OF_OLD if old else None)

    def _store_scans(self, cursor, batch_id: int, *, new: int, of_new: str, of_others: str | None) -> int:
        """The chunk's scans, its waybills stored, `new` of them new: `of_new` inserts
        the new waybills' scans plainly, `of_others` (None: there are none) the
        others' with `ON CONFLICT`. Most of the chunk's waybills new (a fresh part of a
        file, whose few older waybills, such as the one a chunk boundary split, most
        likely bring new scans only): the scans still in COPY data go straight in."""
        if self.grouped is not None:
            self._mostly_new = 2 * new > self.grouped_count
        if self._deferred is not None and self._mostly_new:
            created = self._copy_scans(cursor, batch_id)
            if created is not None:
                return created
        self._stage_deferred(cursor)
        if not new:
            return self.insert_scans(cursor, batch_id=batch_id)
        try:
            with transaction.atomic(using=self.connection.alias):
                cursor.execute(self._sql(of_new), [batch_id])
        except IntegrityError:
            return self.insert_scans(cursor, batch_id=batch_id)
        created = cursor.rowcount
        if of_others is not None:
            cursor.execute(self._sql(of_others), [batch_id])
            created += cursor.rowcount
        return created


class SqliteStore(_Store):
    vendor = "sqlite"
    LOCAL_DAY = "date({t}, '+8 hours')"
    TIME_SUFFIX = ""

    GROUPED = f"""
      SELECT point_id, waybill_no, product, area_code, customer_code,
        substr(delivery, instr(delivery, '|') + 1) AS employee_no, arrived_at, promised_at,
        substr(delivery, 1, instr(delivery, '|') - 1) AS delivery_at, signed_at, returned_at, problem_at
      FROM (
        SELECT point_id, waybill_no, {_FIRST_CODE.format(c="product")} AS product,
          {_FIRST_CODE.format(c="area_code")} AS area_code, {_FIRST_CODE.format(c="customer_code")} AS customer_code,
          MIN(CASE WHEN scan_type = {ARRIVAL} THEN scanned_at END) AS arrived_at, MIN(promised_at) AS promised_at,
          -- the latest delivery scan and its employee: times sort as text ('|' sorts after the
          -- digits, so of two scans in the same second, one with fractions loses to one without)
          MAX(CASE WHEN scan_type = {DELIVERY} THEN scanned_at || '|' || employee_no END) AS delivery,
          MIN(CASE WHEN scan_type = {SIGNOFF} THEN scanned_at END) AS signed_at,
          MIN(CASE WHEN scan_type = {RETURN} THEN scanned_at END) AS returned_at,
          MIN(CASE WHEN scan_type = {PROBLEM} THEN scanned_at END) AS problem_at
        FROM kefu_scan_stage GROUP BY point_id, waybill_no
      )"""
    # datetime() writes "YYYY-MM-DD HH:MM:SS", as Django stores datetimes on SQLite.
    DEADLINE = ("CASE WHEN g.arrived_at IS NOT NULL "
                "THEN COALESCE(g.promised_at, datetime(g.arrived_at, '+' || t.allowance || ' minutes')) END")
    WARN_AT = "datetime(deadline, '-' || lead || ' minutes')"

    def column_type(self, col: str) -> str:
        return "integer" if col in INT_COLS else "text"

    @staticmethod
    def time_text(value: dt.datetime) -> str:
        # Datetimes as Django stores them on SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        return str(value.replace(tzinfo=None))

    def _setup(self, cursor) -> None:
        # A bigger page cache for this connection: the scan index grows by a chunk at a time.
        cursor.execute("PRAGMA cache_size = -16384")

    def _load(self, cursor, rows: list, table: str = STAGE, binary: bool = False) -> None:
        cols = GROUP_COLS if table == GROUP_STAGE else SCAN_COLS
        marks = ", ".join("?" * len(cols))
        cursor.cursor.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)


def for_connection(connection) -> _Store:
    if connection.vendor == "postgresql":
        return PostgresStore(connection)
    if connection.vendor == "sqlite":
        return SqliteStore(connection)
    raise NotImplementedError(f"scan import does not support {connection.vendor}")
