import datetime as dt
import io

import pytest
from django.utils import translation

from kefu.core.business_time import SHANGHAI
from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.imports.models import ImportBatch, RejectedRow
from kefu.imports.tests.files import HEADER, csv_bytes, message, xlsx_bytes
from kefu.orgs.models import Queue
from kefu.orgs.tests.factories import AgentFactory, PointFactory
from kefu.tickets.message_import import platform_messages_import
from kefu.tickets.models import Channel, Kind, Priority, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Reasons are stored in the importing user's language; assert on the source strings.
    with translation.override("en"):
        yield


def run(point, data: bytes, name: str = "留言.csv", **kwargs) -> ImportBatch:
    return platform_messages_import(point=point, fileobj=io.BytesIO(data), file_name=name, **kwargs)


def rejects(batch) -> list[tuple[int, str]]:
    return list(batch.rejects.values_list("line", "reason"))


def test_utf8_csv_with_default_headers_creates_one_ticket_per_row():
    point = PointFactory()
    agent = AgentFactory(point=point, queue=Queue.ARRIVAL)
    data = csv_bytes([
        message("M001", waybill="yt7788990011223", text="快件三天没有更新\n请帮忙查一下",
                customer="张三", phone="13900001111"),
        message("M002", waybill="", at="2026-11-20 10:00:00", text="什么时候派送"),
    ])

    batch = run(point, data, actor=agent)

    assert (batch.state, batch.encoding, batch.error) == (ImportBatch.State.DONE, "utf-8", "")
    assert (batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.rejected_rows) == (2, 2, 0, 0)
    assert batch.size == len(data)
    assert batch.finished_at is not None
    first = Ticket.objects.get(point=point, platform_message_id="M001")
    assert first.waybill_no == "YT7788990011223"
    assert first.subject == "快件三天没有更新"
    assert first.description == "快件三天没有更新\n请帮忙查一下"
    assert first.created_at == dt.datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)
    assert (first.channel, first.queue, first.created_by) == (Channel.IMPORT, Queue.ARRIVAL, agent)
    assert (first.customer, first.contact_name, first.contact_phone) == (None, "张三", "13900001111")
    assert first.assignee == agent
    second = Ticket.objects.get(point=point, platform_message_id="M002")
    assert second.waybill_no == ""


