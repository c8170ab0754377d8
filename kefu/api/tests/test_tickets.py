import json

import pytest
from ninja.renderers import JSONRenderer

from kefu.api.tests.conftest import make_user, token_for
from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.models import Notification
from kefu.orgs.models import Queue, Role
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory
from kefu.tickets import notices, services
from kefu.tickets.models import Category, Channel, Event, Message, Priority, Status, Ticket
from kefu.tickets.schemas import TicketOut, ticket_out
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def create(point, **kw):
    kw.setdefault("subject", "快件三天没更新")
    kw.setdefault("queue", Queue.ARRIVAL)
    kw.setdefault("channel", Channel.WEB)
    return services.ticket_create(point=point, **kw)


# --- create -----------------------------------------------------------------


def test_staff_creates_a_routed_ticket_with_channel_api(api, point, manager, manager_key):
    owner = AgentFactory(point=point)
    area = AreaFactory(point=point, owner=owner)
    customer = CustomerFactory(point=point, tier=Customer.Tier.HIGH)
    r = api.post("/api/tickets", {
        "subject": " 显示签收但没收到 ", "queue": "arrival", "description": "客户说门口没有",
        "waybill_no": " yt1234567890123 ", "kind": "feedback", "category": "false_signoff",
        "customer_id": customer.pk, "contact_name": "王女士", "contact_phone": "13900000001",
        "area_id": area.pk, "platform_message_id": "PM-1",
    }, token=manager_key)
    assert r.status_code == 201
    body = r.json()
    ticket = Ticket.objects.get()
    assert body["id"] == ticket.pk
    assert body["reference"] == ticket.reference
    assert body["subject"] == "显示签收但没收到"
    assert body["waybill_no"] == "YT1234567890123"
    assert body["channel"] == "api"
    assert body["category"] == "false_signoff"
    assert body["customer_id"] == customer.pk
    assert body["area_id"] == area.pk
    assert body["assignee_id"] == owner.pk
    assert body["priority"] == Priority.URGENT  # high-end tier, urgent category
    assert body["status"] == "new"
    assert body["is_open"] is True
    assert body["sla_state"] == "ok"
    assert body["created_at"].endswith("+08:00")
    assert ticket.contact_name == "王女士"
    assert ticket.platform_message_id == "PM-1"
    assert ticket.created_by == manager
    assert list(Event.objects.filter(ticket=ticket).values_list("verb", flat=True)) == [
        Event.Verb.CREATED, Event.Verb.ASSIGNED,
    ]


def test_minimal_create_defaults(api, manager_key):
    r = api.post("/api/tickets", {"subject": "查件", "queue": "departure"}, token=manager_key)
    assert r.status_code == 201
    body = r.json()
    assert (body["kind"], body["queue"], body["category"], body["customer_id"]) == (
        "inquiry", "departure", None, None)


def test_created_ticket_is_rendered_as_its_schema_would_render_it(api, point, manager_key):
    owner = AgentFactory(point=point)
    customer = CustomerFactory(point=point, area=AreaFactory(point=point, owner=owner))
    r = api.post("/api/tickets", {"subject": "丢件", "queue": "arrival", "customer_id": customer.pk,
                                  "category": "lost", "waybill_no": "yt1"}, token=manager_key)
    assert r.status_code == 201
    assert r["Content-Type"] == "application/json; charset=utf-8"
    ticket = Ticket.objects.get()
    validated = TicketOut.model_validate(ticket_out(ticket)).model_dump()
    assert r.json() == json.loads(JSONRenderer().render(None, validated, response_status=201))
    assert list(r.json()) == list(TicketOut.model_fields)


def test_point_category_wins_over_the_shared_one(api, point, manager_key):
    own = Category.objects.create(point=point, code="delay", name="本网点延误", group="express")
    r = api.post("/api/tickets", {"subject": "催件", "queue": "arrival", "category": "delay"},
                 token=manager_key)
    assert r.status_code == 201
    assert Ticket.objects.get().category == own


def test_customer_creates_only_for_their_own_customer(api, point):
    customer = CustomerFactory(point=point)
    other = CustomerFactory(point=point)
    contact = make_user(Role.CUSTOMER, point, customer=customer, phone="13800000000")
    r = api.post("/api/tickets", {"subject": "破损了", "queue": "departure", "customer_id": other.pk},
                 token=token_for(contact))
    assert r.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert ticket.channel == Channel.PORTAL
    assert ticket.contact_name == str(contact)
    assert ticket.contact_phone == "13800000000"
    assert r.json()["channel"] == "portal"


