"""kefu.core.bulk: rows written by COPY (PostgreSQL) or multi-row INSERTs (SQLite)
read back exactly as given."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from kefu.core import bulk

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
COLUMNS = ("n", "label", "at", "data", "flag")


@pytest.fixture
def probe():
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bulk_probe (n bigint, label text, at {}, data {}, flag boolean)".format(
                "timestamptz" if postgres else "datetime", "jsonb" if postgres else "text"))
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bulk_probe")


def _read() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT n, label, at, data, flag FROM bulk_probe ORDER BY n")
        rows = cursor.fetchall()
    result = []
    for n, label, at, data, flag in rows:
        if isinstance(at, str):  # SQLite: naive UTC
            at = dt.datetime.fromisoformat(at)
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        if isinstance(data, str):
            data = json.loads(data)
        result.append((n, label, at, data, None if flag is None else bool(flag)))
    return result


def test_values_of_every_kind_read_back_as_written(probe):
    at = dt.datetime(2026, 11, 21, 8, 30, 15, 250, tzinfo=SH)
    rows = [
        (1, "plain", at, {"reason": "refused", "to": 7}, True),
        (2, "tab\there, new\nline, back\\slash, return\r, 中文", at, [1, "二"], False),
        (3, None, None, None, None),
        (4, "\\N", at + dt.timedelta(minutes=1), {"quote": "\"'", "tab": "\t"}, True),
    ]
    bulk.write_rows("bulk_probe", COLUMNS, rows)
    assert _read() == rows


def test_sqlite_splits_large_writes_into_several_inserts_and_postgres_copies_once(probe):
    at = dt.datetime(2026, 11, 21, 8, 30, tzinfo=SH)
    rows = [(i, f"row {i}", at, None, None) for i in range(2 * bulk.INSERT_VALUES // len(COLUMNS) + 1)]
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        bulk.write_rows("bulk_probe", COLUMNS, rows)
    assert _read() == rows
    # COPY goes around the execute wrapper; SQLite needs three statements for 2,001 rows of five values.
    assert len(statements) == (0 if connection.vendor == "postgresql" else 3)


def test_a_line_of_the_callers_own_is_used_on_postgres(probe):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    at = dt.datetime(2026, 11, 21, 8, 30, tzinfo=SH)
    bulk.write_rows("bulk_probe", COLUMNS, [(1, "a", at, None, True)],
                    line=lambda r: f"{r[0]}\tmine\t{r[2]}\t\\N\tt\n")
    assert _read() == [(1, "mine", at, None, True)]


def test_nothing_to_write_sends_nothing(probe):
    bulk.write_rows("bulk_probe", COLUMNS, [])
    assert _read() == []


def test_an_id_list_is_one_parameter_the_database_reads_back():
    ids = [3, 1, 2_000_000_000_000]
    sql = ("SELECT unnest(%s::bigint[])" if connection.vendor == "postgresql"
           else "SELECT value FROM json_each(%s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [bulk.id_list(ids)])
        assert [row[0] for row in cursor.fetchall()] == ids
