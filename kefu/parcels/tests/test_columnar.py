"""The column parser (kefu.parcels.ingest.columnar) reads large CSV files in the
parser process: what it stores and rejects must be exactly what the row parser
stores and rejects, line for line and reason for reason."""

import pytest
from django.db import connection
from django.utils import translation
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kefu.imports.readers import open_table
from kefu.orgs.models import NetworkPoint, User
from kefu.parcels.ingest import (
    DEFAULT_SCAN_MAPPING,
    columnar,
    protocol,
    scans_import,
    shape,
    staging,
)
from kefu.parcels.ingest.cells import RowReader
from kefu.parcels.models import ScanEvent, Waybill
from kefu.parcels.tests.helpers import HEADER
from kefu.parcels.tests.test_import_process import WAYBILL_FIELDS

# Every line as it stands in the file, cells joined with commas (no quoting: the column parser's files).
MESSY = [
    "YT0000000001,到件,2026-11-20 09:00:00,P1,,标准快递,,A1,",
    " yt0000000001 , 派件 ,2026/11/20 10:05,P1,1001,,,A1,",
    "YT0000000001,SIGNOFF,2026-11-20T11:10:00,P1,1001,,,,",
    "YT0000000002,到件,2026年11月20日 08:15,P1,,特快,2026-11-20 18:00:00,A2,C7",
    "YT0000000002,派件,20261120121500,P1,10\\02,,,,",
    "YT0000000002,派件,2026-11-20 16:00:00,P1,1003,,,,",
    "YT0000000002,退回,2026-11-20 17:00:00,P1,,,,,",
    "",
    ",,,,,,,,",
    "bad!,到件,2026-11-20 09:00:00,P1,,,,,",
    "YT0000000003,飞走,2026-11-20 09:00:00,P1,,,,,",
    "YT0000000003,到件,2026-13-40 25:00:00,P1,,,,,",
    "YT0000000003,到件,,P1,,,,,",
    "YT0000000003,到件,2026-11-20 09:00:00,,,,,,",
    "YT0000000003,到件,2026-11-20 09:00:00,P1,,,明天,,",
    "YT0000000003,派件,2026-11-20 09:30:00,P1," + "9" * 33 + ",,,,",
    "YT0000000004,到件,2026-11-20 08:00:00,P1,,特快,,东区\t1,",
    "YT0000000004,到件,2026-11-20 08:00:00,P1,,特快,,东区\t1,",
    "YT0000000005,到件,2026-11-20 08:00:00,P9,,,,B1,",
    "YT0000000006,到件",
    "YT0000000006,到件,2026-11-20 08:00:00,P1",
    "YT0000000007,到件,2026-11-20 08:00:00,P1,,,,,,extra,cells",
    "YT0000000008,到件,1985-06-01 12:00:00,P1,,,,,",
    "YT0000000008,派件,2026-11-20 09:00:00.500000,P1,1004,,,,",
    "YT0000000009,问题件,2026-11-20 09:00:00,P8,,,,,",
    "YT0000000009,问题件,2026-11-20 09:00:00+08:00,P1,,,,,",
    "YT0000000010,到件,2026-02-29 10:00:00,P1,,,,,",
    "YT0000000011,到件,2026-11-20 08:00:00,P1,,A\tX,,B2,",
    "YT0000000011,派件,2026-11-20 09:00:00,P1,E\x1f1,A[,,A2,",
    "YT0000000011,签收,2026-11-20 10:00:00,P1,,,,C2,,",
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def outcome(batch):
    """Everything an import leaves: counts, rejected rows (with their cells), waybills, scans."""
    return (
        (batch.state, batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.rejected_rows),
        list(batch.rejects.order_by("line").values_list("line", "reason", "raw")),
        list(Waybill.objects.order_by("waybill_no", "point__code").values_list("point__code", *WAYBILL_FIELDS)),
        sorted(ScanEvent.objects.values_list("waybill_no", "scan_type", "scanned_at", "employee_no", "area_code")),
    )


def write(tmp_path, lines, encoding="gb18030", name="scans.csv"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join([",".join(HEADER), *lines]) + "\r\n").encode(encoding))
    return path


