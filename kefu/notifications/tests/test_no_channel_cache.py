"""A notice for users and points known to have no channel makes no channel query;
adding or enabling a channel is seen by the next notice."""

import pytest

from kefu.core import ttlcache
from kefu.notifications import services
from kefu.notifications.models import Channel, Notification, OutboxMessage
from kefu.notifications.services import channel_add, channel_set_enabled, notify
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db

ASSIGNED = "ticket_assigned"


def _notify(users):
    return notify(users=users, verb=ASSIGNED, params={"ref": "T-1", "subject": "丢件"}, link="/tickets/1/")


def test_second_notice_without_channels_makes_no_channel_query(django_assert_num_queries):
    agent = AgentFactory()
    with django_assert_num_queries(2):  # the notice, the channels
        _notify([agent])
    with django_assert_num_queries(1):  # the notice
        _notify([agent])
    assert Notification.objects.filter(user=agent).count() == 2


def test_a_user_not_yet_seen_is_looked_up(django_assert_num_queries):
    agent = AgentFactory()
    other = AgentFactory(point=agent.point)
    _notify([agent])
    with django_assert_num_queries(2):
        _notify([other])


def test_a_user_with_a_channel_is_looked_up_every_time(django_assert_num_queries):
    agent = AgentFactory()
    channel_add(user=agent, kind=Channel.Kind.EMAIL, target="agent@example.com", verbs=[])
    _notify([agent])
    with django_assert_num_queries(5):  # the notice, the channels, the outbox row in a savepoint
        _notify([agent])
    assert OutboxMessage.objects.count() == 2


def test_a_channel_added_after_a_notice_gets_the_next_one():
    agent = AgentFactory()
    _notify([agent])
    channel = channel_add(user=agent, kind=Channel.Kind.EMAIL, target="agent@example.com", verbs=[])
    _notify([agent])
    assert list(OutboxMessage.objects.values_list("channel_id", flat=True)) == [channel.pk]


def test_a_group_channel_added_after_a_notice_gets_the_next_one():
    agent = AgentFactory()
    manager = UserFactory(point=agent.point, role=Role.MANAGER)
    _notify([agent])
    group = channel_add(user=manager, kind=Channel.Kind.EMAIL, target="team@example.com", verbs=[],
                        for_point=True)
    _notify([agent])
    assert list(OutboxMessage.objects.values_list("channel_id", flat=True)) == [group.pk]


def test_a_channel_enabled_after_a_notice_gets_the_next_one():
    agent = AgentFactory()
    channel = channel_add(user=agent, kind=Channel.Kind.EMAIL, target="agent@example.com", verbs=[])
    channel_set_enabled(user=agent, channel_id=channel.pk, enabled=False)
    _notify([agent])
    assert OutboxMessage.objects.count() == 0
    channel_set_enabled(user=agent, channel_id=channel.pk, enabled=True)
    _notify([agent])
    assert list(OutboxMessage.objects.values_list("channel_id", flat=True)) == [channel.pk]


def test_the_absence_of_channels_is_forgotten_after_a_while(monkeypatch, django_assert_num_queries):
    agent = AgentFactory()
    _notify([agent])
    later = ttlcache.time.monotonic() + services.NO_CHANNEL_CACHE_SECONDS + 1
    monkeypatch.setattr(ttlcache.time, "monotonic", lambda: later)
    with django_assert_num_queries(2):
        _notify([agent])


def test_adding_a_channel_forgets_again_at_commit(django_capture_on_commit_callbacks):
    agent = AgentFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        channel = channel_add(user=agent, kind=Channel.Kind.EMAIL, target="agent@example.com", verbs=[])
    services._no_channel.put(("user", agent.pk), True)  # a notice that looked before the commit
    for callback in callbacks:
        callback()
    _notify([agent])
    assert list(OutboxMessage.objects.values_list("channel_id", flat=True)) == [channel.pk]
