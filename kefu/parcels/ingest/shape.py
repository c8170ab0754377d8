"""The scan row's shape, declared once: the fields a file gives, the columns a
scan has once staged, the chunks the parser hands over.

A file row has the FIELDS (each found under its default header, or another
the caller maps it to). A staged scan is a tuple in SCAN_COLS order (point id,
waybill, scan type, time, employee, product, promised time, area, customer):
what `cells.RowReader.row` returns, a row of the scan staging table, a line of
COPY text (`COPY_LINE`), a row of the column parser's Arrow table. The column
parser also groups a chunk by waybill (GROUP_COLS), and on SQLite stages it
compactly (CODE_SET_COLS, COMPACT_SCAN_COLS, COMPACT_GROUP_COLS). Every other
module takes these names from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kefu.parcels.models import ScanType

# The fields of a file row, with the header each has in a file of the default layout.
DEFAULT_SCAN_MAPPING = {
    "waybill_no": "运单号", "scan_type": "扫描类型", "scanned_at": "扫描时间", "point_code": "网点编号",
    "employee_no": "员工工号", "product": "产品类型", "promised_at": "签收时限", "area_code": "片区",
    "customer_code": "客户编号",
}
FIELDS = tuple(DEFAULT_SCAN_MAPPING)
REQUIRED_SCAN_FIELDS = ("waybill_no", "scan_type", "scanned_at", "point_code")

ARRIVAL, DELIVERY, SIGNOFF, PROBLEM, RETURN = (
    int(t) for t in (ScanType.ARRIVAL, ScanType.DELIVERY, ScanType.SIGNOFF, ScanType.PROBLEM, ScanType.RETURN))

# A staged scan.
SCAN_COLS = ("point_id", "waybill_no", "scan_type", "scanned_at", "employee_no", "product",
             "promised_at", "area_code", "customer_code")
# A staged scan as a line of COPY text (PostgreSQL), its codes escaped (`cells.COPY_ESCAPES`).
COPY_LINE = "\t".join(["%s"] * len(SCAN_COLS)) + "\n"
# A chunk's scans grouped by waybill, when the column parser did that.
GROUP_COLS = ("point_id", "waybill_no", "product", "area_code", "customer_code", "employee_no", "arrived_at",
              "promised_at", "delivery_at", "signed_at", "returned_at", "problem_at")
# The ids of the codes a file names (kinds AREA, COURIER, CUSTOMER), and the deadline terms.
CODE_COLS = ("kind", "point_id", "code", "ref_id")
AREA, COURIER, CUSTOMER = 1, 2, 3
TERM_COLS = ("point_id", "product", "area_key", "day", "allowance", "lead")
# A waybill as the import writes it into parcels_waybill.
WB_COLS = ("point_id", "waybill_no", "product", "area_id", "courier_id", "customer_id", "arrived_at",
           "promised_at", "deadline", "warn_at", "delivery_at", "signed_at", "returned_at",
           "problem_at", "settled_at")
# The types of the staged columns: times, codes (compared byte by byte), integers; the rest is text.
TIME_COLS = frozenset({"scanned_at", "promised_at", "arrived_at", "delivery_at", "signed_at", "returned_at",
                       "problem_at"})
CODE_TEXT_COLS = frozenset({"employee_no", "product", "area_code", "customer_code", "code"})
INT_COLS = frozenset({"point_id", "scan_type", "kind", "ref_id", "area_key", "allowance", "lead", "batch_id"})

# The codes of a row (point, employee, product, area, customer) repeat all day: in the SQLite
# staging tables each row names its combination of codes by number, and the combinations
# are a small table of their own. A row then binds five values rather than nine.
CODE_SET_COLS = ("point_id", "employee_no", "product", "area_code", "customer_code")
COMPACT_SCAN_COLS = ("waybill_no", "scan_type", "scanned_at", "promised_at", "codes")
COMPACT_GROUP_COLS = ("waybill_no", "codes", "arrived_at", "promised_at", "delivery_at", "signed_at",
                      "returned_at", "problem_at")


@dataclass
class Job:
    """What the importer asks of the parser process (sent pickled on its stdin)."""

    path: str
    file_name: str
    index: dict[str, int | None]
    points: dict[str, int]
    restricted: bool
    vendor: str  # "postgresql" or "sqlite"
    language: str | None
    chunk_rows: int
    required: set[str]
    stage_db: str | None  # SQLite only: the staging files' path prefix, None to send rows through the pipe
    columnar: bool = True  # the file is a CSV the column parser reads (the importer found it fit: columnar_applies)
    batch_id: int | None = None  # the ImportBatch, whose id the column parser's binary COPY data carries


@dataclass
class Staged:
    """A chunk's rows as the parser process left them: in `table` of the staging
    database (SQLite), or as COPY text `data` (PostgreSQL), or as `rows`."""

    count: int
    file: str | None = None  # SQLite: the staging database file `table` is in, to ATTACH as STAGE_SCHEMA
    table: str | None = None
    data: bytes | None = None
    rows: list | None = None
    binary: bool = False  # `data` is binary COPY data (PostgreSQL; scans with their batch's id)
    grouped: Staged | None = None  # the rows grouped by waybill (GROUP_COLS), when the parser did it

    def __len__(self) -> int:
        return self.count


@dataclass
class Chunk:
    """What a parser hands over for one chunk of the file."""

    scans: list | Staged  # staging rows: COPY text lines (PostgreSQL) or tuples (SQLite); or as the process staged them
    rejects: list[tuple[int, str, list[str]]]  # (line, reason, cells)
    new_points: dict[str, int]  # code → provisional (negative) id, for codes first seen in this chunk
    position: int  # bytes of the file read so far, for progress; -1 at the end
    # What the chunk's scans name, as staged (escaped for COPY on PostgreSQL):
    areas: set[tuple[int, str]]  # (point id, area code)
    couriers: set[tuple[int, str]]  # (point id, employee number) of delivery scans
    customers: set[tuple[int, str]]  # (point id, customer code)
    products: set[str]
    days: set[dt.date]  # local days of the scan times first seen in this chunk
    point_ids: set[int]  # (provisional ids for new points)
    duplicates: int = 0  # rows dropped as repeats of a scan earlier in the chunk (PostgreSQL)