@pytest.mark.parametrize("field", ["customer_id", "area_id"])
def test_cross_point_customer_or_area_is_refused_and_nothing_created(api, manager_key, field):
    elsewhere = PointFactory()
    obj = CustomerFactory(point=elsewhere) if field == "customer_id" else AreaFactory(point=elsewhere)
    r = api.post("/api/tickets", {"subject": "x", "queue": "arrival", field: obj.pk}, token=manager_key)
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    assert list(r.json()["fields"]) == [field]
    assert Ticket.objects.count() == 0


def test_unknown_category_is_422(api, manager_key):
    r = api.post("/api/tickets", {"subject": "x", "queue": "arrival", "category": "nope"},
                 token=manager_key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["category"]


def test_another_points_category_is_unknown(api, manager_key):
    Category.objects.create(point=PointFactory(), code="private", name="别人的", group="express")
    r = api.post("/api/tickets", {"subject": "x", "queue": "arrival", "category": "private"},
                 token=manager_key)
    assert r.status_code == 422


def test_same_platform_message_twice_is_422_not_500(api, manager_key):
    body = {"subject": "留言", "queue": "arrival", "platform_message_id": "PM-7"}
    assert api.post("/api/tickets", body, token=manager_key).status_code == 201
    r = api.post("/api/tickets", body, token=manager_key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["platform_message_id"]
    assert Ticket.objects.count() == 1


def test_bad_body_is_422_with_field_details(api, manager_key):
    r = api.post("/api/tickets", {"subject": "  ", "queue": "moon", "contact_name": "名" * 51},
                 token=manager_key)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_error"
    assert body["message"]
    assert set(body["fields"]) == {"subject", "queue", "contact_name"}
    assert all(isinstance(m, str) and m for msgs in body["fields"].values() for m in msgs)


def test_missing_fields_are_422(api, manager_key):
    r = api.post("/api/tickets", {}, token=manager_key)
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"subject", "queue"}


def test_unreadable_body_is_400(api, manager_key):
    r = api.client.post("/api/tickets", "{not json", content_type="application/json",
                        headers={"Authorization": f"Bearer {manager_key}"})
    assert r.status_code == 400
    assert r.json()["code"] == "bad_request"


def test_create_queries_stay_few(api, point, manager_key, django_assert_max_num_queries):
    AgentFactory(point=point)
    api.post("/api/tickets", {"subject": "warm", "queue": "arrival"}, token=manager_key)
    # token with user and point, then ticket_create: SLA policy, insert, event, agent
    # choice, assignee update, event, notification; 2 savepoints.
    with django_assert_max_num_queries(10):
        r = api.post("/api/tickets", {"subject": "催件", "queue": "arrival"}, token=manager_key)
    assert r.status_code == 201


def test_customer_and_area_lookups_replace_the_routing_queries(
    api, point, manager_key, django_assert_max_num_queries
):
    owner = AgentFactory(point=point)
    area = AreaFactory(point=point, owner=owner)
    customer = CustomerFactory(point=point, area=area, named_agent=AgentFactory(point=point))
    api.post("/api/tickets", {"subject": "warm", "queue": "arrival"}, token=manager_key)
    # token (with user and point), customer (with area and its owner), category,
    # then ticket_create's SLA policy, insert, event, assignee update, event,
    # notification; 2 savepoints. No query for routing.
    with django_assert_max_num_queries(11):
        r = api.post("/api/tickets", {"subject": "催件", "queue": "arrival", "customer_id": customer.pk,
                                      "category": "delay"}, token=manager_key)
    assert r.json()["assignee_id"] == owner.pk


# --- list ---------------------------------------------------------------------


def test_list_filters(api, point, manager_key):
    a = create(point, subject="到件一", queue=Queue.ARRIVAL, assign=False)
    create(point, subject="出件一", queue=Queue.DEPARTURE, assign=False)
    closed = create(point, subject="到件二", queue=Queue.ARRIVAL, assign=False)
    services.ticket_set_status(ticket=closed, status=Status.CLOSED, actor=None)
    lost = Category.objects.get(code="lost", point=None)
    c = create(point, subject="丢件", queue=Queue.ARRIVAL, category=lost, assign=False,
               waybill_no="YT9000000000001")

    def ids(**params):
        r = api.get("/api/tickets", token=manager_key, **params)
        assert r.status_code == 200, r.content
        return {t["id"] for t in r.json()["items"]}

    assert ids(queue="arrival") == {a.pk, c.pk}
    assert ids(queue="arrival", status="all") == {a.pk, c.pk, closed.pk}
    assert ids(status="closed") == {closed.pk}
    assert ids(category="lost") == {c.pk}
    assert ids(category=str(lost.pk)) == {c.pk}
    assert ids(q="YT9000000000001") == {c.pk}
    assert ids(q="出件") == {t.pk for t in Ticket.objects.filter(subject="出件一")}
    assert ids(assignee="none", queue="", sla="", tier="", area="") == {
        t.pk for t in Ticket.objects.filter(is_open=True)}


def test_list_by_tier_area_assignee_and_sla(api, point, manager, manager_key):
    agent = AgentFactory(point=point)
    area = AreaFactory(point=point)
    ka = CustomerFactory(point=point, tier=Customer.Tier.KA)
    t_ka = create(point, customer=ka, assign=False)
    t_area = create(point, area=area, assign=False)
    t_mine = create(point, assign=False)
    services.ticket_assign(ticket=t_mine, assignee=manager, actor=manager)
    t_agent = create(point, assign=False)
    services.ticket_assign(ticket=t_agent, assignee=agent, actor=manager)

    def ids(**params):
        return {t["id"] for t in api.get("/api/tickets", token=manager_key, **params).json()["items"]}

    assert ids(tier="ka") == {t_ka.pk}
    assert ids(area=str(area.pk)) == {t_area.pk}
    assert ids(assignee="me") == {t_mine.pk}
    assert ids(assignee=str(agent.pk)) == {t_agent.pk}
    assert ids(sla="ok") == {t_ka.pk, t_area.pk, t_mine.pk, t_agent.pk}
    assert ids(sla="breached") == set()


@pytest.mark.parametrize("sort", ["priority", "newest"])
def test_cursor_pagination_walks_every_ticket_once(api, point, manager_key, sort):
    ka = CustomerFactory(point=point, tier=Customer.Tier.KA)
    tickets = [create(point, customer=ka if i % 3 == 0 else None, assign=False) for i in range(7)]
    seen, cursor, pages = [], "", 0
    while True:
        r = api.get("/api/tickets", token=manager_key, sort=sort, limit=3, cursor=cursor)
        assert r.status_code == 200
        page = r.json()
        seen += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = (sorted(tickets, key=lambda t: -t.pk) if sort == "newest"
                else sorted(tickets, key=lambda t: (t.priority, t.pk)))
    assert seen == [t.pk for t in expected]
    assert pages == 3


def test_list_default_limit_is_50_and_max_200(api, point, manager_key):
    for _ in range(51):
        TicketFactory(point=point)
    r = api.get("/api/tickets", token=manager_key)
    assert len(r.json()["items"]) == 50
    assert r.json()["next_cursor"] is not None
    assert len(api.get("/api/tickets", token=manager_key, limit=200).json()["items"]) == 51
    r = api.get("/api/tickets", token=manager_key, limit=201)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["limit"]


@pytest.mark.parametrize("params,field", [
    ({"status": "sleeping"}, "status"),
    ({"cursor": "abc"}, "cursor"),
    ({"cursor": "12", "sort": "priority"}, "cursor"),
    ({"assignee": "bob"}, "assignee"),
    ({"category": "nope"}, "category"),
    ({"area": "x"}, "area"),
])
def test_bad_filters_are_422(api, manager_key, params, field):
    r = api.get("/api/tickets", token=manager_key, **params)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == [field]


def test_list_query_count_does_not_grow_with_rows(api, point, manager_key, django_assert_num_queries):
    lost = Category.objects.get(code="lost", point=None)
    for _ in range(5):
        create(point, category=lost, customer=CustomerFactory(point=point), assign=False)
    api.get("/api/tickets", token=manager_key)  # records the token's last use, caches the token
    with django_assert_num_queries(1):  # the page
        r = api.get("/api/tickets", token=manager_key)
    assert len(r.json()["items"]) == 5
    assert {t["category"] for t in r.json()["items"]} == {"lost"}


# --- read -----------------------------------------------------------------------


def test_read_with_messages(api, point, manager, manager_key):
    ticket = create(point, assign=False)
    services.ticket_reply(ticket=ticket, actor=manager, body="正在核实")
    services.ticket_add_note(ticket=ticket, actor=manager, body="派件员说放在驿站")
    r = api.get(f"/api/tickets/{ticket.pk}", token=manager_key)
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == ticket.pk
    assert body["status"] == "open"
    assert [(m["kind"], m["body"], m["author_id"]) for m in body["messages"]] == [
        ("reply", "正在核实", manager.pk), ("note", "派件员说放在驿站", manager.pk)]
    assert body["messages"][0]["author_name"] == str(manager)
    assert body["messages"][0]["attachments"] == []


def test_customer_never_sees_internal_notes(api, point, manager):
    contact = make_user(Role.CUSTOMER, point)
    ticket = create(point, customer=contact.customer, assign=False)
    services.ticket_add_note(ticket=ticket, actor=manager, body="内部：客户经常索赔")
    services.ticket_reply(ticket=ticket, actor=manager, body="已为您催促")
    r = api.get(f"/api/tickets/{ticket.pk}", token=token_for(contact))
    assert r.status_code == 200
    assert [m["body"] for m in r.json()["messages"]] == ["已为您催促"]


def test_customer_sees_only_own_tickets(api, point):
    contact = make_user(Role.CUSTOMER, point)
    mine = create(point, customer=contact.customer, assign=False)
    theirs = create(point, customer=CustomerFactory(point=point), assign=False)
    nobody = create(point, assign=False)
    key = token_for(contact)
    assert [t["id"] for t in api.get("/api/tickets", token=key).json()["items"]] == [mine.pk]
    for other in (theirs, nobody):
        r = api.get(f"/api/tickets/{other.pk}", token=key)
        assert r.status_code == 404
        assert r.json() == {"code": "not_found", "message": r.json()["message"]}


def test_unknown_ticket_is_404(api, manager_key):
    r = api.get("/api/tickets/987654", token=manager_key)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


# --- patch ---------------------------------------------------------------------


def test_patch_fields_and_status(api, point, manager, manager_key):
    ticket = create(point, assign=False)
    area = AreaFactory(point=point)
    r = api.patch(f"/api/tickets/{ticket.pk}", {
        "subject": "改过的标题", "category": "damaged", "kind": "feedback", "queue": "departure",
        "priority": 1, "area_id": area.pk, "waybill_no": "jt0000000000001", "status": "waiting_customer",
    }, token=manager_key)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["subject"], body["category"], body["kind"], body["queue"], body["priority"],
            body["area_id"], body["waybill_no"], body["status"]) == (
        "改过的标题", "damaged", "feedback", "departure", 1, area.pk, "JT0000000000001",
        "waiting_customer")
    ticket.refresh_from_db()
    assert ticket.category.code == "damaged"
    assert ticket.status == Status.WAITING_CUSTOMER
    updated = Event.objects.get(ticket=ticket, verb=Event.Verb.UPDATED)
    assert set(updated.data["fields"]) == {"subject", "category", "kind", "queue", "priority", "area",
                                           "waybill_no"}
    assert Event.objects.get(ticket=ticket, verb=Event.Verb.STATUS).actor == manager