def both_parsers(path, settings, *, before=(), **kwargs):
    """The outcome of importing the file with the row parser, then (on a clean
    slate) with the column parser, both in the parser process; the files
    `before` are imported first each time, by the same parser."""
    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0
    results = []
    for use_columns in (False, True):
        settings.KEFU_SCAN_COLUMNAR = use_columns
        ScanEvent.objects.all().delete()
        Waybill.objects.all().delete()
        User.objects.exclude(point__code="P1").filter(point__isnull=False).delete()
        NetworkPoint.objects.exclude(code="P1").delete()
        for each in (*before, path):
            with each.open("rb") as fh:
                batch = scans_import(fileobj=fh, file_name=each.name, **kwargs)
        results.append(outcome(batch))
    return results


@pytest.mark.parametrize("chunk_rows", [2, 7, 50_000])
@pytest.mark.parametrize("transaction", [
    pytest.param(False, marks=pytest.mark.django_db, id="rows-through-the-pipe"),
    pytest.param(True, marks=pytest.mark.django_db(transaction=True), id="staging-files"),
])
def test_the_column_parser_stores_and_rejects_what_the_row_parser_does(point, tmp_path, settings, chunk_rows,
                                                                        transaction):
    """Inside a transaction (a test's) SQLite's rows come through the pipe; outside,
    through the parser's staging files."""
    rows, columns = both_parsers(write(tmp_path, MESSY), settings, chunk_rows=chunk_rows)

    assert columns == rows
    assert columns[0] == ("done", 30, 17, 2, 11)
    assert [(line, reason) for line, reason, _raw in columns[1]] == [
        (9, "the row has too few columns"),
        (10, "the waybill number — is not valid"),
        (11, "the waybill number BAD! is not valid"),
        (12, "unknown scan type 飞走"),
        (13, "the time 2026-13-40 25:00:00 is not a date and time"),
        (14, "the time  is not a date and time"),
        (15, "the point code is empty"),
        (16, "the sign-off deadline 明天 is not a date and time"),
        (17, f"the employee number {'9' * 33} is longer than 32 characters"),
        (21, "the row has too few columns"),
        (28, "the time 2026-02-29 10:00:00 is not a date and time"),
    ]
    assert set(NetworkPoint.objects.filter(confirmed=False).values_list("code", flat=True)) == {"P8", "P9"}
    eleven = Waybill.objects.get(waybill_no="YT0000000011")
    assert eleven.courier.employee_no == "E\x1f1"
    if chunk_rows == 50_000:  # all three rows in one chunk: the greatest code, byte by byte
        assert (eleven.product, eleven.area.code) == ("A[", "C2")


@pytest.mark.django_db
def test_a_utf8_file_with_a_title_row_above_the_header(point, tmp_path, settings):
    path = tmp_path / "scans.csv"
    path.write_bytes(("\ufeff某某网点扫描导出,,,,,,,,\n" + ",".join(HEADER) + "\n" + "\n".join(MESSY) + "\n").encode())

    rows, columns = both_parsers(path, settings, chunk_rows=5)

    assert columns == rows
    assert columns[1][0][:2] == (10, "the row has too few columns")


_waybills = ["YT0000000001", "yt0000000001", " YT0000000002", "YT0000000003 ", "X1", "YT-000-0004"]
_types = ["到件", "派件", "签收", "问题件", "退回", " 派件", "delivery", "Return", "飞走", ""]
_times = ["2026-11-20 09:00:00", "2026-11-20 23:59:59", "2026-11-21 00:00:00", "2026/11/20 10:00",
          "2026-11-20T08:00:00", "20261120120000", "2026-02-30 10:00:00", "soon", "", " 2026-11-20 09:00:00",
          "2026-11-20 09:00:00.250000"]
