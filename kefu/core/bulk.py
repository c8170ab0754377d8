"""Write many rows into a table at once: one COPY on PostgreSQL, multi-row
INSERTs on SQLite.

For tables an app fills by the ten thousand in one transaction (the warning
sweep's warnings, an import of fines): no model instance per row, no `save()`,
no signals, no RETURNING. The caller gives the rows as tuples of plain values
in the order of `columns` — numbers, strings, None, booleans, aware datetimes,
dicts or lists (JSON) — and answers for them as it would for a raw INSERT
(ids that exist, choices that are valid).

PostgreSQL's COPY text is made here (`copy_line`), a row at a time. A caller
whose values never need escaping (numbers, times, fixed codes) may pass its
own `line`, an f-string over the tuple: a third of the time of the
generic one, as psycopg's `Copy.write_row` costs about three times as much.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import connection

# Bound values per INSERT on SQLite (it allows 32,766): 500 rows of ten columns.
INSERT_VALUES = 5000

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def write_rows(table: str, columns: Sequence[str], rows: Sequence[tuple],
               *, line: Callable[[tuple], str] | None = None) -> None:
    """Insert `rows` into `table` (its `columns`, in that order) on the current
    connection, in the current transaction. `line` (PostgreSQL only): how one
    row becomes a line of COPY text, ending in a newline (default `copy_line`)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            data = "".join(map(line or copy_line, rows))
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                copy.write(data)
            return
        width = len(columns)
        convert = _sqlite_conversions(rows, width)
        per_statement = max(1, INSERT_VALUES // width)
        one = "(" + ", ".join(["%s"] * width) + ")"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            params = [value for row in chunk for value in row]  # flat: no list per row to collect
            for i, to_sqlite in convert:
                _convert_column(params, i, width, to_sqlite)
            cursor.execute(f"INSERT INTO {quote(table)} ({names}) VALUES " + ", ".join([one] * len(chunk)), params)


def id_list(ids: Sequence[int]) -> str:
    """Ids as one statement parameter, written as text: PostgreSQL's array literal
    (read it with `%s::bigint[]`), SQLite's JSON array (read it with `json_each(%s)`).
    psycopg adapts a Python list of a few thousand ids in Python, three times as slowly."""
    text = ",".join(map(str, ids))
    return "{" + text + "}" if connection.vendor == "postgresql" else "[" + text + "]"


def copy_line(row: tuple) -> str:
    """`row` as a line of COPY's text format: NULL as \\N, booleans t/f, times with
    their offset, dicts and lists as JSON; backslash, tab, newline and carriage
    return escaped."""
    return "\t".join(map(_copy_value, row)) + "\n"


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.datetime):
        return str(value)
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(_ESCAPES)


def _sqlite_conversions(rows: Sequence[tuple], width: int) -> list[tuple[int, Callable]]:
    """The columns whose values SQLite takes in another form — times as naive UTC
    text, JSON as text — each seen from its first value that is not None."""
    conversions = []
    for i in range(width):
        sample = next((row[i] for row in rows if row[i] is not None), None)
        if isinstance(sample, dt.datetime):
            conversions.append((i, _sqlite_time()))
        elif isinstance(sample, (dict, list)):
            conversions.append((i, _json))
    return conversions


def _sqlite_time() -> Callable:
    """Django's adaptation of a time for SQLite — an aware time as naive text in
    the connection's zone — without its checks on every value (a third faster)."""
    adapt = connection.ops.adapt_datetimefield_value
    if not settings.USE_TZ:
        return adapt
    zone = connection.timezone

    def to_text(value: dt.datetime) -> str:
        return str(value.astimezone(zone).replace(tzinfo=None)) if value.tzinfo is not None else adapt(value)

    return to_text


def _convert_column(params: list, i: int, width: int, convert: Callable) -> None:
    """Convert column `i` of the flat `params` in place; a value repeated from the
    row before (the batch's time on every row) is converted once."""
    last = converted = None
    for j in range(i, len(params), width):
        value = params[j]
        if value is None:
            continue
        if value is not last:
            last, converted = value, convert(value)
        params[j] = converted


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