def test_patch_only_what_is_sent_and_null_clears(api, point, manager_key):
    lost = Category.objects.get(code="lost", point=None)
    area = AreaFactory(point=point)
    ticket = create(point, category=lost, area=area, assign=False)
    r = api.patch(f"/api/tickets/{ticket.pk}", {"category": None, "area_id": None}, token=manager_key)
    assert r.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.category, ticket.area, ticket.subject) == (None, None, "快件三天没更新")


def test_patch_bad_transition_changes_nothing(api, point, manager, manager_key):
    ticket = create(point, assign=False)
    services.ticket_set_status(ticket=ticket, status=Status.CLOSED, actor=manager)
    r = api.patch(f"/api/tickets/{ticket.pk}", {"subject": "新标题", "status": "waiting_customer"},
                  token=manager_key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["status"]
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.status) == ("快件三天没更新", Status.CLOSED)


@pytest.mark.parametrize("body", [{"subject": None}, {"priority": 9}, {"status": "gone"},
                                  {"subject": ""}, {"area_id": "x"}])
def test_patch_bad_values_are_422(api, point, manager_key, body):
    ticket = create(point, assign=False)
    r = api.patch(f"/api/tickets/{ticket.pk}", body, token=manager_key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == list(body)


def test_patch_other_points_area_is_422(api, point, manager_key):
    ticket = create(point, assign=False)
    r = api.patch(f"/api/tickets/{ticket.pk}", {"area_id": AreaFactory().pk}, token=manager_key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["area_id"]


# --- replies, notes, assign -------------------------------------------------


def test_staff_reply_stops_the_first_response_clock_and_sets_status(api, point, manager, manager_key):
    ticket = create(point, assign=False)
    r = api.post(f"/api/tickets/{ticket.pk}/replies", {"body": " 已联系派件员 ", "status": "waiting_customer"},
                 token=manager_key)
    assert r.status_code == 201
    body = r.json()
    message = Message.objects.get(ticket=ticket)
    assert body == {"id": message.pk, "ticket_id": ticket.pk, "kind": "reply", "body": "已联系派件员",
                    "author_id": manager.pk, "author_name": str(manager),
                    "created_at": body["created_at"], "attachments": []}
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == Status.WAITING_CUSTOMER


def test_customer_reply_is_a_customer_message_that_reopens_the_conversation(api, point, manager):
    contact = make_user(Role.CUSTOMER, point)
    agent = AgentFactory(point=point)
    ticket = create(point, customer=contact.customer, assign=False)
    services.ticket_assign(ticket=ticket, assignee=agent, actor=manager)
    services.ticket_reply(ticket=ticket, actor=agent, body="请提供照片", status=Status.WAITING_CUSTOMER)
    key = token_for(contact)
    r = api.post(f"/api/tickets/{ticket.pk}/replies", {"body": "照片已上传"}, token=key)
    assert r.status_code == 201
    assert r.json()["kind"] == "customer"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert Notification.objects.filter(user=agent, verb=notices.CUSTOMER_MESSAGE).count() == 1
    r = api.post(f"/api/tickets/{ticket.pk}/replies", {"body": "结案", "status": "resolved"}, token=key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["status"]


def test_empty_reply_is_422(api, point, manager_key):
    ticket = create(point, assign=False)
    r = api.post(f"/api/tickets/{ticket.pk}/replies", {"body": "   "}, token=manager_key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["body"]
    assert Message.objects.count() == 0


def test_note(api, point, manager, manager_key):
    ticket = create(point, assign=False)
    r = api.post(f"/api/tickets/{ticket.pk}/notes", {"body": "客户为KA，优先处理"}, token=manager_key)
    assert r.status_code == 201
    assert r.json()["kind"] == "note"
    note = Message.objects.get(ticket=ticket)
    assert (note.kind, note.author, note.body) == (Message.Kind.NOTE, manager, "客户为KA，优先处理")
    assert Event.objects.filter(ticket=ticket, verb=Event.Verb.NOTED).count() == 1


def test_customer_cannot_add_a_note(api, point):
    contact = make_user(Role.CUSTOMER, point)
    ticket = create(point, customer=contact.customer, assign=False)
    r = api.post(f"/api/tickets/{ticket.pk}/notes", {"body": "x"}, token=token_for(contact))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert Message.objects.count() == 0


def test_assign_and_unassign(api, point, manager, manager_key):
    agent = AgentFactory(point=point)
    ticket = create(point, assign=False)
    r = api.post(f"/api/tickets/{ticket.pk}/assign", {"assignee_id": agent.pk}, token=manager_key)
    assert r.status_code == 200
    assert r.json()["assignee_id"] == agent.pk
    assert Notification.objects.filter(user=agent, verb=notices.TICKET_ASSIGNED).count() == 1
    r = api.post(f"/api/tickets/{ticket.pk}/assign", {"assignee_id": None}, token=manager_key)
    assert r.status_code == 200
    assert r.json()["assignee_id"] is None
    ticket.refresh_from_db()
    assert ticket.assignee is None
    reasons = list(Event.objects.filter(ticket=ticket, verb=Event.Verb.ASSIGNED)
                   .values_list("data__assignee", flat=True))
    assert reasons == [agent.pk, None]


@pytest.mark.parametrize("whom", ["other_point", "courier", "missing_key"])
def test_assign_to_someone_not_an_agent_of_the_point_is_422(api, point, manager_key, whom):
    ticket = create(point, assign=False)
    if whom == "other_point":
        body = {"assignee_id": AgentFactory().pk}
    elif whom == "courier":
        body = {"assignee_id": make_user(Role.COURIER, point).pk}
    else:
        body = {}
    r = api.post(f"/api/tickets/{ticket.pk}/assign", body, token=manager_key)
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["assignee_id"]
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- the schema -------------------------------------------------------------


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "kefu API"
    assert set(schema["paths"]) == {
        "/api/tickets", "/api/tickets/{ticket_id}", "/api/tickets/{ticket_id}/replies", "/api/scans",
        "/api/tickets/{ticket_id}/notes", "/api/tickets/{ticket_id}/assign"}
    assert set(schema["paths"]["/api/tickets/{ticket_id}"]) == {"get", "patch"}
    assert client.get("/api/docs").status_code == 200


def test_unknown_api_path_is_a_json_404(client):
    r = client.get("/api/nothing/here")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
