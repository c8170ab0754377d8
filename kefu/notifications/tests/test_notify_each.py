"""`notify_each`, the bulk form of `notify` (the parcel sweep notifies a batch's
couriers and supervisors with it): the same notices and outbox rows as one
`notify` per (user, params) pair, in a fixed number of queries."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.notifications.models import Notification, OutboxMessage
from kefu.notifications.services import channel_add, notify, notify_each, outbox_send
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory

pytestmark = pytest.mark.django_db

ASSIGNED = "ticket_assigned"


def _written() -> tuple[list, list]:
    notices = sorted((n.user_id, n.verb, json.dumps(n.params, sort_keys=True), n.link)
                     for n in Notification.objects.all())
    copies = sorted((m.notification.user_id, m.channel_id, json.dumps(m.payload, sort_keys=True, ensure_ascii=False))
                    for m in OutboxMessage.objects.select_related("notification"))
    return notices, copies


def test_notify_each_writes_what_one_notify_per_pair_would(robot):
    # given: a point with a group robot; one of its two agents has a robot of their own
    point, other_point = PointFactory(), PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    group = channel_add(user=manager, kind="wecom", target=robot.url, verbs=[], for_point=True)
    a, b = AgentFactory(point=point), AgentFactory(point=point)
    stranger = AgentFactory(point=other_point)
    own = channel_add(user=a, kind="dingtalk", target=robot.url, verbs=[])
    pairs = [(a, {"ref": "T-1", "subject": "丢件"}), (b, {"ref": "T-2", "subject": "破损"}),
             (None, {"ref": "T-3", "subject": "x"}), (stranger, {"ref": "T-4", "subject": "催件"})]
    # when
    written = notify_each(items=pairs, verb=ASSIGNED, link="/tickets/")
    bulk = _written()
    Notification.objects.all().delete()
    for user, params in pairs:
        notify(users=[user], verb=ASSIGNED, params=params, link="/tickets/")
    # then
    assert written == 3
    assert bulk == _written()
    assert sorted((m.channel_id, m.notification.params["ref"]) for m in OutboxMessage.objects.all()) == [
        (group.pk, "T-1"), (group.pk, "T-2"), (own.pk, "T-1")]


def test_the_group_robot_gets_each_recipients_text(robot):
    # given
    point = PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    channel_add(user=manager, kind="wecom", target=robot.url, verbs=[], for_point=True)
    a, b = AgentFactory(point=point), AgentFactory(point=point)
    # when
    notify_each(items=[(a, {"ref": "T-1", "subject": "丢件"}), (b, {"ref": "T-2", "subject": "破损"})],
                verb=ASSIGNED, link="/tickets/1/")
    result = outbox_send()
    # then
    assert result == {"sent": 2}
    assert sorted(robot.texts()) == ["工单 T-1 已分配给你:丢件", "工单 T-2 已分配给你:破损"]


def test_notify_each_costs_the_same_queries_for_3_or_30_recipients(robot):
    point = PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    channel_add(user=manager, kind="wecom", target=robot.url, verbs=[], for_point=True)
    agents = [AgentFactory(point=point) for _ in range(30)]
    for agent in agents[:10]:
        channel_add(user=agent, kind="feishu", target=robot.url, verbs=[])
    counts = []
    for group in (agents[:3], agents):
        with CaptureQueriesContext(connection) as queries:
            written = notify_each(items=[(u, {"ref": str(i), "subject": ""}) for i, u in enumerate(group)],
                                  verb=ASSIGNED)
        assert written == len(group)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert OutboxMessage.objects.count() == 3 + 3 + 30 + 10  # group post per pair, own robots
