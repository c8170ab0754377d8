"""Reading tabular files the way Chinese offices write them.

CSV in UTF-8 (with or without BOM), GBK / GB18030 or anything else that
charset-normalizer recognises; XLSX, XLS and ODS through python-calamine
(fast, streaming-friendly). The header row is found among the first rows, so a
merged title row above it ("XX网点留言导出") is skipped, and blank header cells
left by merged cells are named by position.

Rows come out as (line number as a person would count it in the file, dict of
header → text), one at a time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

HEADER_SEARCH_ROWS = 10
SAMPLE_BYTES = 1024 * 1024
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why, for a person."""


@dataclass
class Table:
    """`rows` yields (line, dict header → text); with `lists=True` (the fast path
    for large files) it yields (line, list of cells) in header order instead."""

    header: list[str]
    rows: Iterator[tuple[int, dict[str, str]]] | Iterator[tuple[int, list[str]]]
    encoding: str
    line: int = 0  # the header's line (CSV)
    delimiter: str | None = None  # CSV only

    def index(self, name: str) -> int:
        return self.header.index(name)


def file_size(fileobj: IO[bytes]) -> int:
    """Bytes in a seekable upload; leaves it at the start."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def file_sha256(fileobj: IO[bytes]) -> str:
    """The SHA-256 of a seekable upload, read in 1 MB blocks; leaves it at the start."""
    import hashlib

    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def detect_encoding(sample: bytes) -> str:
    """UTF-8 when the sample decodes as UTF-8; else GB18030 (the superset of
    GBK/GB2312, what Excel on Chinese Windows saves) when it decodes as that;
    else the best guess. GB18030 is tried before guessing because a short GBK
    file is often taken for Korean (CP949) by the guesser."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            # A sample may end in the middle of a multi-byte character.
            if exc.start >= len(sample) - 3:
                return encoding
    best = from_bytes(sample[:65536]).best()
    if best is None:
        raise ImportFileError(_("The file is not text in a known encoding."))
    enc = best.encoding.lower().replace("_", "")
    if enc in ("gbk", "gb2312", "gb18030", "cp936", "hz"):
        return "gb18030"
    return best.encoding


def open_table(
    fileobj: IO[bytes], file_name: str, *, required: set[str], lists: bool = False
) -> Table:
    """Open a CSV or spreadsheet and find the header row holding `required` names.

    A spreadsheet is recognised by its name or, when the name lost its
    extension, by its first bytes (ZIP for XLSX/ODS, OLE2 for XLS)."""
    head = fileobj.read(8)
    fileobj.seek(0)
    if file_name.lower().endswith(EXCEL_SUFFIXES) or head.startswith(SPREADSHEET_MAGIC):
        return _open_spreadsheet(fileobj, required, lists)
    return _open_csv(fileobj, required, lists)


def _open_csv(fileobj: IO[bytes], required: set[str], lists: bool = False) -> Table:  # noqa: C901 (encoding, dialect, header, then the rows' errors, each worded for a person)
    sample = fileobj.read(SAMPLE_BYTES)
    fileobj.seek(0)
    if not sample.strip():
        raise ImportFileError(_("The file is empty."))
    encoding = detect_encoding(sample)
    text = io.TextIOWrapper(fileobj, encoding=encoding, newline="")
    try:
        dialect = csv.Sniffer().sniff(sample[:8192].decode(encoding, errors="ignore"), ",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(text, delimiter=delimiter)
    records = _numbered(reader)
    head_rows: list[tuple[int, list[str]]] = []
    try:
        for _i in range(HEADER_SEARCH_ROWS):
            record = next(records, None)
            if record is None:
                break
            head_rows.append(record)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is not valid %(enc)s: %(why)s") % {"enc": encoding, "why": exc.reason}
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(_("The file is not a readable CSV: %(why)s") % {"why": exc}) from exc
    header_index, header = _find_header(head_rows, required)

    shape = (lambda row: row) if lists else (lambda row: _as_dict(header, row))

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for line, row in head_rows[header_index + 1 :]:
            yield line, shape(row)
        try:
            if lists:
                yield from records
            else:
                for line, row in records:
                    yield line, shape(row)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The file stops being valid %(enc)s after line %(line)s: %(why)s")
                % {"enc": encoding, "line": reader.line_num, "why": exc.reason}
            ) from exc
        except csv.Error as exc:
            raise ImportFileError(
                _("The file cannot be read as CSV after line %(line)s: %(why)s")
                % {"line": reader.line_num, "why": exc}
            ) from exc
        # Hand the caller's file back open (the wrapper would close it when collected).
        text.detach()

    return Table(header=header, rows=rows(), encoding=encoding, line=head_rows[header_index][0],
                 delimiter=delimiter)


def _numbered(reader) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted cell may span lines)."""
    last_line = 0
    for row in reader:
        yield last_line + 1, row
        last_line = reader.line_num


def _open_spreadsheet(fileobj: IO[bytes], required: set[str], lists: bool = False) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(fileobj)
        sheet = book.get_sheet_by_index(0)
        rows_iter = iter(sheet.iter_rows())
    except Exception as exc:  # calamine raises its own types for broken files
        raise ImportFileError(
            _("The spreadsheet cannot be read (damaged or truncated?): %(why)s") % {"why": exc}
        ) from exc
    head_rows: list[tuple[int, list[str]]] = []
    for line in range(1, HEADER_SEARCH_ROWS + 1):
        row = next(rows_iter, None)
        if row is None:
            break
        head_rows.append((line, [_cell_text(c) for c in row]))
    header_index, header = _find_header(head_rows, required)
    start = head_rows[header_index][0]

    shape = (lambda row: row) if lists else (lambda row: _as_dict(header, row))

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        line = start
        for _line, row in head_rows[header_index + 1 :]:
            line += 1
            yield line, shape(row)
        for raw in rows_iter:
            line += 1
            yield line, shape([_cell_text(c) for c in raw])

    return Table(header=header, rows=rows(), encoding="xlsx")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_header(head_rows: list[tuple[int, list[str]]], required: set[str]) -> tuple[int, list[str]]:
    best_missing = required
    for index, (_line, row) in enumerate(head_rows):
        names = [str(c).strip().lstrip("\ufeff") for c in row]
        missing = required - set(names)
        if not missing:
            return index, [n or f"column_{i + 1}" for i, n in enumerate(names)]
        if len(missing) < len(best_missing):
            best_missing = missing
    # Name what the closest row lacks: usually a renamed column.
    raise ImportFileError(
        ngettext(
            "The column %(missing)s is missing: no row among the first %(n)s has all of %(cols)s.",
            "The columns %(missing)s are missing: no row among the first %(n)s has all of %(cols)s.",
            len(best_missing),
        )
        % {"missing": "、".join(sorted(best_missing)), "n": HEADER_SEARCH_ROWS,
           "cols": "、".join(sorted(required))}
    )


def _as_dict(header: list[str], row: list[str]) -> dict[str, str]:
    values = {name: (row[i].strip() if i < len(row) and row[i] is not None else "")
              for i, name in enumerate(header)}
    if len(row) > len(header) and any(str(v).strip() for v in row[len(header):]):
        values["__extra__"] = "|".join(str(v) for v in row[len(header):])
    return values


DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y%m%d%H%M%S",
)


def parse_local_datetime(text: str, tz) -> dt.datetime:
    """A time as written in Chinese exports, read as local time in `tz`."""
    value = text.strip()
    for fmt in DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(value) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