def test_gbk_csv_is_read_as_gb18030():
    point = PointFactory()
    data = csv_bytes([message("G1", text="派件员态度很差，电话也打不通", customer="李四")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    batch = run(point, data)

    assert (batch.state, batch.encoding, batch.created_rows) == (ImportBatch.State.DONE, "gb18030", 1)
    ticket = Ticket.objects.get(platform_message_id="G1")
    assert ticket.description == "派件员态度很差，电话也打不通"
    assert ticket.contact_name == "李四"


def test_utf8_with_bom_finds_the_first_header():
    point = PointFactory()
    data = csv_bytes([message("B1")], encoding="utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")

    batch = run(point, data)

    assert (batch.state, batch.encoding, batch.created_rows) == (ImportBatch.State.DONE, "utf-8-sig", 1)
    assert Ticket.objects.filter(platform_message_id="B1").count() == 1


def test_tab_separated_file():
    point = PointFactory()
    data = csv_bytes([message("T1", text="到了吗, 急"), message("T2")], delimiter="\t")

    batch = run(point, data, name="留言.txt")

    assert (batch.state, batch.created_rows, batch.rejected_rows) == (ImportBatch.State.DONE, 2, 0)
    assert Ticket.objects.get(platform_message_id="T1").description == "到了吗, 急"


def test_malformed_rows_are_rejected_with_line_and_reason_and_valid_rows_kept():
    point = PointFactory()
    data = csv_bytes([
        message("OK1"),                                   # line 2
        message("", text="没有编号"),                      # line 3
        message("BAD2", at="2026-13-45 99:00"),           # line 4
        message("BAD3", text=""),                         # line 5
        message("BAD4", waybill="YT#12"),                 # line 6
        message("OK2", at="2026-11-21 08:00:00"),         # line 7
        message("BAD5", at=""),                           # line 8
        message("", waybill="x", at="昨天", text=""),      # line 9: every problem at once
    ])

    batch = run(point, data)

    assert batch.state == ImportBatch.State.DONE
    assert (batch.total_rows, batch.created_rows, batch.rejected_rows) == (8, 2, 6)
    assert rejects(batch) == [
        (3, "the message ID (留言编号) is empty"),
        (4, "the time 2026-13-45 99:00 is not a date and time"),
        (5, "the message text (留言内容) is empty"),
        (6, "the waybill number YT#12 is not valid"),
        (8, "the time (留言时间) is empty"),
        (9, "the message ID (留言编号) is empty; the waybill number x is not valid; "
            "the message text (留言内容) is empty; the time 昨天 is not a date and time"),
    ]
    assert set(Ticket.objects.values_list("platform_message_id", flat=True)) == {"OK1", "OK2"}
    bad_date = batch.rejects.get(line=4)
    assert bad_date.raw == dict(zip(HEADER, message("BAD2", at="2026-13-45 99:00"), strict=True))


def test_line_numbers_count_blank_lines_and_multiline_cells_as_a_person_would():
    point = PointFactory()
    data = (
        "留言编号,运单号,留言时间,留言内容,客户,电话\r\n"
        "L1,YT7788990011223,2026-11-20 09:15,\"第一行\r\n第二行\",,\r\n"   # lines 2-3
        "\r\n"                                                             # line 4, blank
        "L2,YT7788990011223,,\"没有时间\r\n也是两行\",,\r\n"               # lines 5-6
        "L3,YT7788990011223,不是时间,文本,,\r\n"                            # line 7
    ).encode()

    batch = run(point, data)

    assert (batch.total_rows, batch.created_rows) == (3, 1)
    assert [line for line, _ in rejects(batch)] == [5, 7]
    assert Ticket.objects.get().description == "第一行\r\n第二行"


@pytest.mark.parametrize("written", ["2026-11-20 09:15:00", "2026/11/20 09:15", "2026年11月20日 09:15"])
def test_dates_as_chinese_exports_write_them_are_shanghai_local_time(written):
    point = PointFactory()

    batch = run(point, csv_bytes([message("D1", at=written)]))

    assert batch.created_rows == 1
    assert Ticket.objects.get().created_at == dt.datetime(2026, 11, 20, 1, 15, tzinfo=dt.UTC)


def test_reimporting_the_same_file_creates_nothing_and_counts_duplicates():
    point = PointFactory()
    data = csv_bytes([message("R1"), message("R2"), message("R3")])
    first = run(point, data)

    second = run(point, data)

    assert (first.created_rows, first.duplicate_rows) == (3, 0)
    assert (second.state, second.total_rows, second.created_rows, second.duplicate_rows,
            second.rejected_rows) == (ImportBatch.State.DONE, 3, 0, 3, 0)
    assert second.sha256 == first.sha256
    assert Ticket.objects.count() == 3


def test_duplicates_inside_one_file_keep_the_first_row():
    point = PointFactory()
    data = csv_bytes([message("X1", text="第一次"), message("X2"), message("X1", text="第二次")])

    batch = run(point, data)

    assert (batch.total_rows, batch.created_rows, batch.duplicate_rows) == (3, 2, 1)
    assert Ticket.objects.get(platform_message_id="X1").description == "第一次"


def test_the_same_message_id_at_another_point_is_not_a_duplicate():
    point, other = PointFactory(), PointFactory()
    data = csv_bytes([message("P1")])
    run(other, data)

    batch = run(point, data)

    assert (batch.created_rows, batch.duplicate_rows) == (1, 0)
    assert Ticket.objects.filter(platform_message_id="P1").count() == 2


def test_an_oversized_file_fails_with_its_size_and_the_limit_and_creates_nothing(settings):
    settings.KEFU_MAX_IMPORT_BYTES = 100
    point = PointFactory()
    data = csv_bytes([message("O1"), message("O2"), message("O3")])
    assert len(data) > 100

    batch = run(point, data)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error == f"The file is {len(data)}\xa0bytes; the limit is 100\xa0bytes."
    assert (batch.total_rows, batch.created_rows) == (0, 0)
    assert Ticket.objects.count() == 0
    assert RejectedRow.objects.count() == 0


def _sheet_with_title_and_merged_header(ws):
    ws.append(["XX网点平台留言导出 2026-11-20"])
    ws.merge_cells("A1:H1")
    ws.append(["留言编号", "运单号", "留言时间", "留言内容", None, "客户", "电话", "备注"])
    ws.merge_cells("D2:E2")
    ws.append([100234, "YT7788990011223", dt.datetime(2026, 11, 20, 9, 15), "包裹找不到了", None,
               "张三", 13900001111, ""])
    ws.append(["X2", "YT7788990011224", "2026/11/20 10:30", "什么时候到", "补充说明", "", "", "加急"])
    ws.append(["X3", "YT7788990011225", dt.datetime(2026, 11, 20, 11, 0), None, None, "", "", ""])


def test_xlsx_with_a_merged_title_row_merged_header_cells_and_datetime_cells():
    point = PointFactory()
    data = xlsx_bytes(_sheet_with_title_and_merged_header)

    batch = run(point, data, name="留言导出.XLSX")

    assert (batch.state, batch.encoding) == (ImportBatch.State.DONE, "xlsx")
    assert (batch.total_rows, batch.created_rows, batch.rejected_rows) == (3, 2, 1)
    assert rejects(batch) == [(5, "the message text (留言内容) is empty")]
    first = Ticket.objects.get(platform_message_id="100234")
    assert first.created_at == dt.datetime(2026, 11, 20, 9, 15, tzinfo=SHANGHAI)
    assert (first.contact_name, first.contact_phone) == ("张三", "13900001111")
    second = Ticket.objects.get(platform_message_id="X2")
    assert second.created_at == dt.datetime(2026, 11, 20, 10, 30, tzinfo=SHANGHAI)
    assert second.description == "什么时候到"


def test_a_truncated_xlsx_fails_with_a_clear_error():
    point = PointFactory()
    data = xlsx_bytes(_sheet_with_title_and_merged_header)

    batch = run(point, data[: len(data) // 2], name="留言导出.xlsx")

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error.startswith("The spreadsheet cannot be read (damaged or truncated?): ")
    assert Ticket.objects.count() == 0


def test_an_xlsx_uploaded_without_its_extension_is_still_read_as_a_spreadsheet():
    point = PointFactory()

    batch = run(point, xlsx_bytes(_sheet_with_title_and_merged_header), name="export")

    assert (batch.state, batch.encoding, batch.created_rows) == (ImportBatch.State.DONE, "xlsx", 2)


def test_a_column_mapping_reads_another_layout():
    point = PointFactory()
    data = csv_bytes(
        [["W9", "备注", "YT7788990011223", "2026-11-20 09:15", "快递显示签收但是没收到"]],
        header=["工单号", "备注", "快递单号", "创建时间", "内容"],
    )
    mapping = {"message_id": "工单号", "waybill_no": "快递单号", "created_at": "创建时间",
               "content": "内容"}

    batch = run(point, data, mapping=mapping)

    assert (batch.state, batch.created_rows, batch.mapping) == (ImportBatch.State.DONE, 1, mapping)
    ticket = Ticket.objects.get(platform_message_id="W9")
    assert ticket.waybill_no == "YT7788990011223"
    assert ticket.category.code == "false_signoff"


def test_a_bad_date_in_a_mapped_layout_names_the_mapped_column():
    point = PointFactory()
    data = csv_bytes([["W1", "YT7788990011223", "", "文本"]], header=["工单号", "快递单号", "创建时间", "内容"])
    mapping = {"message_id": "工单号", "waybill_no": "快递单号", "created_at": "创建时间", "content": "内容"}

    batch = run(point, data, mapping=mapping)

    assert rejects(batch) == [(2, "the time (创建时间) is empty")]


def test_a_missing_required_column_fails_naming_the_missing_columns():
    point = PointFactory()
    data = csv_bytes([["M1", "2026-11-20 09:15", "文本"]], header=["留言编号", "留言时间", "留言内容"])

    batch = run(point, data)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error == (
        "The column 运单号 is missing: no row among the first 10 has all of "
        "留言内容、留言时间、留言编号、运单号."
    )
    assert Ticket.objects.count() == 0


def test_an_unknown_field_in_the_mapping_fails():
    point = PointFactory()

    batch = run(point, csv_bytes([message("M1")]), mapping={"ticket_no": "工单号"})

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error == "Unknown fields in the column mapping: ticket_no"


def test_an_empty_file_fails():
    batch = run(PointFactory(), b"  \r\n")

    assert (batch.state, batch.error) == (ImportBatch.State.FAILED, "The file is empty.")


def test_binary_garbage_named_csv_fails_without_a_server_error():
    point = PointFactory()
    data = bytes(range(256)) * 40

    batch = run(point, data)

    assert batch.state == ImportBatch.State.FAILED
    assert batch.error != ""
    assert Ticket.objects.count() == 0


def test_customers_are_matched_by_code_then_name_then_phone_within_the_point():
    point = PointFactory()
    named = AgentFactory(point=point)
    by_code = CustomerFactory(point=point, code="KA001", name="优品旗舰店", tier=Customer.Tier.KA,
                              named_agent=named)
    by_name = CustomerFactory(point=point, code="C9", name="小王网店")
    by_phone = CustomerFactory(point=point, phone="13800002222")
    CustomerFactory(name="他店", code="C77")  # another point's customer
    data = csv_bytes([
        message("C1", customer="KA001"),
        message("C2", customer="小王网店"),
        message("C3", customer="不认识", phone="13800002222"),
        message("C4", customer="C77"),
    ])

    run(point, data)

    tickets = {t.platform_message_id: t for t in Ticket.objects.select_related("customer")}
    assert tickets["C1"].customer == by_code
    assert (tickets["C1"].priority, tickets["C1"].assignee) == (Priority.URGENT, named)
    assert tickets["C2"].customer == by_name
    assert tickets["C3"].customer == by_phone
    assert (tickets["C4"].customer, tickets["C4"].contact_name) == (None, "C77")


def test_category_and_kind_are_guessed_from_the_text():
    point = PointFactory()
    data = csv_bytes([
        message("K1", text="我的快递丢件了，要求赔偿"),
        message("K2", text="快件什么时候到"),
        message("K3", text="你好"),
    ])

    run(point, data)

    lost = Ticket.objects.get(platform_message_id="K1")
    assert (lost.category.code, lost.kind, lost.priority) == ("lost", Kind.FEEDBACK, Priority.HIGH)
    delay = Ticket.objects.get(platform_message_id="K2")
    assert (delay.category.code, delay.kind, delay.priority) == ("delay", Kind.INQUIRY, Priority.LOW)
    assert Ticket.objects.get(platform_message_id="K3").category is None


def test_the_queue_given_is_used():
    point = PointFactory()

    run(point, csv_bytes([message("Q1")]), queue=Queue.DEPARTURE)

    assert Ticket.objects.get().queue == Queue.DEPARTURE


def test_an_unexpected_error_fails_the_batch_and_keeps_the_rows_before_it(monkeypatch):
    from kefu.tickets import message_import as services

    point = PointFactory()
    real = services._create_ticket

    def create_or_break(ctx, row, **kw):
        if row["message_id"] == "E2":
            raise RuntimeError("disk full")
        return real(ctx, row, **kw)

    monkeypatch.setattr(services, "_create_ticket", create_or_break)

    batch = run(point, csv_bytes([message("E1"), message("E2"), message("E3")]))

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error == (
        "The import stopped on an unexpected error after 2 rows; the rows before it were kept."
    )
    assert batch.created_rows == 1
    assert list(Ticket.objects.values_list("platform_message_id", flat=True)) == ["E1"]
