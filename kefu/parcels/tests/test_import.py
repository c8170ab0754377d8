import datetime as dt
import io
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.imports.models import ImportBatch
from kefu.imports.tests.files import xlsx_bytes
from kefu.orgs.models import Area, NetworkPoint, Role, User
from kefu.orgs.tests.factories import AreaFactory, PointFactory, UserFactory
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import ScanEvent, ScanType, Waybill
from kefu.parcels.tests.helpers import HEADER, at, scan, scan_csv

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
WAYBILL_FIELDS = ("point_id", "waybill_no", "product", "area_id", "courier_id", "customer_id", "arrived_at",
                  "promised_at", "deadline", "warn_at", "delivery_at", "signed_at", "returned_at",
                  "problem_at", "settled_at")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def load(rows, **kwargs):
    return scans_import(fileobj=scan_csv(rows), file_name="scans.csv", **kwargs)


def rejects(batch):
    return list(batch.rejects.values_list("line", "reason"))


def waybills():
    return {w[1]: w for w in Waybill.objects.order_by("waybill_no").values_list(*WAYBILL_FIELDS)}


def counts(batch):
    return (batch.state, batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.rejected_rows)


def test_gbk_csv_is_read(point):
    data = scan_csv([scan("YT0000000001", "到件", "2026-11-20 09:00", product="标准快递", area="东区")],
                    encoding="gbk")

    batch = scans_import(fileobj=data, file_name="扫描.csv")

    assert counts(batch) == ("done", 1, 1, 0, 0)
    assert batch.encoding == "gb18030"
    wb = Waybill.objects.get()
    assert (wb.product, wb.area.code, wb.arrived_at) == ("标准快递", "东区", at("2026-11-20 09:00"))


def test_utf8_with_bom_finds_the_first_header(point):
    data = scan_csv([scan("YT0000000001", "签收", "2026-11-20 09:00")], encoding="utf-8-sig")

    batch = scans_import(fileobj=data, file_name="scans.csv")

    assert (batch.state, batch.encoding, batch.created_rows) == ("done", "utf-8-sig", 1)
    assert Waybill.objects.get().signed_at == at("2026-11-20 09:00")


def test_missing_required_columns_fail_naming_them(point):
    data = scan_csv([["YT0000000001", "到件"]], header=["运单号", "扫描类型"])

    batch = scans_import(fileobj=data, file_name="scans.csv")

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error.startswith("The columns 扫描时间、网点编号 are missing")
    assert ScanEvent.objects.count() == 0


def test_bad_rows_are_rejected_with_their_line_and_reason_and_valid_rows_stored(point):
    batch = load([
        scan("YT0000000001", "到件", "2026-11-20 09:00"),
        scan("YT0000000002", "飞件", "2026-11-20 09:00"),
        scan("YT 01", "到件", "2026-11-20 09:00"),
        scan("YT0000000003", "到件", "昨天"),
        scan("YT0000000004", "到件", "2026-11-20 09:00", point=""),
        scan("yt0000000005", "arrival", "2026-11-20 09:00"),
    ])

    assert counts(batch) == ("done", 6, 2, 0, 4)
    assert rejects(batch) == [
        (3, "unknown scan type 飞件"),
        (4, "the waybill number YT 01 is not valid"),
        (5, "the time 昨天 is not a date and time"),
        (6, "the point code is empty"),
    ]
    assert set(Waybill.objects.values_list("waybill_no", flat=True)) == {"YT0000000001", "YT0000000005"}
    assert batch.rejects.get(line=3).raw == {"cells": scan("YT0000000002", "飞件", "2026-11-20 09:00")}


@pytest.mark.parametrize("written", ["2026-11-20 09:15:00", "2026/11/20 09:15", "2026年11月20日 09:15"])
def test_dates_in_the_common_formats_are_shanghai_local_time(point, written):
    load([scan("YT0000000001", "到件", written)])

    assert ScanEvent.objects.get().scanned_at == at("2026-11-20 09:15")
    assert Waybill.objects.get().deadline == at("2026-11-21 09:15")


def _scan_sheet(ws):
    ws.append(["中通快递扫描导出 2026-11-20"])
    ws.merge_cells("A1:I1")
    ws.append(HEADER)
    ws.append(["YT0000000001", "到件", dt.datetime(2026, 11, 20, 9, 15), "P1", None, "标准快递", None, "A1", None])
    ws.append(["YT0000000001", "派件", "2026/11/20 11:00", "P1", 1001, "标准快递", None, "A1", None])
    ws.append(["YT0000000002", "拆包", dt.datetime(2026, 11, 20, 9, 20), "P1", None, None, None, None, None])


