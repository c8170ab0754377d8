import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory, UserFactory
from kefu.parcels import events, selectors, services
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import ParcelWarning, WarningEvent
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import at, scan, scan_csv
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 21)


def load(rows):
    batch = scans_import(fileobj=scan_csv(rows), file_name="scans.csv")
    assert batch.state == "done", batch.error


@pytest.fixture
def world():
    """Point P1 with two couriers and area A1, point P2 with one courier; after
    three sweeps on 20 and 21 November 2026 (Asia/Shanghai):

    - YT…01 (张三): warned 21st 08:30, signed 08:45, saved at 09:00;
    - YT…02 (张三): warned 21st 08:30, never signed, missed at 09:00;
    - YT…03 (李四, A1): warned 21st 09:00, still open;
    - YT…04 (李四): signed on the 20th before its deadline (21st 08:00), never warned;
    - YT…05 (李四): deadline 20th 09:00, missed by the sweep of the 20th, 12:00;
    - YT…06 (张三): deadline 21st 11:00, signed 10:00, never warned;
    - YT…07 (P2): warned 21st 09:00, open — another point's.
    """
    p1, p2 = PointFactory(code="P1"), PointFactory(code="P2")
    zhang = UserFactory(point=p1, role=Role.COURIER, employee_no="1001", display_name="张三", username="zhang")
    li = UserFactory(point=p1, role=Role.COURIER, employee_no="1002", display_name="李四", username="li")
    wang = UserFactory(point=p2, role=Role.COURIER, employee_no="2001", display_name="王五", username="wang")
    owner = AgentFactory(point=p1, username="agent")
    area = AreaFactory(point=p1, code="A1", name="东湖片区", owner=owner)
    load([
        scan("YT0000000001", "到件", "2026-11-20 09:00"),
        scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001"),
        scan("YT0000000001", "签收", "2026-11-21 08:45"),
        scan("YT0000000002", "到件", "2026-11-20 09:00"),
        scan("YT0000000002", "派件", "2026-11-21 07:00", emp="1001"),
        scan("YT0000000003", "到件", "2026-11-20 10:00", area="A1"),
        scan("YT0000000003", "派件", "2026-11-21 07:00", emp="1002", area="A1"),
        scan("YT0000000004", "到件", "2026-11-20 08:00"),
        scan("YT0000000004", "派件", "2026-11-20 14:00", emp="1002"),
        scan("YT0000000004", "签收", "2026-11-20 20:00"),
        scan("YT0000000005", "到件", "2026-11-19 09:00"),
        scan("YT0000000005", "派件", "2026-11-20 07:00", emp="1002"),
        scan("YT0000000006", "到件", "2026-11-20 11:00"),
        scan("YT0000000006", "派件", "2026-11-21 09:30", emp="1001"),
        scan("YT0000000006", "签收", "2026-11-21 10:00"),
        scan("YT0000000007", "到件", "2026-11-20 10:00", point="P2"),
        scan("YT0000000007", "派件", "2026-11-21 07:00", point="P2", emp="2001"),
    ])
    for when in ("2026-11-20 12:00", "2026-11-21 08:30", "2026-11-21 09:00"):
        sweep(at=at(when))
    w = {x.waybill.waybill_no[-2:]: x for x in ParcelWarning.objects.select_related("waybill")}
    return {"p1": p1, "p2": p2, "zhang": zhang, "li": li, "wang": wang, "owner": owner, "area": area, "w": w}


def test_the_world_is_as_described(world):
    states = {k: v.state for k, v in world["w"].items()}
    assert states == {"01": "saved", "02": "missed", "03": "open", "07": "open"}


def test_a_courier_sees_only_their_own_open_warnings(client, world):
    # Give 张三 an open warning too, so both couriers of the point have one.
    ParcelWarning.objects.filter(pk=world["w"]["02"].pk).update(state="open", closed_at=None)
    client.force_login(world["zhang"])
    response = client.get("/warnings/")
    assert response.status_code == 200
    assert [w.waybill.waybill_no for w in response.context["warnings"]] == ["YT0000000002"]
    body = response.content.decode()
    assert "YT0000000002" in body and "YT0000000003" not in body and "YT0000000007" not in body
    assert f'data-id="{world["w"]["02"].pk}"' in body