_points = ["P1", "P1", "P1", " P1", "P7", ""]
_promised = ["", "2026-11-21 06:00:00", "x"]
_products = ["特快", "b\\s", "东区\t1", "A\tX", "A["]
_areas = ["A1", "东区\t1", "9" * 33, "A[", "A\tX"]


_same_waybill = [0, 0, 1, 2, 3, 4]  # the waybill each of _waybills is, once trimmed and upper-cased
_same_time = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 10]


def _line(wb: int, kind: int, time: int, point: int, promised: int, blank: int, spaced: int, codes: int,
          extra: int) -> str:
    def code(value):
        return "" if blank else f" {value}" if spaced else value
    emp = code(f"10{(wb + time + codes) % 3}") if kind in (1, 5, 6) else ""
    cells = [_waybills[wb], _types[kind], _times[time], _points[point], emp, code(_products[codes % 5]),
             _promised[promised], code(_areas[(wb + codes) % 5]), code(f"C{codes % 3}")]
    return ",".join(cells + [""] * extra)  # an extra empty cell: Arrow cannot split the line


_rows = st.lists(st.builds(_line, st.integers(0, 5), st.integers(0, 9), st.integers(0, 10), st.integers(0, 5),
                           st.integers(0, 2), st.integers(0, 1), st.integers(0, 1), st.integers(0, 4),
                           st.sampled_from([0, 0, 0, 1])), min_size=1, max_size=30)


@pytest.mark.django_db
# No shrinking: each example starts two parser processes; the failing rows print as drawn.
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_rows, chunk=st.integers(1, 9), encoding=st.sampled_from(["gb18030", "utf-8"]))
def test_any_rows_give_the_same_outcome_from_either_parser(point, tmp_path, settings, rows, chunk, encoding):
    path = write(tmp_path, rows, encoding=encoding)

    by_rows, by_columns = both_parsers(path, settings, chunk_rows=chunk)

    assert by_columns == by_rows


def test_only_csv_files_without_quotes_are_read_by_columns(tmp_path):
    plain = write(tmp_path, MESSY[:3])
    quoted = write(tmp_path, [*MESSY[:3], 'YT0000000010,到件,2026-11-20 09:00:00,P1,,"标准,快递",,,'], name="q.csv")

    def table(path):
        with path.open("rb") as fh:
            return open_table(fh, path.name, required={"运单号"}, lists=True)

    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes(plain.read_bytes().decode("gb18030").encode("utf-16"))
    bare_cr = tmp_path / "cr.csv"
    bare_cr.write_bytes(plain.read_bytes().replace(b"\r\n", b"\r"))

    assert protocol.columnar_applies(str(plain), table(plain)) is True
    assert protocol.columnar_applies(str(quoted), table(quoted)) is False
    assert protocol.columnar_applies(str(utf16), table(utf16)) is False
    assert protocol.columnar_applies(str(bare_cr), table(bare_cr)) is False


