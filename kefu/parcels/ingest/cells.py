"""A scan row's cells, checked and turned into a staging row.

`RowReader` is what both scan parsers share: the row-by-row parser
(`rows.parse`, for spreadsheets, small files and the batch API) and the
column parser (`columnar`, for large CSV files). It holds the import's state
that outlives a row — the points seen (new ones get provisional negative ids),
the local days of the times read — and caches the parse of each raw cell
value: times, scan types, points and codes repeat all day long.

A staging row is a tuple in `shape.SCAN_COLS` order (point id, waybill, scan
type, time, employee, product, promised time, area, customer). Times are text
as the store writes them (UTC); on PostgreSQL the codes are escaped for COPY's
text format.
"""

from __future__ import annotations

import datetime as dt
import operator
import re

from django.utils.translation import gettext as _

from kefu.core.tz import SHANGHAI
from kefu.imports.readers import parse_local_datetime
from kefu.parcels.ingest.shape import FIELDS, REQUIRED_SCAN_FIELDS
from kefu.parcels.models import SCAN_TYPE_NAMES, ScanEvent

UTC = dt.UTC
WAYBILL_PATTERN = r"[A-Za-z0-9\-]{6,40}"
_WAYBILL = re.compile(WAYBILL_PATTERN).fullmatch
_CACHE_LIMIT = 200_000
# The longest code each column stores, and its name in a rejected row's reason.
CODE_LIMITS = {
    "employee_no": (32, ScanEvent._meta.get_field("employee_no").verbose_name),
    "product": (30, ScanEvent._meta.get_field("product").verbose_name),
    "area_code": (32, ScanEvent._meta.get_field("area_code").verbose_name),
    "customer_code": (32, ScanEvent._meta.get_field("customer_code").verbose_name),
}
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_EIGHT_HOURS = dt.timedelta(hours=8)


def parse_time(text: str) -> dt.datetime:
    """A time as the files write it (Asia/Shanghai unless it says otherwise), in UTC."""
    t = text.strip()
    if not t:
        raise ValueError("empty")
    try:
        naive = dt.datetime.fromisoformat(t.replace("/", "-"))
    except ValueError:
        aware = parse_local_datetime(t, SHANGHAI)
    else:
        aware = naive if naive.tzinfo else naive.replace(tzinfo=SHANGHAI)
    return aware.astimezone(UTC)


