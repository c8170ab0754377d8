"""The column parser: a large CSV scan file read and checked a column at a time.

The row parser (`rows.parse`) spends more time on a row in Python than the
database needs to store it. Here Apache Arrow's CSV reader decodes
and splits the file (GBK included) in C++, and the checks run once per
*distinct* cell value rather than once per row: a day's file of a million scans
holds a few tens of thousands of distinct times and a handful of scan types,
points and codes. Each distinct value goes through the same `cells.RowReader`
as the row parser, so a value is accepted, converted and worded in a rejected
row's reason exactly as there. Waybill numbers, nearly all distinct, are
checked with one vectorised pattern match.

A row that any check refuses goes through `RowReader.row` whole, which finds its
first fault (the reason) or, rarely, accepts it: the row parser's outcome,
row for row. So do the rows Arrow cannot split into the header's columns (too
few or too many cells), reported with their line.

The chunk also comes grouped by waybill (earliest arrival, sign-off, return and
problem scan, latest delivery scan and its employee, first non-blank codes),
the aggregation `staging` would otherwise run in SQL.

Only files whose records are single lines qualify: no quote character anywhere
(a quoted cell may hold a line break, and then a row's line number could not be
told). Other files, spreadsheets and small files take the row parser.
"""

from __future__ import annotations

import array
import contextlib
import csv
import datetime as dt
import io
import re
import struct
import sys
from bisect import bisect_right
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.utils.translation import gettext as _

from kefu.imports.readers import ImportFileError, Table
from kefu.parcels.ingest.cells import WAYBILL_PATTERN, RowReader, too_few_columns, unescape
from kefu.parcels.ingest.shape import (
    ARRIVAL,
    CODE_SET_COLS,
    COMPACT_GROUP_COLS,
    DELIVERY,
    INT_COLS,
    PROBLEM,
    RETURN,
    SCAN_COLS,
    SIGNOFF,
)

BLOCK_BYTES = 1 << 18
# The staged scans as an Arrow table: the integer columns int64, the others text as the store writes it.
SCAN_SCHEMA = pa.schema([(c, pa.int64() if c in INT_COLS else pa.string()) for c in SCAN_COLS])


class ColumnChunk:
    """A chunk's accepted rows (`scans`, in SCAN_SCHEMA with the store's values:
    times as text, codes escaped for COPY on PostgreSQL, the store's NULL for a
    blank promised time), the same grouped by waybill (`grouped`, GROUP_COLS),
    rejected rows and what the rows name, as `shape.Chunk` has them."""

    def __init__(self, scans: pa.Table, grouped: pa.Table, rejects: list, duplicates: int):
        self.scans = scans
        self.grouped = grouped
        self.rejects = rejects
        self.duplicates = duplicates

    def names(self) -> dict:
        s = self.scans
        kinds = s.column("scan_type")
        couriers = s.filter(pc.and_(pc.equal(kinds, DELIVERY), pc.not_equal(s.column("employee_no"), "")))
        return {
            "couriers": _pairs(couriers, "employee_no"),
            "areas": _pairs(s.filter(pc.not_equal(s.column("area_code"), "")), "area_code"),
            "customers": _pairs(s.filter(pc.not_equal(s.column("customer_code"), "")), "customer_code"),
            "products": {p for p in pc.unique(s.column("product")).to_pylist() if p},
        }


def _pairs(table: pa.Table, column: str) -> set[tuple[int, str]]:
    found = table.select(["point_id", column]).group_by(["point_id", column], use_threads=False).aggregate([])
    return set(zip(found.column("point_id").to_pylist(), found.column(column).to_pylist(), strict=True))