def test_a_chunk_comes_grouped_by_waybill_as_the_store_would_group_it(tmp_path):
    path = write(tmp_path, MESSY[:7])
    with path.open("rb") as fh:
        table = open_table(fh, path.name, required={"运单号"}, lists=True)
    index = {f: table.index(h) for f, h in DEFAULT_SCAN_MAPPING.items()}
    store = staging.SqliteStore(None)
    reader = RowReader(index, points={"P1": 1}, restricted=False, store=store)

    [(chunk, position)] = list(columnar.chunks(str(path), table, index, reader, chunk_rows=100, dedupe=False))

    assert position == -1
    assert chunk.scans.num_rows == 7 and chunk.rejects == []
    code_sets, scan_rows, group_rows = columnar.compact(chunk)
    assert len(code_sets) == len({row[1:] for row in code_sets}) and len(scan_rows) == 7 and len(group_rows) == 2
    assert chunk.grouped.to_pylist() == [
        {"point_id": 1, "waybill_no": "YT0000000001", "product": "标准快递", "area_code": "A1", "customer_code": "",
         "employee_no": "1001", "arrived_at": "2026-11-20 01:00:00", "promised_at": None,
         "delivery_at": "2026-11-20 02:05:00", "signed_at": "2026-11-20 03:10:00", "returned_at": None,
         "problem_at": None},
        {"point_id": 1, "waybill_no": "YT0000000002", "product": "特快", "area_code": "A2", "customer_code": "C7",
         "employee_no": "1003", "arrived_at": "2026-11-20 00:15:00", "promised_at": "2026-11-20 10:00:00",
         "delivery_at": "2026-11-20 08:00:00", "signed_at": None, "returned_at": "2026-11-20 09:00:00",
         "problem_at": None},
    ]
    assert chunk.names() == {"couriers": {(1, "1001"), (1, "10\\02"), (1, "1003")}, "areas": {(1, "A1"), (1, "A2")},
                             "customers": {(1, "C7")}, "products": {"标准快递", "特快"}}


@pytest.mark.django_db
def test_new_waybills_with_a_scan_stored_before_store_each_scan_once(point, tmp_path, settings, monkeypatch):
    """PostgreSQL COPYs a chunk of mostly new waybills straight into the scan table;
    a scan that is there already undoes that COPY, and the chunk goes the staged way."""
    first = write(tmp_path, MESSY[:3], name="a.csv")
    fresh = [f"YT00000001{i:02d},到件,2026-11-20 09:00:00,P1,,标准快递,,A1," for i in range(5)]
    second = write(tmp_path, [*fresh[:2], MESSY[2], *fresh[2:]], name="b.csv")
    copied = []
    real_copy = staging.PostgresStore._copy_scans

    def spy(self, cursor, batch_id):
        copied.append(real_copy(self, cursor, batch_id))
        return copied[-1]

    monkeypatch.setattr(staging.PostgresStore, "_copy_scans", spy)

    rows, columns = both_parsers(second, settings, before=[first])

    assert columns == rows
    assert columns[0] == ("done", 6, 5, 1, 0)
    assert len(columns[3]) == 8
    if connection.vendor == "postgresql":
        assert copied == [3, None]  # the first file's COPY went in; the second's was undone


@pytest.mark.django_db
def test_a_waybill_stored_meanwhile_sends_the_chunk_the_upserts_way(point, tmp_path, settings, monkeypatch):
    """PostgreSQL inserts a grouped chunk's new waybills with a plain INSERT. Should one
    be stored between the look-up and the insert (another import), the insert is
    undone and the chunk takes the upsert, with the same outcome."""
    first = write(tmp_path, MESSY[:3], name="a.csv")
    fresh = [f"YT00000001{i:02d},到件,2026-11-20 09:00:00,P1,,标准快递,,A1," for i in range(5)]
    second = write(tmp_path, [*fresh[:2], MESSY[2].replace("11:10", "11:20"), *fresh[2:]], name="b.csv")
    fell_back = []
    real = staging.PostgresStore._store_grouped

    def spy(self, cursor, batch_id):
        created = real(self, cursor, batch_id)
        fell_back.append(created is None)
        return created

    # The look-up finds nothing, as if the waybill had been stored after it.
    monkeypatch.setattr(staging, "OLD_WAYBILLS", "INSERT INTO kefu_old_waybills SELECT point_id, waybill_no FROM {grouped} WHERE false")
    monkeypatch.setattr(staging.PostgresStore, "_store_grouped", spy)

    rows, columns = both_parsers(second, settings, before=[first])

    assert columns == rows
    assert columns[0] == ("done", 6, 6, 0, 0)
    if connection.vendor == "postgresql":
        assert fell_back == [False, True]