class RowReader:
    """Checks one row at a time (`row`), or one distinct cell value at a time
    (`scan_type`, `time`, `promised`, `point_id`, `code`). Every check raises
    ValueError with the reason a person reads in the rejected rows' list."""

    def __init__(self, index: dict[str, int | None], *, points: dict[str, int], restricted: bool, store):
        self.points = points  # code → id; new codes get provisional negative ids
        self.restricted = restricted
        self.new_points: dict[str, int] = {}  # provisional ids given since the caller last took them
        self.days: set[dt.date] = set()  # local days of the times read since the caller last took them
        self.pg = store.vendor == "postgresql"
        self.null = store.NULL
        self.time_text = store.time_text
        self.time_suffix = store.TIME_SUFFIX  # what time_text writes after "YYYY-MM-DD HH:MM:SS" (UTC)
        self.width = max(i for i in index.values() if i is not None) + 1
        positions = [index[f] for f in FIELDS]
        self.full = all(i is not None for i in positions)
        self.get = operator.itemgetter(*(i if i is not None else self.width for i in positions))
        self.blanks = [""] * (self.width + 1)
        self.required_width = max(index[f] for f in REQUIRED_SCAN_FIELDS)
        self.types = {name: int(kind) for name, kind in SCAN_TYPE_NAMES.items()}
        self.times: dict[str, str] = {}
        self.pids: dict[str, int] = {}
        self.codes = {field: {} for field in CODE_LIMITS}
        self.clean_one = (lambda v: v.strip().translate(COPY_ESCAPES)) if self.pg else str.strip

    def take_new_points(self) -> dict[str, int]:
        new, self.new_points = self.new_points, {}
        return new

    def take_days(self) -> set[dt.date]:
        days, self.days = self.days, set()
        return days

    def scan_type(self, raw: str) -> int:
        kind = self.types.get(raw)
        if kind is None:
            kind = self.types.get(raw.strip()) or self.types.get(raw.strip().lower())
            if kind is None:
                raise ValueError(_("unknown scan type %(t)s") % {"t": raw[:20]})
            self.types[raw] = kind
        return kind

    def _time(self, raw: str) -> str:
        value = parse_time(raw)
        self.days.add((value + _EIGHT_HOURS).date())
        text = self.time_text(value)
        if len(self.times) < _CACHE_LIMIT:
            self.times[raw] = text
        return text

    def time(self, raw: str) -> str:
        t = self.times.get(raw)
        if t is None:
            try:
                t = self._time(raw)
            except ValueError:
                raise ValueError(_("the time %(t)s is not a date and time") % {"t": raw[:40]}) from None
        return t

    def promised(self, raw: str):
        """The promised sign-off time, or the store's NULL when the cell is blank."""
        if not raw:
            return self.null
        p = self.times.get(raw)
        if p is None:
            if not raw.strip():
                return self.null
            try:
                p = self._time(raw)
            except ValueError:
                raise ValueError(_("the sign-off deadline %(t)s is not a date and time")
                                 % {"t": raw.strip()[:40]}) from None
        return p

    def point_id(self, raw: str) -> int:
        pid = self.pids.get(raw)
        if pid:
            return pid
        code = raw.strip()
        if not code:
            raise ValueError(_("the point code is empty"))
        pid = self.points.get(code)
        if pid is None:
            if self.restricted:
                raise ValueError(_("the point %(code)s is not this network point") % {"code": code})
            pid = self.points[code] = -(len(self.points) + 1)
            self.new_points[code] = pid
        self.pids[raw] = pid
        return pid

    def point_ids(self) -> set[int]:
        """The ids of every point read so far."""
        return set(self.pids.values())

    def code(self, raw: str, field: str) -> str:
        """A code as staged; a code longer than its column is the row's error."""
        if not raw:
            return raw
        cache = self.codes[field]
        value = cache.get(raw)
        if value is not None:
            return value
        limit, label = CODE_LIMITS[field]
        if len(raw.strip()) > limit:
            raise ValueError(_("the %(field)s %(value)s is longer than %(n)s characters")
                             % {"field": label, "value": raw.strip()[:40], "n": limit})
        value = self.clean_one(raw)
        if len(cache) < _CACHE_LIMIT:
            cache[raw] = value
        return value

    def waybill(self, raw: str) -> str:
        wb = raw.strip().upper()
        if not _WAYBILL(wb):
            raise ValueError(_("the waybill number %(w)s is not valid") % {"w": wb[:50] or "—"})
        return wb

    def row(self, row: list[str]) -> tuple:
        """The staging row of one file row. Raises ValueError, or IndexError when
        the row has too few columns."""
        if self.full and len(row) >= self.width:
            raw_wb, raw_type, raw_time, raw_point, emp, product, prom, area, cust = self.get(row)
        else:
            if len(row) <= self.required_width:
                raise IndexError
            padded = row[:self.width]
            padded += self.blanks[len(padded):]
            raw_wb, raw_type, raw_time, raw_point, emp, product, prom, area, cust = self.get(padded)
        return self._ordered(raw_wb, raw_type, raw_time, raw_point, emp, product, prom, area, cust)

    def _ordered(self, raw_wb, raw_type, raw_time, raw_point, emp, product, prom, area, cust) -> tuple:  # noqa: PLR0913 (the row's nine cells, unpacked: the hot path)
        # The checks run in this order, so a row's reason is its first fault. Each looks in its
        # cache first, here, without a call: a call per cell made the whole row parser slower.
        wb = raw_wb.strip().upper()
        if not _WAYBILL(wb):
            wb = self.waybill(raw_wb)  # raises with the reason
        kind = self.types.get(raw_type) or self.scan_type(raw_type)
        t = self.times.get(raw_time) or self.time(raw_time)
        pid = self.pids.get(raw_point) or self.point_id(raw_point)
        p = (self.times.get(prom) or self.promised(prom)) if prom else self.null
        codes, code = self.codes, self.code
        if emp:
            emp = codes["employee_no"].get(emp) or code(emp, "employee_no")
        if product:
            product = codes["product"].get(product) or code(product, "product")
        if area:
            area = codes["area_code"].get(area) or code(area, "area_code")
        if cust:
            cust = codes["customer_code"].get(cust) or code(cust, "customer_code")
        return (pid, wb, kind, t, emp, product, p, area, cust)


def too_few_columns() -> str:
    return _("the row has too few columns")


def unescape(value: str) -> str:
    """A code as written, from its COPY text form."""
    if "\\" not in value:
        return value
    return (value.replace("\\\\", "\x00").replace("\\t", "\t").replace("\\n", "\n")
            .replace("\\r", "\r").replace("\x00", "\\"))
