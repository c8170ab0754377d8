"""notifications_purge: old sent and dead outbox rows and old read notices go, in
batches; everything still useful stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.core.jobs import get_job
from kefu.notifications.jobs import purge_job
from kefu.notifications.models import Channel, Notification, OutboxMessage
from kefu.notifications.services import notifications_purge
from kefu.orgs.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
SENT, DEAD, FAILED, PENDING = (OutboxMessage.State.SENT, OutboxMessage.State.DEAD,
                               OutboxMessage.State.FAILED, OutboxMessage.State.PENDING)
ZERO = {"outbox_sent": 0, "outbox_dead": 0, "notifications_read": 0}


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def channel(agent):
    return Channel.objects.create(user=agent, kind=Channel.Kind.WECOM, target="https://qyapi.weixin.qq.com/x")


def notice(user, *, read: float | None = None) -> Notification:
    """A notice read `read` days before NOW (None: unread)."""
    return Notification.objects.create(user=user, verb="ticket_assigned",
                                       read_at=None if read is None else days_ago(read))


def message(channel, state: str, *, due: float, sent: float | None = None, of: Notification | None = None):
    """An outbox row whose last attempt was due `due` days before NOW, sent `sent` days before."""
    return OutboxMessage.objects.create(
        channel=channel, notification=of or notice(channel.user), state=state,
        next_attempt_at=days_ago(due), sent_at=None if sent is None else days_ago(sent))


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_outbox_rows_past_their_retention_go_and_the_rest_stays(channel):
    old_sent = [message(channel, SENT, due=31, sent=30.5) for _ in range(3)]
    keep = {
        message(channel, SENT, due=30.5, sent=29.9),  # sent within 30 days though due before
        message(channel, DEAD, due=89),
        message(channel, FAILED, due=400),  # still being retried
        message(channel, PENDING, due=400),
    }
    old_dead = [message(channel, DEAD, due=91) for _ in range(2)]

    result = notifications_purge(now=NOW)

    assert result == {"outbox_sent": 3, "outbox_dead": 2, "notifications_read": 0}
    assert ids(OutboxMessage.objects) == {m.pk for m in keep}
    assert not ids(OutboxMessage.objects) & {m.pk for m in old_sent + old_dead}
    assert Notification.objects.count() == 9  # unread notices are never purged


def test_read_notices_past_their_retention_go_with_their_delivered_rows(agent, channel):
    old = [notice(agent, read=181) for _ in range(3)]
    message(channel, SENT, due=181, sent=20, of=old[0])  # sent recently, but its notice goes
    waiting = notice(agent, read=200)
    message(channel, FAILED, due=1, of=waiting)  # still to be delivered: stays
    recent, unread = notice(agent, read=179), notice(agent)

    result = notifications_purge(now=NOW)

    assert result == {"outbox_sent": 0, "outbox_dead": 0, "notifications_read": 3}
    assert ids(Notification.objects) == {waiting.pk, recent.pk, unread.pk}
    assert list(OutboxMessage.objects.values_list("notification_id", "state")) == [(waiting.pk, FAILED)]


def test_the_retentions_come_from_the_settings(settings, agent, channel):
    settings.KEFU_OUTBOX_SENT_RETENTION_DAYS = 2
    settings.KEFU_OUTBOX_DEAD_RETENTION_DAYS = 5
    settings.KEFU_READ_NOTIFICATION_RETENTION_DAYS = 10
    message(channel, SENT, due=3, sent=3)
    message(channel, SENT, due=1, sent=1)
    message(channel, DEAD, due=6)
    message(channel, DEAD, due=4)
    notice(agent, read=11)
    notice(agent, read=9)

    assert notifications_purge(now=NOW) == {"outbox_sent": 1, "outbox_dead": 1, "notifications_read": 1}
    assert notifications_purge(now=NOW) == ZERO  # idempotent
    assert (OutboxMessage.objects.count(), Notification.objects.count()) == (2, 5)  # 4 unread notices of the rows


def test_rows_go_in_batches_of_the_given_size(channel):
    for _ in range(5):
        message(channel, SENT, due=40, sent=40)

    with CaptureQueriesContext(connection) as queries:
        result = notifications_purge(now=NOW, batch=2)

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    outbox_deletes = [sql for sql in deletes if "notifications_outboxmessage" in sql.split("WHERE")[0]]
    assert result["outbox_sent"] == 5
    assert len(outbox_deletes) == 3  # 2 + 2 + 1 rows, each statement naming its ids
    assert all(" IN (" in sql for sql in deletes)


def test_a_run_stops_after_its_time_budget_and_the_next_one_goes_on(channel):
    for _ in range(5):
        message(channel, SENT, due=40, sent=40)

    first = notifications_purge(now=NOW, batch=2, budget_s=0)
    second = notifications_purge(now=NOW, batch=2, budget_s=0)
    rest = notifications_purge(now=NOW, batch=2)

    assert (first["outbox_sent"], second["outbox_sent"], rest["outbox_sent"]) == (2, 2, 1)
    assert OutboxMessage.objects.count() == 0


def test_the_daily_job_purges_as_of_now(channel):
    message(channel, SENT, due=40, sent=40)
    OutboxMessage.objects.update(sent_at=timezone.now() - dt.timedelta(days=31),
                                 next_attempt_at=timezone.now() - dt.timedelta(days=31))

    assert purge_job() == {"outbox_sent": 1, "outbox_dead": 0, "notifications_read": 0}
    job = get_job("notifications_purge")
    assert (job.interval_s, job.func, job.demo) == (86400, purge_job, False)