@pytest.mark.django_db
def test_a_re_import_stops_looking_its_waybills_up_after_a_chunk_of_stored_ones(point, tmp_path, settings,
                                                                                  monkeypatch):
    """The look-up of stored waybills pays off for new waybills only: after a chunk
    whose waybills were mostly stored, the next chunks go straight to the upsert."""
    lines = [f"YT00000002{i:02d},{kind},2026-11-20 {9 + j:02d}:00:00,P1,{'' if j == 0 else '1001'},标准快递,,A1,"
             for i in range(6) for j, kind in enumerate(("到件", "派件", "签收"))]
    path = write(tmp_path, lines)
    looked = []
    real = staging.PostgresStore._store_grouped

    def spy(self, cursor, batch_id):
        looked.append(True)
        return real(self, cursor, batch_id)

    monkeypatch.setattr(staging.PostgresStore, "_store_grouped", spy)

    rows, columns = both_parsers(path, settings, before=[path], chunk_rows=6)

    assert columns == rows
    assert columns[0] == ("done", 18, 0, 18, 0)
    assert len(columns[2]) == 6
    if connection.vendor == "postgresql":
        # The first import looks up in each of its 3 chunks; the second in its first only.
        assert len(looked) == 4


def stored_both_ways(table, store):
    """`table` COPYed as text and as binary data into two temporary tables of the
    staging columns' types: the rows each gives back, ordered by waybill."""
    cols = table.column_names
    spec = ", ".join(f"{c} {store.column_type(c)}" for c in cols)
    found = []
    with connection.cursor() as cursor:
        for name, data, fmt in (("t_text", columnar.copy_text(table, "\\N"), ""),
                                ("t_binary", columnar.copy_binary(table, store.binary_kinds(), "\\N"),
                                 " (FORMAT binary)")):
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ({spec})")
            with cursor.cursor.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN{fmt}") as copy:
                copy.write(data)
            cursor.execute(f"SELECT * FROM {name} ORDER BY waybill_no")
            found.append(cursor.fetchall())
            cursor.execute(f"DROP TABLE {name}")
    return found


@pytest.mark.django_db
def test_binary_copy_data_stores_what_copy_text_stores():
    """The column parser sends PostgreSQL binary COPY data: codes unescaped, times as
    microseconds, blank times NULL. Stored, it reads back as the COPY text does."""
    if connection.vendor != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    import pyarrow as pa

    store = staging.PostgresStore(connection)
    rows = [
        (1, "YT1", 3, "2026-11-20 01:00:00+00:00", "", "标准快递", "\\N", "A\\t1", "", 7),
        (2, "YT2", 5, "2026-11-20 01:00:00.500000+00:00", "10\\\\02", "", "2026-11-21 01:00:00+00:00", "", "C\\n", 7),
        (2, "YT3", 7, "1985-06-01 04:00:00+00:00", "E\x1f1", "A[", "\\N", "东区", "", 7),
    ]
    cols = store.STAGE_COLS
    table = pa.table({c: pa.array([r[i] for r in rows], pa.int64() if c in ("point_id", "scan_type", "batch_id")
                                   else pa.string()) for i, c in enumerate(cols)})
    text, binary = stored_both_ways(table, store)
    assert binary == text
    assert text[1][4] == "10\\02" and text[0][7] == "A\t1" and text[0][6] is None


def test_a_time_binary_copy_cannot_write_leaves_the_chunk_to_copy_text():
    import pyarrow as pa

    table = pa.table({"scanned_at": pa.array(["2026-11-20 01:00:00+00:00", "not a time"])})
    assert columnar.copy_binary(table, {"scanned_at": "time"}, "\\N") is None