def test_open_warnings_come_nearest_deadline_first_with_minutes_left(world):
    ParcelWarning.objects.filter(pk=world["w"]["03"].pk).update(courier=world["zhang"])
    ParcelWarning.objects.filter(pk=world["w"]["02"].pk).update(state="acknowledged", closed_at=None)
    items = selectors.open_warnings(world["zhang"], now=at("2026-11-21 09:20"))
    assert [(w.waybill.waybill_no, w.minutes_left, w.minutes_overdue) for w in items] == [
        ("YT0000000002", -20, 20), ("YT0000000003", 40, 0)]


@pytest.mark.parametrize(("who", "status"), [
    ("li", 302),  # the warning's courier
    ("zhang", 404),  # another courier of the point: not in their scope
    ("agent", 302),  # owns the area
    ("other_agent", 404),  # an agent of the point who does not own the area
    ("supervisor", 302),
    ("dept_head", 403),  # sees the point's warnings, may not act on them
    ("customer", 404),
    ("wang", 404),  # another point's courier
    ("other_supervisor", 404),  # another point's supervisor
])
def test_acknowledge_by_role_and_point(client, world, who, status):
    p1, p2 = world["p1"], world["p2"]
    users = {
        "li": world["li"], "zhang": world["zhang"], "agent": world["owner"], "wang": world["wang"],
        "other_agent": AgentFactory(point=p1),
        "supervisor": UserFactory(point=p1, role=Role.SUPERVISOR),
        "dept_head": UserFactory(point=p1, role=Role.DEPT_HEAD),
        "customer": UserFactory(point=p1, role=Role.CUSTOMER),
        "other_supervisor": UserFactory(point=p2, role=Role.SUPERVISOR),
    }
    warning = world["w"]["03"]
    client.force_login(users[who])
    response = client.post(f"/warnings/{warning.pk}/ack/")
    warning.refresh_from_db()
    assert response.status_code == status
    assert warning.state == ("acknowledged" if status == 302 else "open")