def test_xlsx_with_a_merged_title_row_and_excel_datetime_cells(point):
    courier = UserFactory(point=point, role=Role.COURIER, employee_no="1001")

    batch = scans_import(fileobj=io.BytesIO(xlsx_bytes(_scan_sheet)), file_name="扫描.xlsx")

    assert counts(batch) == ("done", 3, 2, 0, 1)
    assert rejects(batch) == [(5, "unknown scan type 拆包")]
    wb = Waybill.objects.get()
    assert (wb.arrived_at, wb.delivery_at, wb.courier) == (at("2026-11-20 09:15"), at("2026-11-20 11:00"), courier)


def test_a_truncated_xlsx_fails_with_a_clear_error_and_stores_nothing(point):
    data = xlsx_bytes(_scan_sheet)

    batch = scans_import(fileobj=io.BytesIO(data[: len(data) // 2]), file_name="扫描.xlsx")

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error.startswith("The spreadsheet cannot be read (damaged or truncated?): ")
    assert (ScanEvent.objects.count(), Waybill.objects.count()) == (0, 0)


ROWS = [
    scan("YT0000000001", "到件", "2026-11-20 09:00", emp="", product="标准快递", area="A1"),
    scan("YT0000000001", "派件", "2026-11-20 11:00", emp="1001", product="标准快递", area="A1"),
    scan("YT0000000001", "签收", "2026-11-20 15:00", emp="1001"),
    scan("YT0000000002", "到件", "2026-11-20 09:30", product="特快", promised="2026-11-20 18:00"),
    scan("YT0000000002", "问题件", "2026-11-20 12:00", emp="1002"),
    scan("YT0000000002", "派件", "2026-11-20 13:00", emp="1002"),
    scan("YT0000000002", "派件", "2026-11-20 16:00", emp="1003"),
    scan("YT0000000002", "退回", "2026-11-20 17:00", emp="1003"),
    scan("YT0000000003", "到件", "2026-11-20 10:00"),
    scan("YT0000000003", "到件", "2026-11-20 08:00"),
]


def test_reimporting_the_same_file_creates_nothing_and_leaves_the_waybills(point):
    first = load(ROWS)
    before = waybills()

    second = load(ROWS)

    assert counts(first) == ("done", 10, 10, 0, 0)
    assert counts(second) == ("done", 10, 0, 10, 0)
    assert waybills() == before
    assert ScanEvent.objects.count() == 10


def test_duplicates_within_one_file_are_counted_once(point):
    batch = load([ROWS[0], ROWS[1], ROWS[0], ROWS[0]])

    assert counts(batch) == ("done", 4, 2, 2, 0)
    assert ScanEvent.objects.count() == 2


def test_two_halves_in_reverse_order_give_the_same_waybills_as_the_whole_file(point):
    load(ROWS)
    whole = waybills()
    ScanEvent.objects.all().delete()
    Waybill.objects.all().delete()

    load(ROWS[5:])
    load(ROWS[:5])

    assert waybills() == whole
    wb2 = Waybill.objects.get(waybill_no="YT0000000002")
    assert wb2.courier.employee_no == "1003"
    assert (wb2.delivery_at, wb2.returned_at, wb2.settled_at) == (
        at("2026-11-20 16:00"), at("2026-11-20 17:00"), at("2026-11-20 17:00"))
    assert wb2.deadline == at("2026-11-20 18:00")
    wb3 = Waybill.objects.get(waybill_no="YT0000000003")
    assert (wb3.arrived_at, wb3.deadline) == (at("2026-11-20 08:00"), at("2026-11-21 08:00"))


def test_chunks_of_three_rows_give_the_same_result_as_one_chunk(point):
    one = load(ROWS)
    whole = waybills()
    ScanEvent.objects.all().delete()
    Waybill.objects.all().delete()

    chunked = load(ROWS, chunk_rows=3)

    assert counts(chunked)[1:] == counts(one)[1:]
    assert waybills() == whole


def test_unknown_point_employee_and_area_are_created_unconfirmed_in_a_system_import():
    batch = load([scan("YT0000000001", "派件", "2026-11-20 11:00", point="P9", emp="2001", area="B7")])

    assert counts(batch) == ("done", 1, 1, 0, 0)
    new_point = NetworkPoint.objects.get(code="P9")
    courier = User.objects.get(employee_no="2001")
    area = Area.objects.get(code="B7")
    assert new_point.confirmed is False
    assert (courier.point, courier.role, courier.confirmed) == (new_point, Role.COURIER, False)
    assert (area.point, area.confirmed) == (new_point, False)
    assert Waybill.objects.get().courier == courier


def test_known_employee_and_area_are_used_as_they_are(point):
    courier = UserFactory(point=point, role=Role.COURIER, employee_no="1001")
    area = AreaFactory(point=point, code="A1")

    load([scan("YT0000000001", "派件", "2026-11-20 11:00", emp="1001", area="A1")])

    assert (Waybill.objects.get().courier, Waybill.objects.get().area) == (courier, area)
    assert User.objects.filter(employee_no="1001").count() == 1


def test_an_import_for_one_point_rejects_rows_of_other_points(point):
    PointFactory(code="P2")

    batch = load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
                  scan("YT0000000002", "到件", "2026-11-20 09:00", point="P2"),
                  scan("YT0000000003", "到件", "2026-11-20 09:00", point="P9")], point=point)

    assert counts(batch) == ("done", 3, 1, 0, 2)
    assert rejects(batch) == [(3, "the point P2 is not this network point"),
                              (4, "the point P9 is not this network point")]
    assert not NetworkPoint.objects.filter(code="P9").exists()
    assert batch.point == point


def test_a_column_mapping_reads_another_layout(point):
    header = ["快递单号", "操作", "操作时间", "网点"]
    data = scan_csv([["YT0000000001", "到件", "2026-11-20 09:00", "P1"]], header=header)

    batch = scans_import(fileobj=data, file_name="scans.csv", mapping={
        "waybill_no": "快递单号", "scan_type": "操作", "scanned_at": "操作时间", "point_code": "网点"})

    assert counts(batch) == ("done", 1, 1, 0, 0)
    assert Waybill.objects.get().arrived_at == at("2026-11-20 09:00")


def test_progress_is_called_with_rows_and_bytes_read(point):
    calls = []

    load(ROWS, chunk_rows=4, progress=lambda rows, position: calls.append((rows, position)))

    assert [c[0] for c in calls] == [4, 8, 10]
    assert all(c[1] > 0 for c in calls), calls


def test_the_command_maps_columns_and_prints_json(point, tmp_path):
    path = tmp_path / "扫描.csv"
    path.write_bytes(scan_csv([["YT0000000001", "到件", "2026-11-20 09:00", "P1"],
                               ["YT0000000002", "乱码", "2026-11-20 09:00", "P1"]],
                              header=["快递单号", "扫描类型", "扫描时间", "网点编号"], encoding="gbk").getvalue())
    out, err = StringIO(), StringIO()

    call_command("import_scans", str(path), "--map", "waybill_no=快递单号", "--point", "P1", "--no-progress",
                 stdout=out, stderr=err)

    data = json.loads(out.getvalue())
    assert {k: data[k] for k in ("state", "rows", "created", "duplicates", "rejected")} == {
        "state": "done", "rows": 2, "created": 1, "duplicates": 0, "rejected": 1}
    assert "line 3: unknown scan type 乱码" in err.getvalue()
    assert ImportBatch.objects.get(pk=data["batch"]).point == point


# Scans of a few waybills: each waybill keeps one product and area (as exports
# do), a scan's (waybill, type, time) names it, and a 派件 scan has a courier.
_KINDS = ["到件", "派件", "签收", "问题件", "退回"]
_scan_keys = st.tuples(st.integers(1, 4), st.sampled_from(_KINDS), st.integers(0, 30))


def _row(key):
    wb, kind, minute = key
    time = (dt.datetime(2026, 11, 20, 8) + dt.timedelta(minutes=minute * 37)).strftime("%Y-%m-%d %H:%M")
    emp = f"10{(wb * 31 + minute) % 3}" if kind == "派件" else ""
    return scan(f"YT000000000{wb}", kind, time, emp=emp, product="特快" if wb % 2 else "",
                area=f"A{wb % 3}", promised="2026-11-21 06:00" if wb == 4 else "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(_scan_keys, min_size=1, max_size=25), chunk=st.integers(1, 8), data=st.data())
def test_any_order_and_chunking_gives_the_same_waybills(point, keys, chunk, data):
    rows = [_row(k) for k in keys]
    ScanEvent.objects.all().delete()
    Waybill.objects.all().delete()
    load(rows)
    expected = waybills()
    ScanEvent.objects.all().delete()
    Waybill.objects.all().delete()
    shuffled = data.draw(st.permutations(rows))
    cut = data.draw(st.integers(0, len(rows)))

    load(shuffled[cut:], chunk_rows=chunk)
    load(shuffled[:cut], chunk_rows=chunk)

    assert waybills() == expected
    assert ScanEvent.objects.count() == len(set(keys))
    assert set(ScanEvent.objects.values_list("scan_type", flat=True)) <= set(ScanType.values)


def test_backslashes_tabs_and_line_breaks_in_cells_are_stored_as_written(point):
    batch = load([scan("YT0000000001", "派件", "2026-11-20 11:00", emp="10\\01", product="标准\t快递",
                       area="东区\n2号", customer="C\\N")])

    assert counts(batch) == ("done", 1, 1, 0, 0)
    event = ScanEvent.objects.get()
    assert (event.employee_no, event.product, event.area_code, event.customer_code) == (
        "10\\01", "标准\t快递", "东区\n2号", "C\\N")
    wb = Waybill.objects.get()
    assert (wb.product, wb.area.code, wb.courier.employee_no) == ("标准\t快递", "东区\n2号", "10\\01")


def test_the_courier_is_the_employee_of_the_latest_delivery_scan_in_any_chunking(point):
    rows = [scan("YT0000000001", "派件", "2026-11-20 15:00", emp="1002"),
            scan("YT0000000001", "到件", "2026-11-20 09:00"),
            scan("YT0000000001", "派件", "2026-11-20 10:00", emp="1001")]
    load(rows, chunk_rows=1)
    first = Waybill.objects.get()
    Waybill.objects.all().delete()
    ScanEvent.objects.all().delete()
    load(rows)

    assert first.courier.employee_no == Waybill.objects.get().courier.employee_no == "1002"
    assert Waybill.objects.get().delivery_at == at("2026-11-20 15:00")


def test_a_rule_taking_effect_on_the_second_day_sets_the_deadlines_of_that_days_arrivals(point):
    from kefu.parcels.models import DeadlineRule

    DeadlineRule.objects.create(point=point, allowance_minutes=6 * 60, lead_minutes=45,
                                effective_from=dt.date(2026, 11, 21))
    load([scan("YT0000000001", "到件", "2026-11-20 23:30"),  # 15:30 UTC, local day the 20th
          scan("YT0000000002", "到件", "2026-11-21 00:30")])  # 16:30 UTC the 20th, local day the 21st

    one, two = Waybill.objects.order_by("waybill_no")
    assert (one.deadline, one.warn_at) == (at("2026-11-21 23:30"), at("2026-11-21 22:30"))
    assert (two.deadline, two.warn_at) == (at("2026-11-21 06:30"), at("2026-11-21 05:45"))


def test_a_file_that_stops_being_valid_text_keeps_the_chunks_before_and_says_where(point):
    # Past the first megabyte, which the encoding is detected from.
    good = "\r\n".join(",".join(r) for r in [HEADER] + [
        scan(f"YT{i:010d}", "到件", "2026-11-20 09:00", product="标准快递") for i in range(1, 25_001)]) + "\r\n"
    data = io.BytesIO(good.encode("gb18030") + b"YT0000000009,\xff\xfe\xff,2026-11-20 09:00,P1\r\n" * 3)

    batch = scans_import(fileobj=data, file_name="scans.csv", chunk_rows=5_000)

    assert batch.state == "failed"
    assert "after line" in batch.error
    assert ScanEvent.objects.count() == batch.created_rows >= 20_000


def test_codes_longer_than_their_column_reject_the_row_and_keep_the_rest(point):
    batch = load([scan("YT0000000001", "派件", "2026-11-20 10:00", emp="9" * 33),
                  scan("YT0000000002", "到件", "2026-11-20 10:00", product="特" * 31),
                  scan("YT0000000003", "到件", "2026-11-20 10:00", area="A" * 32, product="特" * 30)])

    assert counts(batch) == ("done", 3, 1, 0, 2)
    assert rejects(batch) == [
        (2, f"the employee number {'9' * 33} is longer than 32 characters"),
        (3, f"the product {'特' * 31} is longer than 30 characters"),
    ]
    assert Waybill.objects.get().area.code == "A" * 32


def test_scans_of_a_waybill_deleted_without_them_are_duplicates_and_the_waybill_comes_back(point):
    load(ROWS)
    before = waybills()
    Waybill.objects.all().delete()

    again = load(ROWS)

    assert counts(again) == ("done", 10, 0, 10, 0)
    assert waybills() == before
    assert ScanEvent.objects.count() == 10


def test_the_same_scans_under_another_point_are_duplicates_but_make_that_points_waybill(point):
    PointFactory(code="P2")
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"), scan("YT0000000002", "到件", "2026-11-20 09:30")])

    other = load([scan("YT0000000001", "到件", "2026-11-20 09:00", point="P2"),
                  scan("YT0000000003", "到件", "2026-11-20 10:00", point="P2")])

    assert counts(other) == ("done", 2, 1, 1, 0)
    assert sorted(Waybill.objects.values_list("point__code", "waybill_no")) == [
        ("P1", "YT0000000001"), ("P1", "YT0000000002"), ("P2", "YT0000000001"), ("P2", "YT0000000003")]
    assert ScanEvent.objects.count() == 3