@pytest.mark.django_db
def test_binary_copy_data_of_sliced_chunked_and_blank_columns():
    """Arrow hands over columns in pieces (several chunks, slices of a buffer) and
    grouped waybills with no time of a kind: the binary data stores what COPY text does."""
    if connection.vendor != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    import pyarrow as pa

    store = staging.PostgresStore(connection)
    n = 7
    columns = {c: pa.chunked_array([[f"{c}{i}" for i in range(3)], [f"{c}{i}" for i in range(3, n)]])
               for c in ("waybill_no", "product", "area_code", "customer_code", "employee_no")}
    grouped = pa.table({
        "point_id": pa.chunked_array([[1, 2], [3, 4, 5, 6, 7]], pa.int64()), **columns,
        "arrived_at": pa.chunked_array([[f"2026-11-2{i} 0{i}:00:00+00:00" for i in range(n)]]),
        **{c: pa.array([None] * n, pa.string())
           for c in ("promised_at", "delivery_at", "signed_at", "returned_at", "problem_at")},
    }).select(shape.GROUP_COLS).slice(2, 4)
    text, binary = stored_both_ways(grouped, store)
    assert binary == text
    assert [row[1] for row in text] == ["waybill_no2", "waybill_no3", "waybill_no4", "waybill_no5"]
    assert all(row[7] is None for row in text)
    assert columnar.copy_binary(grouped.slice(0, 0), store.binary_kinds(), "\\N") == (
        columnar.BINARY_HEADER + columnar.BINARY_TRAILER)


@pytest.mark.django_db
def test_the_boards_deadline_index_is_brin_on_postgresql_and_a_b_tree_on_sqlite():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'waybill_due'")
            assert "USING brin (point_id, deadline)" in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'waybill_due'")
            assert '("point_id", "deadline")' in cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_new_waybills_at_once_store_each_once(point, tmp_path, settings, monkeypatch):
    """Two imports look the same waybills up at once and both find them new: the one
    whose plain insert meets the other's rows undoes it and takes the upsert."""
    if connection.vendor != "postgresql":
        pytest.skip("the plain insert of new waybills is PostgreSQL's")
    import threading

    from django.db import connections

    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0
    numbers = [f"YT00000003{i:02d}" for i in range(6)]
    files = (write(tmp_path, [f"{n},到件,2026-11-20 09:00:00,P1,,标准快递,,," for n in numbers], name="a.csv"),
             write(tmp_path, [*(f"{n},派件,2026-11-20 10:00:00,P1,1001,,,," for n in numbers),
                              *(f"{n},到件,2026-11-20 08:00:00,P1,,标准快递,,," for n in numbers)], name="b.csv"))
    both_looked = threading.Barrier(2, timeout=30)
    created, errors, batches = [], [], []
    real = staging.PostgresStore._store_grouped

    def store_grouped(self, cursor, batch_id):
        execute = cursor.execute

        def pausing(sql, params=None):
            result = execute(sql, params)
            if sql.lstrip().startswith("INSERT INTO kefu_old_waybills"):
                both_looked.wait()
            return result

        cursor.execute = pausing
        try:
            created.append(real(self, cursor, batch_id))
        finally:
            del cursor.execute
        return created[-1]

    monkeypatch.setattr(staging.PostgresStore, "_store_grouped", store_grouped)

    def run(path):
        try:
            with translation.override("en"), path.open("rb") as fh:
                batches.append(scans_import(fileobj=fh, file_name=path.name))
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(path,)) for path in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert sorted(c is None for c in created) == [False, True]  # one fell back to the upsert
    assert sorted((b.state, b.created_rows, b.duplicate_rows) for b in batches) == [("done", 6, 0), ("done", 12, 0)]
    assert ScanEvent.objects.count() == 18
    waybills = Waybill.objects.order_by("waybill_no").values_list("waybill_no", "arrived_at", "delivery_at",
                                                                   "courier__employee_no")
    assert [(w[0], w[1].hour, w[2].hour, w[3]) for w in waybills] == [(n, 0, 2, "1001") for n in numbers]