def test_acknowledge_over_htmx_answers_the_updated_card(client, world):
    warning = world["w"]["03"]
    client.force_login(world["li"])
    response = client.post(f"/warnings/{warning.pk}/ack/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<article class="warning-card') and "<html" not in body
    assert f'id="warning-{warning.pk}"' in body and 'data-state="acknowledged"' in body
    assert 'data-action="ack"' not in body and 'data-reason="unreachable"' in body


def test_report_over_htmx_opens_the_ticket_and_links_it(client, world):
    warning = world["w"]["03"]
    client.force_login(world["li"])
    response = client.post(f"/warnings/{warning.pk}/report/", {"reason": "unreachable"},
                           headers={"HX-Request": "true"})
    ticket = Ticket.objects.get()
    assert response.status_code == 200
    assert f'data-ticket="{ticket.pk}"' in response.content.decode()
    assert (ticket.waybill_no, ticket.queue, ticket.area) == ("YT0000000003", "arrival", world["area"])


def test_report_without_htmx_redirects_back_to_the_list(client, world):
    warning = world["w"]["03"]
    client.force_login(world["li"])
    response = client.post(f"/warnings/{warning.pk}/report/", {"reason": "upstairs"})
    assert (response.status_code, response["Location"]) == (302, "/warnings/")
    warning.refresh_from_db()
    assert (warning.reason, warning.ticket_id) == ("upstairs", Ticket.objects.get().pk)


def test_report_with_an_unknown_reason_opens_nothing(client, world):
    warning = world["w"]["03"]
    client.force_login(world["li"])
    response = client.post(f"/warnings/{warning.pk}/report/", {"reason": "rain"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_acting_on_a_closed_warning_says_so(client, world):
    warning = world["w"]["02"]
    client.force_login(world["zhang"])
    response = client.post(f"/warnings/{warning.pk}/ack/", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert 'data-state="missed"' in response.content.decode()


def test_a_customer_is_sent_to_the_portal_and_kept_off_the_board(client, world):
    client.force_login(UserFactory(point=world["p1"], role=Role.CUSTOMER))
    assert client.get("/warnings/")["Location"] == "/portal/"
    assert client.get("/warnings/board/").status_code == 403


def test_a_courier_may_not_open_the_board(client, world):
    client.force_login(world["li"])
    assert client.get("/warnings/board/").status_code == 403


def test_the_board_numbers_for_a_day(client, world):
    client.force_login(UserFactory(point=world["p1"], role=Role.SUPERVISOR))
    response = client.get("/warnings/board/", {"first": "2026-11-21", "last": "2026-11-21"})
    assert response.status_code == 200
    board = response.context["board"]
    li, zhang = world["li"], world["zhang"]
    assert board.open_total == 1
    assert board.open_by_courier == [{"courier_id": li.pk, "name": "李四", "open": 1}]
    assert board.open_by_area == [{"area_id": world["area"].pk, "name": "东湖片区", "open": 1}]
    assert (board.saved, board.missed_warnings, board.saved_rate, board.saved_percent) == (1, 1, 0.5, 50)
    assert board.missed == 1
    assert [r for r in board.trend if r["raised"] or r["saved"] or r["missed"]] == [
        {"day": dt.date(2026, 11, 20), "raised": 0, "saved": 0, "missed": 1},
        {"day": dt.date(2026, 11, 21), "raised": 3, "saved": 1, "missed": 1},
    ]
    assert (len(board.trend), board.trend[0]["day"], board.trend[-1]["day"]) == (
        14, dt.date(2026, 11, 8), DAY)
    assert board.on_time == [
        {"courier_id": li.pk, "name": "李四", "due": 2, "on_time": 1, "rate": 0.5, "percent": 50},
        {"courier_id": zhang.pk, "name": "张三", "due": 3, "on_time": 2, "rate": 2 / 3, "percent": 67},
    ]
    body = response.content.decode()
    assert 'id="card-saved-rate"' in body and "50%" in body and "67%" in body


def test_the_board_of_the_20th_counts_that_days_miss(world):
    supervisor = UserFactory(point=world["p1"], role=Role.SUPERVISOR)
    board = selectors.board(supervisor, first=dt.date(2026, 11, 20), last=dt.date(2026, 11, 20),
                            now=at("2026-11-23 12:00"))
    assert (board.missed, board.saved, board.saved_rate) == (1, 0, None)
    assert board.on_time == [
        {"courier_id": world["li"].pk, "name": "李四", "due": 1, "on_time": 0, "rate": 0.0, "percent": 0}]


def test_on_time_counts_only_deadlines_already_passed(world):
    supervisor = UserFactory(point=world["p1"], role=Role.SUPERVISOR)
    board = selectors.board(supervisor, first=DAY, last=DAY, now=at("2026-11-21 09:30"))
    # At 09:30 only the 08:00 and the two 09:00 deadlines have passed; the lowest rate comes first.
    assert [(r["name"], r["due"], r["on_time"]) for r in board.on_time] == [("张三", 2, 1), ("李四", 1, 1)]


def test_an_agent_s_board_covers_the_areas_they_own(world):
    board = selectors.board(world["owner"], first=DAY, last=DAY, now=at("2026-11-23 12:00"))
    assert (board.open_total, board.saved, board.missed) == (1, 0, 0)
    assert [(r["name"], r["due"]) for r in board.on_time] == [("李四", 1)]


def test_the_board_takes_a_fixed_number_of_queries(world, django_assert_num_queries):
    supervisor = UserFactory(point=world["p1"], role=Role.SUPERVISOR)
    with django_assert_num_queries(8):
        selectors.board(supervisor, first=DAY, last=DAY, now=at("2026-11-23 12:00"))


def test_the_board_page_does_not_grow_with_couriers(client, world):
    supervisor = UserFactory(point=world["p1"], role=Role.SUPERVISOR)
    client.force_login(supervisor)
    url = "/warnings/board/?first=2026-11-21&last=2026-11-21"
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(5):
        UserFactory(point=world["p1"], role=Role.COURIER, employee_no=f"30{i}")
    load([r for i in range(5) for r in (
        scan(f"YT00000003{i:02d}", "到件", "2026-11-20 10:00"),
        scan(f"YT00000003{i:02d}", "派件", "2026-11-21 07:00", emp=f"30{i}"),
    )])
    sweep(at=at("2026-11-21 09:10"))
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert len(response.context["board"].open_by_courier) == 6
    assert len(big.captured_queries) == len(small.captured_queries)


def test_a_returned_parcel_s_warning_shows_as_returned_on_the_board_and_the_courier_page(client, world):
    # YT…03 (李四, deadline 21st 10:00) is returned to the sender at 09:40, before its deadline.
    load([scan("YT0000000003", "退回", "2026-11-21 09:40", area="A1")])
    result = sweep(at=at("2026-11-21 09:45"))
    assert (result["returned"], result["saved"], result["missed"]) == (1, 0, 0)
    warning = ParcelWarning.objects.get(pk=world["w"]["03"].pk)
    assert (warning.state, warning.closed_at) == ("returned", at("2026-11-21 09:45"))
    supervisor = UserFactory(point=world["p1"], role=Role.SUPERVISOR)
    board = selectors.board(supervisor, first=DAY, last=DAY, now=at("2026-11-21 12:00"))
    # neither saved nor missed: the saved rate stays 1 saved of 2 closed either way
    assert (board.returned, board.saved, board.missed_warnings, board.open_total) == (1, 1, 1, 0)
    client.force_login(supervisor)
    body = client.get("/warnings/board/?first=2026-11-21&last=2026-11-21").content.decode()
    assert 'id="returned-count">1 ' in body
    # The courier no longer has it in the list; acting on it says it is closed, and shows why.
    client.force_login(world["li"])
    assert [w.pk for w in client.get("/warnings/").context["warnings"]] == []
    response = client.post(f"/warnings/{warning.pk}/ack/", headers={"HX-Request": "true"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-state="returned"' in body and '<p class="state">退回</p>' in body  # the state's label


# ---- a warning's history on the courier's page ------------------------------------


def _history(world):
    """YT…03 (李四): escalated by the sweep at 09:00, acknowledged by 李四 at 09:05, reported
    unreachable by the area's agent at 09:10, then upstairs by 李四 at 09:20."""
    warning, li = world["w"]["03"], world["li"]
    events.record(warning=warning, verb=WarningEvent.Verb.ESCALATED, at=at("2026-11-21 09:00"),
                  reason="repeat_within_hour", to=None, to_name="王主管")
    events.record(warning=warning, verb=WarningEvent.Verb.ACKNOWLEDGED, actor=li, at=at("2026-11-21 09:05"))
    events.record(warning=warning, verb=WarningEvent.Verb.REPORTED, actor=world["owner"], at=at("2026-11-21 09:10"),
                  reason="unreachable", previous="", ticket=1, acknowledged=False)
    events.record(warning=warning, verb=WarningEvent.Verb.REPORTED, actor=li, at=at("2026-11-21 09:20"),
                  reason="upstairs", previous="unreachable", ticket=1, acknowledged=False)
    return warning


def test_the_courier_page_shows_a_warning_s_history_in_shanghai_time(client, world):
    warning = _history(world)
    world["owner"].display_name = "赵客服"
    world["owner"].save()
    client.force_login(world["li"])
    body = client.get("/warnings/").content.decode()
    card = body[body.index(f'id="warning-{warning.pk}"'):]
    card = card[:card.index("</article>")]
    lines = re.findall(r'<li data-verb="(\w+)"><time datetime="[^"]+">([^<]+)</time> · ([^·]+) · ([^<]+)</li>', card)
    assert lines == [
        ("escalated", "11-21 09:00", "系统", "升级给王主管:快递员一小时内的第二条预警"),
        ("acknowledged", "11-21 09:05", "李四", "已确认收到"),
        ("reported", "11-21 09:10", "赵客服", "上报原因:联系不上收件人"),
        ("reported", "11-21 09:20", "李四", "原因由“联系不上收件人”改为“要求上楼”"),
    ]
    # Another courier of the point sees neither the warning nor its history.
    client.force_login(world["zhang"])
    assert "<details" not in client.get("/warnings/").content.decode()


def test_a_card_answered_over_htmx_shows_the_tap_in_its_history(client, world):
    warning = world["w"]["03"]
    client.force_login(world["li"])
    body = client.post(f"/warnings/{warning.pk}/ack/", headers={"HX-Request": "true"}).content.decode()
    assert '<li data-verb="acknowledged">' in body and "· 李四 · 已确认收到</li>" in body


def test_the_courier_page_fetches_every_card_s_history_in_one_query(client, world, django_assert_num_queries):
    """Session, user, the warnings (with waybill, customer and area), their events (with
    their actors), and the base page's unread notices and point — however many cards,
    and however many events each."""
    li = world["li"]
    _history(world)
    client.force_login(li)
    with django_assert_num_queries(6):
        assert len(client.get("/warnings/").context["warnings"]) == 1
    load([r for i in range(4) for r in (scan(f"YT00000004{i:02d}", "到件", "2026-11-20 10:00"),
                                        scan(f"YT00000004{i:02d}", "派件", "2026-11-21 07:00", emp="1002"))])
    sweep(at=at("2026-11-21 09:10"))  # four more, escalated: one event each
    for w in ParcelWarning.objects.filter(courier=li, state="open"):
        services.warning_acknowledge(warning=w, actor=li)
    # YT…03's four, the four escalations, five acknowledgements
    assert WarningEvent.objects.filter(warning__courier=li).count() == 4 + 4 + 5
    with django_assert_num_queries(6):
        assert len(client.get("/warnings/").context["warnings"]) == 5
