"""The sweep's rules are written once (models.py) and its candidate queries still use
the partial indexes built from them."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from kefu.parcels import sweep
from kefu.parcels.ingest import scans_import
from kefu.parcels.tests.helpers import at, scan, scan_csv

pytestmark = pytest.mark.django_db

# Every candidate query, read from the start, after a time and after a key.
QUERIES = [
    ("MISS_CANDIDATES", sweep._MISS, "waybill_to_miss"),
    ("MISS_CANDIDATES_PG", sweep._MISS, "waybill_to_miss"),
    ("WARN_CANDIDATES", sweep._WARN, "waybill_to_warn"),
]


@pytest.fixture
def waybills(point):
    """A day's waybills as a point has them: arrivals spread over the day, most
    signed off two hours later (so in neither partial index), one in twenty still out."""
    day, rows = dt.datetime(2026, 11, 20), []
    for i in range(800):
        no, arrived = f"YT{i:010d}", day + dt.timedelta(minutes=97 * i % 1440)
        rows.append(scan(no, "到件", f"{arrived:%Y-%m-%d %H:%M}"))
        if i % 20:
            rows.append(scan(no, "签收", f"{arrived + dt.timedelta(hours=2):%Y-%m-%d %H:%M}"))
    batch = scans_import(fileobj=scan_csv(rows), file_name="scans.csv")
    assert batch.state == "done", batch.error


def _params(template: str, which: str, after: int) -> list:
    """Parameters as the sweep passes them: the sweep's time, the key to read on from
    (nothing, a time, or the index key: due, [deadline,] id), and for the warnings the
    time twice more."""
    p = connection.ops.adapt_datetimefield_value
    now, due = p(at("2026-11-21 12:00")), p(at("2026-11-21 08:00"))
    key = {0: [], 1: [due], 2: [due, 0] if which == sweep._MISS else [due, p(at("2026-11-21 09:00")), 0]}[after]
    return [now, *key, now, now] if template == "WARN_CANDIDATES" else [now, *key]


def _plan(sql: str, params: list) -> str:
    """The plan of `sql` as the sweep runs it (on PostgreSQL with _tune's settings).
    On PostgreSQL a few hundred waybills make a bitmap scan of the board's BRIN index
    and a sort look cheaper than the partial index (at a million, `python -m
    bench.sweep` prints the plans: the partial indexes): with bitmap scans off too,
    the plan can read the partial index only if the query's WHERE implies its
    condition — which is what this checks."""
    with transaction.atomic(), connection.cursor() as cursor:
        sweep._tune(cursor)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("ANALYZE parcels_waybill")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


@pytest.mark.parametrize("after", [0, 1, 2])
@pytest.mark.parametrize(("template", "which", "index"), QUERIES)
def test_each_candidate_query_reads_its_partial_index(waybills, template, which, index, after):
    if template == "MISS_CANDIDATES_PG" and connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's query")
    plan = _plan(sweep._sql(getattr(sweep, template), which, after=after), _params(template, which, after))
    assert index in plan, plan
    if connection.vendor == "sqlite":
        # Read in index order: no sort of the candidates.
        assert "TEMP B-TREE" not in plan, plan


def test_a_query_missing_one_term_of_the_rule_cannot_use_the_index(waybills):
    """The test above would pass vacuously if the database used the index anyway."""
    rule = sweep._compiled(connection.vendor)[sweep._MISS][0]
    weaker = rule.replace('"arrived_at" IS NOT NULL AND ', "")
    assert weaker != rule
    sql = sweep._sql(sweep.MISS_CANDIDATES, sweep._MISS, after=0).replace(rule, weaker)
    assert "waybill_to_miss" not in _plan(sql, _params("MISS_CANDIDATES", sweep._MISS, 0))


def test_the_sweeps_rule_is_the_index_condition_as_sqlite_stored_it(waybills):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps each index's CREATE statement")
    for which, name in ((sweep._MISS, "waybill_to_miss"), (sweep._WARN, "waybill_to_warn")):
        rule, due, key, _n = sweep._compiled(connection.vendor)[which]
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
            (create,) = cursor.fetchone()
        assert create.endswith(f" WHERE {rule}")
        assert f"(({due}), " in create


def test_the_models_and_the_migrations_agree():
    """The rules moved into named Qs without changing the indexes."""
    out = StringIO()
    call_command("makemigrations", "parcels", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_sweep_compiles_its_rules_once(waybills):
    sweep._compiled.cache_clear()
    sweep.sweep(at=at("2026-11-21 12:00"))
    sweep.sweep(at=at("2026-11-21 12:00") + dt.timedelta(minutes=1))
    assert sweep._compiled.cache_info().misses == 1