def chunks(path: str, table: Table, index: dict[str, int | None], reader: RowReader, *,
           chunk_rows: int, dedupe: bool) -> Iterator[tuple[ColumnChunk, int]]:
    """(chunk, bytes of the file read so far) for the file at `path`, whose
    header `table` found. `dedupe` drops a scan repeated within a chunk (the
    PostgreSQL store needs that; the row parser does the same)."""
    invalid: list[tuple[int, str]] = []  # (line, text) of rows Arrow could not split into the columns
    lines: list[int] = []  # their lines, in order

    def skip(row) -> str:
        invalid.append((row.number, row.text))
        lines.append(row.number)
        return "skip"

    source = _Utf8Lines(path, table.encoding)
    checker = _Checker(index, reader, table.line, lines, table.delimiter, dedupe=dedupe)
    try:
        with _readable(checker):
            batches = _reader(source, table, skip)
        # A chunk is `chunk_rows` lines of the file, as the row parser cuts it (the rows Arrow
        # could not split count too): where a chunk ends decides which rows one upsert sees.
        pending = pa.Table.from_batches([], schema=batches.schema)
        first, ended = table.line + 1, False  # the next chunk's first line; the file read to its end
        while not ended:
            with _readable(checker):
                batch = next(batches, None)
            if batch is None:
                ended = True
            else:
                pending = pa.concat_tables([pending, pa.Table.from_batches([batch])])
            while True:
                last = first + chunk_rows - 1
                if not ended and max(checker.line(checker.read + pending.num_rows - 1) if pending.num_rows else 0,
                                     lines[-1] if lines else 0) < last:
                    break  # the chunk's last line is not read yet
                skipped = [row for row in invalid if row[0] <= last]
                del invalid[:len(skipped)]
                take = min(pending.num_rows, last - first + 1 - len(skipped))
                chunk = checker.chunk(pending.slice(0, take), skipped, source.blank)
                pending, first = pending.slice(take), last + 1
                if ended and not pending.num_rows and not invalid:
                    yield chunk, -1 if source.error is None else source.position(checker.last_line())
                    break
                yield chunk, source.position(checker.last_line())
    finally:
        source.close()
    if source.error is not None:
        raise ImportFileError(
            _("The file stops being valid %(enc)s after line %(line)s: %(why)s")
            % {"enc": table.encoding, "line": source.lines, "why": source.error})


_EMPTY_LINE = re.compile(rb"\n(?=\r?\n)")


class _Utf8Lines(io.RawIOBase):
    """The file as UTF-8, whole lines at a time, for Arrow. At the first byte
    that is not valid text in `encoding` the stream ends after the last whole
    line before it and `error` says why: every row before it is stored, then the
    import fails saying where. (The row parser stores the chunks before the
    one that holds the bad line.) `worker.columnar_applies` admits only encodings whose
    characters never contain a line-feed byte, so lines split safely."""

    BLOCK = 1 << 20

    def __init__(self, path: str, encoding: str):
        self.raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self.blank: set[int] = set()  # the empty lines (Arrow gives them as a row of empty cells)
        self.encoding = encoding
        self.utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf-8-sig", "utf8")
        self.pending = b""  # the raw bytes after the last line feed read
        self.out = memoryview(b"")
        self.lines = 0  # line feeds handed out
        self.error: str | None = None
        self.done = False
        self.marks: list[tuple[int, int]] = [(0, 0)]  # (lines handed out, bytes of the file they take)

    def readable(self) -> bool:
        return True

    def position(self, line: int) -> int:
        """About how many bytes of the file the first `line` lines take (Arrow
        reads ahead, so how far the file has been read says little)."""
        i = bisect_right(self.marks, (line, float("inf")))
        if i >= len(self.marks):
            return self.marks[-1][1]
        (lines0, bytes0), (lines1, bytes1) = self.marks[i - 1], self.marks[i]
        return bytes0 + (bytes1 - bytes0) * (line - lines0) // max(lines1 - lines0, 1)

    def readinto(self, buffer) -> int:
        while not self.out and not self.done:
            self.out = memoryview(self._next())
        n = min(len(buffer), len(self.out))
        buffer[:n] = self.out[:n]
        self.out = self.out[n:]
        return n

    def _next(self) -> bytes:
        block = self.raw.read(self.BLOCK)
        data = self.pending + block
        cut = data.rfind(b"\n") + 1 if block else len(data)
        self.done = not block
        whole, self.pending = data[:cut], data[cut:]
        try:
            text = whole.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.error, self.done = exc.reason, True
            whole = whole[:whole.rfind(b"\n", 0, exc.start) + 1]
            text = whole.decode(self.encoding)
        if whole.startswith((b"\n", b"\r\n")):
            self.blank.add(self.lines + 1)
        at, before = 0, self.lines
        for found in _EMPTY_LINE.finditer(whole):
            before += whole.count(b"\n", at, found.end())
            at = found.end()
            self.blank.add(before + 1)
        self.lines += whole.count(b"\n")
        self.marks.append((self.lines, self.marks[-1][1] + len(whole)))
        return whole if self.utf8 else text.encode()

    def close(self) -> None:
        self.raw.close()
        super().close()


