"""Several workers at once on PostgreSQL: row locks with SKIP LOCKED and the
conditional claim must never send one message twice."""

import threading

import pytest
from django.db import connection, connections

from kefu.notifications.models import OutboxMessage
from kefu.notifications.services import channel_add, notify, outbox_send
from kefu.orgs.tests.factories import AgentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 40
WORKERS = 4


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


def test_concurrent_workers_send_each_message_once(robot):
    # given
    for i in range(MESSAGES):
        agent = AgentFactory()
        channel_add(user=agent, kind="wecom", target=robot.url, verbs=[])
        notify(users=[agent], verb="ticket_assigned", params={"ref": f"T-{i}", "subject": "x"})
    barrier = threading.Barrier(WORKERS)
    results: list[dict] = []

    def worker():
        try:
            barrier.wait()
            results.append(outbox_send(limit=MESSAGES))
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert sum(r.get("sent", 0) for r in results) == MESSAGES
    assert sorted(robot.texts()) == sorted(f"工单 T-{i} 已分配给你:x" for i in range(MESSAGES))
    assert OutboxMessage.objects.filter(state="sent").count() == MESSAGES