def _reader(source, table: Table, skip):
    """Arrow's streaming CSV reader after the header line: every cell a string,
    blank lines kept (a row of empty cells), rows of the wrong width to `skip`."""
    names = [f"c{i}" for i in range(len(table.header))]
    return pcsv.open_csv(
        source,
        read_options=pcsv.ReadOptions(skip_rows=table.line, column_names=names, use_threads=False,
                                      block_size=BLOCK_BYTES),
        parse_options=pcsv.ParseOptions(delimiter=table.delimiter, quote_char=False, ignore_empty_lines=False,
                                        invalid_row_handler=skip),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


@contextlib.contextmanager
def _readable(checker: _Checker):
    """An error of Arrow's reader becomes the row parser's message for a CSV it cannot read."""
    try:
        yield
    except pa.ArrowInvalid as exc:
        raise ImportFileError(
            _("The file cannot be read as CSV after line %(line)s: %(why)s")
            % {"line": checker.last_line(), "why": exc}
        ) from exc


class _Checker:
    """Checks one chunk of rows at a time; keeps the count of rows read, for their lines."""

    def __init__(self, index, reader: RowReader, header_line: int, invalid_lines: list[int], delimiter: str,
                 *, dedupe: bool):
        self.index = index
        self.reader = reader
        self.header_line = header_line
        self.invalid_lines = invalid_lines
        self.delimiter = delimiter
        self.dedupe = dedupe
        self.read = 0  # rows Arrow gave so far

    def line(self, ordinal: int) -> int:
        """The file line of the `ordinal`-th (from 0) row Arrow gave: the rows it
        skipped (kept in `invalid_lines`) are lines too."""
        line = self.header_line + 1 + ordinal
        skipped = 0
        while True:
            before = bisect_right(self.invalid_lines, line)
            if before == skipped:
                return line
            line += before - skipped
            skipped = before

    def last_line(self) -> int:
        return self.line(self.read - 1) if self.read else self.header_line

    def chunk(self, rows: pa.Table, invalid: list[tuple[int, str]], blank: set[int]) -> ColumnChunk:
        first = self.read
        self.read += rows.num_rows
        rows = rows.combine_chunks()
        accepted, refused, passed = self._check(rows)
        # Rows a check refused, and rows Arrow could not split: the row parser's verdict, row by row.
        others = [(line, [] if line in blank else cells)  # a blank line is no cells, as Python's csv reads it
                  for line, cells in ((self.line(first + i), cells) for i, cells in refused)]
        others += [(line, next(csv.reader([text], delimiter=self.delimiter), [])) for line, text in invalid]
        kept, rejects = [], []
        for line, cells in sorted(others, key=lambda item: item[0]):
            try:
                kept.append((line, self.reader.row(cells)))
            except (ValueError, IndexError) as exc:
                rejects.append((line, str(exc) if isinstance(exc, ValueError) else too_few_columns(), cells))
        scans = accepted
        if kept:
            lines = pa.array([self.line(first + i) for i in range(rows.num_rows)], pa.int64())
            scans = scans.append_column("line", lines.filter(passed))
            extra = pa.Table.from_pylist(
                [dict(zip(SCAN_SCHEMA.names, row, strict=True), line=line) for line, row in kept],
                schema=scans.schema)
            scans = pa.concat_tables([scans, extra]).sort_by("line").drop_columns(["line"])
        duplicates = 0
        if self.dedupe and scans.num_rows:
            before = scans.num_rows
            scans = _first_of_each(scans)
            duplicates = before - scans.num_rows
        return ColumnChunk(scans, _grouped(scans, self.reader.null), rejects, duplicates)

    def _check(self, rows: pa.Table) -> tuple[pa.Table, list[tuple[int, list[str]]], pa.Array]:
        """The rows every vectorised check accepts, as staging rows; the others
        as (position in the chunk, their cells); and per row whether it passed."""
        n = rows.num_rows
        reader = self.reader

        def column(field):
            i = self.index[field]
            if i is not None and rows.column(i).num_chunks:
                return rows.column(i).chunk(0)
            return pa.array([""] * (n if i is None else 0), pa.string())

        wb = pc.utf8_upper(pc.utf8_trim_whitespace(column("waybill_no")))
        ok = pc.match_substring_regex(wb, f"^{WAYBILL_PATTERN}$")
        kind, ok_kind = _each(column("scan_type"), reader.scan_type, pa.int64())
        time, ok_time = _times(column("scanned_at"), reader, reader.time)
        ok = pc.and_(pc.and_(ok, ok_kind), ok_time)
        # The row parser looks a point up only for rows whose waybill, type and time passed:
        # a new point named only by such rejected rows is not created.
        point, ok_point = _each(pc.if_else(ok, column("point_code"), pa.scalar(None, pa.string())),
                                reader.point_id, pa.int64())
        ok = pc.and_(ok, ok_point)
        promised, ok_promised = _times(column("promised_at"), reader, reader.promised)
        ok = pc.and_(ok, ok_promised)
        codes = {}
        for field in ("employee_no", "product", "area_code", "customer_code"):
            codes[field], ok_code = _each(column(field), lambda raw, f=field: reader.code(raw, f), pa.string())
            ok = pc.and_(ok, ok_code)
        accepted = pa.Table.from_arrays(
            [point, wb, kind, time, codes["employee_no"], codes["product"], promised, codes["area_code"],
             codes["customer_code"]], schema=SCAN_SCHEMA).filter(ok)
        refused = []
        if accepted.num_rows < n:
            positions = pc.indices_nonzero(pc.invert(ok)).to_pylist()
            cells = rows.take(positions).to_pylist()
            refused = [(i, list(row.values())) for i, row in zip(positions, cells, strict=True)]
        return accepted, refused, ok


def _each(column: pa.Array, check, type_: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """`check` applied to each distinct value of `column` (nulls stay null and
    are refused): the values per row, and per row whether the check passed."""
    encoded = pc.dictionary_encode(column)
    values, passed = [], []
    for raw in encoded.dictionary.to_pylist():
        try:
            values.append(check(raw))
            passed.append(True)
        except ValueError:
            values.append(None)
            passed.append(False)
    return (pa.array(values, type_).take(encoded.indices),
            pc.fill_null(pa.array(passed, pa.bool_()).take(encoded.indices), False))


_PLAIN_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
_UTC_OFFSET = pa.scalar(dt.timedelta(hours=8), pa.duration("s"))


def _times(column: pa.Array, reader: RowReader, check) -> tuple[pa.Array, pa.Array]:
    """`_each` for a column of times, with a vectorised path for the common
    "YYYY-MM-DD HH:MM:SS": Asia/Shanghai has been UTC+8 all year since 1992, so
    such a time in 1992–2099 is its UTC text eight hours earlier. The rest (other
    formats, other years, blanks) go through `check` one distinct value at a time."""
    none = pa.scalar(None, pa.string())
    local = pc.strptime(pc.if_else(pc.match_substring_regex(column, _PLAIN_TIME), column, none),
                        format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    year = pc.year(local)
    # strptime rolls an impossible date over (2026-02-30 → 2026-03-02): the time must read back as written.
    plain = pc.fill_null(pc.and_(pc.and_(pc.greater_equal(year, 1992), pc.less(year, 2100)),
                                 pc.equal(pc.cast(local, pa.string()), column)), False)
    if not pc.any(plain).as_py():
        return _each(column, check, pa.string())
    local = pc.if_else(plain, local, pa.scalar(None, local.type))
    reader.days.update(pc.unique(pc.cast(local, pa.date32())).drop_null().to_pylist())
    # A cast writes "YYYY-MM-DD HH:MM:SS" (strftime costs far more).
    text = pc.cast(pc.subtract(local, _UTC_OFFSET), pa.string())
    if reader.time_suffix:
        text = pc.binary_join_element_wise(text, reader.time_suffix, "")
    if pc.all(plain).as_py():
        return text, plain
    others, passed = _each(pc.if_else(plain, none, column), check, pa.string())
    return pc.if_else(plain, text, others), pc.or_(plain, passed)


def _first_of_each(scans: pa.Table) -> pa.Table:
    """The first row of each (point, waybill, scan type, time), as the row parser keeps it."""
    numbered = scans.append_column("i", pa.array(range(scans.num_rows), pa.int64()))
    firsts = numbered.group_by(["point_id", "waybill_no", "scan_type", "scanned_at"], use_threads=False).aggregate(
        [("i", "min")]).column("i_min")
    if len(firsts) == scans.num_rows:
        return scans
    return scans.take(pc.take(firsts, pc.sort_indices(firsts)))


def _grouped(scans: pa.Table, null) -> pa.Table:
    """One row per (point, waybill) of the chunk, as `staging`'s GROUPED statement makes it.

    Arrow's hash aggregation of strings holds a copy of every string in its
    state, so each string column is aggregated as the
    rank of its value among the column's distinct values (`_Ranked`): MIN and
    MAX of ranks are MIN and MAX of the strings, byte by byte as SQLite and a
    "C" collation compare them. On PostgreSQL (`null` is COPY's "\\N") the codes
    are escaped for COPY and are ranked as written, unescaped."""
    written = unescape if null is not None else None
    kind = scans.column("scan_type")
    time = scans.column("scanned_at")
    none = pa.scalar(None, pa.string())

    def blank_as_null(name):
        return pc.if_else(pc.equal(scans.column(name), ""), none, scans.column(name))

    promised = scans.column("promised_at")
    if null is not None:
        promised = pc.if_else(pc.equal(promised, null), none, promised)
    # The latest delivery scan and its employee: MAX over "time|employee", as the SQL does.
    delivery = pc.if_else(pc.equal(kind, DELIVERY),
                          pc.binary_join_element_wise(time, scans.column("employee_no"), "|"), none)
    pair = _Ranked(pc.binary_join_element_wise(pc.cast(scans.column("point_id"), pa.string()),
                                               scans.column("waybill_no"), "\x1f"))
    times = _Ranked(time)
    columns = {
        "product": (_Ranked(blank_as_null("product"), written), None, "max"),
        "area_code": (_Ranked(blank_as_null("area_code"), written), None, "max"),
        "customer_code": (_Ranked(blank_as_null("customer_code"), written), None, "max"),
        "arrived_at": (times, ARRIVAL, "min"), "promised_at": (_Ranked(promised), None, "min"),
        "delivery": (_Ranked(delivery, written), None, "max"), "signed_at": (times, SIGNOFF, "min"),
        "returned_at": (times, RETURN, "min"), "problem_at": (times, PROBLEM, "min"),
    }
    parts = {"pair": pair.ranks, "point_id": scans.column("point_id")}
    for name, (ranked, code, _how) in columns.items():
        parts[name] = ranked.ranks if code is None else pc.if_else(pc.equal(kind, code), ranked.ranks, None)
    g = pa.table(parts).group_by("pair", use_threads=False).aggregate(
        [("point_id", "min"), *((name, how) for name, (_r, _c, how) in columns.items())])
    out = {name: ranked.values(g.column(f"{name}_{how}")) for name, (ranked, _c, how) in columns.items()}
    split = pc.split_pattern(out["delivery"], "|", max_splits=1)
    return pa.table({
        "point_id": g.column("point_id_min"),
        "waybill_no": pc.list_element(pc.split_pattern(pair.values(g.column("pair")), "\x1f", max_splits=1), 1),
        "product": pc.fill_null(out["product"], ""), "area_code": pc.fill_null(out["area_code"], ""),
        "customer_code": pc.fill_null(out["customer_code"], ""), "employee_no": pc.list_element(split, 1),
        "arrived_at": out["arrived_at"], "promised_at": out["promised_at"], "delivery_at": pc.list_element(split, 0),
        "signed_at": out["signed_at"], "returned_at": out["returned_at"], "problem_at": out["problem_at"],
    })


class _Ranked:
    """A string column as the rank of each value among its distinct values
    (`ranks`, null for null), and back (`values`). With `key`, the values are
    ordered by what `key` makes of them (in Python: code point order, which is
    UTF-8's byte order)."""

    def __init__(self, column, key=None):
        encoded = pc.dictionary_encode(column)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        if key is None:
            order = pc.array_sort_indices(encoded.dictionary)
        else:
            distinct = encoded.dictionary.to_pylist()
            order = pa.array(sorted(range(len(distinct)), key=lambda i: key(distinct[i])), pa.int64())
        self.sorted = encoded.dictionary.take(order)
        self.ranks = pc.array_sort_indices(order).take(encoded.indices)

    def values(self, ranks):
        return self.sorted.take(ranks)


# PostgreSQL's binary COPY: a header, then per row the number of fields and each field as
# its length (-1: NULL) and its bytes, big-endian; a trailer. The server then parses no text:
# a time is 8 bytes, not a string to read (reading the times was much of a text COPY's work).
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
BINARY_TRAILER = b"\xff\xff"
_NULL_FIELD = pa.scalar(b"\xff\xff\xff\xff", pa.binary())
_PG_EPOCH_US = 946_684_800_000_000  # PostgreSQL counts microseconds from 2000-01-01 UTC
_LITTLE_ENDIAN = sys.byteorder == "little"


def copy_binary(table: pa.Table, kinds: dict[str, str], null: str) -> bytes | None:
    """A table of the store's text values (as `copy_text` takes them: codes escaped
    for COPY text, times as UTC text, `null` for a blank time) as binary COPY data.
    `kinds` names each column's type: bigint, smallint, time or text. None when a
    time does not convert (the caller sends COPY text)."""
    try:
        fields = [_binary_field(table.column(name), kinds[name], null) for name in table.column_names]
    except (pa.ArrowInvalid, OverflowError):
        return None
    rows = pc.binary_join_element_wise(struct.pack(">h", len(fields)), *fields, b"")
    offsets = rows.buffers()[1]
    first, last = (struct.unpack_from("=i", offsets, 4 * i)[0] for i in (rows.offset, rows.offset + len(rows)))
    if not len(rows):
        return BINARY_HEADER + BINARY_TRAILER
    return b"".join([BINARY_HEADER, memoryview(rows.buffers()[2])[first:last], BINARY_TRAILER])


def _binary_field(column, kind: str, null: str) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if kind == "text":
        if pc.any(pc.match_substring(column, "\\")).as_py():
            encoded = pc.dictionary_encode(column)
            column = pa.array([None if v is None else unescape(v) for v in encoded.dictionary.to_pylist()],
                              pa.string()).take(encoded.indices)
        data = pc.fill_null(pc.cast(column, pa.binary()), b"")
        field = pc.binary_join_element_wise(_big_endian(pc.binary_length(data), "i", 4), data, b"")
    else:
        if kind == "time":
            if pa.types.is_string(column.type):
                column = pc.if_else(pc.equal(column, null), pa.scalar(None, column.type), column)
            micros = pc.cast(pc.cast(column, pa.timestamp("us", "UTC")), pa.int64())
            value, width, code = pc.subtract(micros, _PG_EPOCH_US), 8, "q"
        elif kind == "smallint":
            value, width, code = pc.cast(column, pa.int16()), 2, "h"
        else:
            value, width, code = pc.cast(column, pa.int64()), 8, "q"
        field = pc.binary_join_element_wise(struct.pack(">i", width), _big_endian(value, code, width), b"")
    if column.null_count:
        field = pc.if_else(pc.is_valid(column), field, _NULL_FIELD)
    return field


def _big_endian(values: pa.Array, code: str, width: int) -> pa.Array:
    """Fixed-width integers as binary values of their big-endian bytes (a null's bytes are
    whatever its slot holds; the caller replaces the field)."""
    raw = array.array(code)
    data, start = values.buffers()[1], values.offset * width
    raw.frombytes(bytes(len(values) * width) if data is None else memoryview(data)[start:start + len(values) * width])
    if _LITTLE_ENDIAN:
        raw.byteswap()
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, pa.py_buffer(raw)]).cast(
        pa.binary())


def copy_text(table: pa.Table, null: str) -> bytes:
    """A table as COPY text lines (its strings already escaped for COPY), nulls as `null`."""
    columns = [pc.fill_null(c, null) if c.null_count else c for c in table.columns]
    out = io.BytesIO()
    pcsv.write_csv(pa.Table.from_arrays(columns, names=table.column_names), out,
                   pcsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
    return out.getvalue()


def compact(chunk: ColumnChunk) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The chunk's code combinations (number first, then CODE_SET_COLS), its
    scans (COMPACT_SCAN_COLS) and its waybills (COMPACT_GROUP_COLS) as rows.
    A waybill with no delivery scan has employee "" here (NULL in GROUP_COLS):
    either finds no courier."""
    scans, grouped = chunk.scans, chunk.grouped
    # Each column's values numbered (over the scans and the waybills together); a combination
    # is named by its numbers, joined with "." (digits only, so any code can be in it).
    values, numbers = [], []
    for col in CODE_SET_COLS:
        waybills = pc.fill_null(grouped.column(col), "") if col == "employee_no" else grouped.column(col)
        both = pa.concat_arrays([scans.column(col).combine_chunks(), waybills.combine_chunks()])
        encoded = pc.dictionary_encode(both)
        values.append(encoded.dictionary.to_pylist())
        numbers.append(pc.cast(encoded.indices, pa.string()))
    keys = pc.dictionary_encode(pc.binary_join_element_wise(*numbers, "."))
    codes = keys.indices
    code_sets = [(n, *(column[int(i)] for column, i in zip(values, key.split("."), strict=True)))
                 for n, key in enumerate(keys.dictionary.to_pylist())]
    scan_rows = list(zip(scans.column("waybill_no").to_pylist(), scans.column("scan_type").to_pylist(),
                         scans.column("scanned_at").to_pylist(), scans.column("promised_at").to_pylist(),
                         codes.slice(0, scans.num_rows).to_pylist(), strict=True))
    group_rows = list(zip(grouped.column("waybill_no").to_pylist(), codes.slice(scans.num_rows).to_pylist(),
                          *(grouped.column(c).to_pylist() for c in COMPACT_GROUP_COLS[2:]), strict=True))
    return code_sets, scan_rows, group_rows


def rows(table: pa.Table) -> list[tuple]:
    """A table as a list of row tuples (for SQLite's executemany)."""
    return list(zip(*(c.to_pylist() for c in table.columns), strict=True))


