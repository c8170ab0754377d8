import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kefu.notifications import channels as delivery
from kefu.notifications import services
from kefu.notifications.models import Channel, Notification, OutboxMessage
from kefu.notifications.services import channel_add, notify, outbox_send
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory

pytestmark = pytest.mark.django_db

ASSIGNED = "ticket_assigned"
PARAMS = {"ref": "T-1", "subject": "丢件"}
TEXT = "工单 T-1 已分配给你:丢件"


def _notify(users, verb=ASSIGNED, params=PARAMS):
    return notify(users=users, verb=verb, params=params, link="/tickets/1/")


def _later(minutes: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(("kind", "payload"), [
    (Channel.Kind.WECOM, {"msgtype": "text", "text": {"content": TEXT}}),
    (Channel.Kind.DINGTALK, {"msgtype": "text", "text": {"content": TEXT}}),
    (Channel.Kind.FEISHU, {"msg_type": "text", "content": {"text": TEXT}}),
])
def test_robot_payload_is_rendered_in_chinese_and_posted_as_json(robot, kind, payload):
    # given
    agent = AgentFactory()
    channel = channel_add(user=agent, kind=kind, target=robot.url, verbs=[])
    robot.default = (200, {"code": 0, "msg": "success"} if kind == Channel.Kind.FEISHU else {"errcode": 0})
    # when
    _notify([agent])
    result = outbox_send()
    # then
    message = OutboxMessage.objects.get()
    assert (message.channel_id, message.payload) == (channel.pk, payload)
    assert result == {"sent": 1}
    assert robot.received == [("/send?key=k1", "application/json; charset=utf-8", payload)]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None


def test_email_channel_sends_through_the_mail_backend(settings):
    # given
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent = AgentFactory()
    channel_add(user=agent, kind=Channel.Kind.EMAIL, target="agent@example.com", verbs=[])
    # when
    _notify([agent])
    result = outbox_send()
    # then
    assert OutboxMessage.objects.get().payload == {"subject": "工单已分配给你", "body": TEXT}
    assert result == {"sent": 1}
    assert [(m.subject, m.body, m.to) for m in mail.outbox] == [("工单已分配给你", TEXT, ["agent@example.com"])]


def test_verbs_filter_selects_channels(robot):
    # given
    agent = AgentFactory()
    only_breach = channel_add(user=agent, kind="wecom", target=robot.url,
                              verbs=["sla_breach"])
    every = channel_add(user=agent, kind="dingtalk", target=robot.url, verbs=[])
    off = channel_add(user=agent, kind="feishu", target=robot.url, verbs=[])
    services.channel_set_enabled(user=agent, channel_id=off.pk, enabled=False)
    # when
    _notify([agent], verb=ASSIGNED)
    _notify([agent], verb="sla_breach")
    # then
    got = sorted((m.notification.verb, m.channel_id) for m in OutboxMessage.objects.all())
    assert got == sorted([
        (ASSIGNED, every.pk), ("sla_breach", every.pk), ("sla_breach", only_breach.pk),
    ])


def test_point_group_robot_gets_one_post_per_call_for_its_point(robot):
    # given
    point, other_point = PointFactory(), PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    group = channel_add(user=manager, kind="wecom", target=robot.url, verbs=[], for_point=True)
    a, b = AgentFactory(point=point), AgentFactory(point=point)
    stranger = AgentFactory(point=other_point)
    # when
    _notify([a, b])
    _notify([stranger])
    # then
    message = OutboxMessage.objects.get()
    assert (message.channel_id, message.notification.user_id) == (group.pk, a.pk)
    assert (group.user_id, group.point_id) == (None, point.pk)


def test_only_point_wide_roles_add_point_channels(robot):
    agent = AgentFactory()
    with pytest.raises(PermissionDenied):
        channel_add(user=agent, kind="wecom", target=robot.url, verbs=[], for_point=True)
    assert Channel.objects.count() == 0


@pytest.mark.parametrize(("kind", "target", "field"), [
    ("wecom", "ftp://127.0.0.1/x", "target"),
    ("feishu", "file:///etc/passwd", "target"),
    ("dingtalk", "javascript:alert(1)", "target"),
    ("wecom", "https://", "target"),
    ("email", "not-an-address", "target"),
    ("sms", "http://127.0.0.1/", "kind"),
])
def test_channel_add_rejects_bad_targets(kind, target, field):
    agent = AgentFactory()
    with pytest.raises(ValidationError) as exc:
        channel_add(user=agent, kind=kind, target=target, verbs=[])
    assert list(exc.value.message_dict) == [field]
    assert Channel.objects.count() == 0


def test_channel_add_rejects_unknown_verbs():
    with pytest.raises(ValidationError) as exc:
        channel_add(user=AgentFactory(), kind="wecom", target="https://example.com/x", verbs=["nope"])
    assert list(exc.value.message_dict) == ["verbs"]


def test_failures_retry_with_backoff_then_succeed(robot):
    # given: HTTP 500 first, then a robot error code, then success
    agent = AgentFactory()
    channel_add(user=agent, kind="wecom", target=robot.url, verbs=[])
    robot.script = [(500, "boom"), (200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    _notify([agent])
    start = timezone.now()
    # when / then: first attempt fails, retry after 1 minute
    assert outbox_send(now=start) == {"failed": 1}
    m = OutboxMessage.objects.get()
    assert (m.state, m.attempts, m.next_attempt_at, m.last_error) == (
        "failed", 1, start + dt.timedelta(minutes=1), "HTTP 500: boom")
    assert outbox_send(now=start + dt.timedelta(seconds=59)) == {}
    # second attempt: errcode != 0, retry after 2 more minutes
    t2 = start + dt.timedelta(minutes=1)
    assert outbox_send(now=t2) == {"failed": 1}
    m.refresh_from_db()
    assert (m.state, m.attempts, m.next_attempt_at) == ("failed", 2, t2 + dt.timedelta(minutes=2))
    assert m.last_error == '{"errcode": 93000, "errmsg": "invalid webhook url"}'
    # third attempt succeeds
    t3 = t2 + dt.timedelta(minutes=2)
    assert outbox_send(now=t3) == {"sent": 1}
    m.refresh_from_db()
    assert (m.state, m.attempts, m.sent_at, m.last_error, m.claimed_until) == ("sent", 3, t3, "", None)
    assert len(robot.received) == 3


def test_dead_after_max_attempts(robot):
    # given
    agent = AgentFactory()
    channel_add(user=agent, kind="feishu", target=robot.url, verbs=[])
    robot.default = (200, {"code": 19001, "msg": "param invalid"})
    _notify([agent])
    at = timezone.now()
    delays = []
    # when
    for _ in range(services.MAX_ATTEMPTS):
        outbox_send(now=at)
        m = OutboxMessage.objects.get()
        delays.append(round((m.next_attempt_at - at).total_seconds() / 60))
        at = m.next_attempt_at
    # then
    assert delays == [1, 2, 4, 8, 16, 32, 64, 0]  # the 8th failure schedules nothing
    assert (m.state, m.attempts, m.last_error) == ("dead", 8, '{"code": 19001, "msg": "param invalid"}')
    assert outbox_send(now=at + dt.timedelta(days=1)) == {}
    assert len(robot.received) == 8


def test_unreachable_webhook_keeps_inbox_row_and_other_channels(robot, dead_url):
    # given
    agent = AgentFactory()
    broken = channel_add(user=agent, kind="wecom", target=dead_url, verbs=[])
    working = channel_add(user=agent, kind="dingtalk", target=robot.url, verbs=[])
    # when
    written = _notify([agent])
    result = outbox_send()
    # then
    assert written == 1
    assert list(Notification.objects.values_list("user_id", "verb")) == [(agent.pk, ASSIGNED)]
    assert result == {"failed": 1, "sent": 1}
    states = dict(OutboxMessage.objects.values_list("channel_id", "state"))
    assert states == {broken.pk: "failed", working.pk: "sent"}
    assert OutboxMessage.objects.get(channel=broken).last_error.startswith("URLError")
    assert robot.texts() == [TEXT]


def test_an_exception_while_sending_does_not_stop_the_batch(robot, monkeypatch):
    # given
    a, b = AgentFactory(), AgentFactory()
    first = channel_add(user=a, kind="wecom", target=robot.url, verbs=[])
    channel_add(user=b, kind="wecom", target=robot.url, verbs=[])
    real = delivery.deliver

    def flaky(kind, target, payload):
        if not robot.received and not flaky.raised:
            flaky.raised = True
            raise RuntimeError("bug")
        return real(kind, target, payload)

    flaky.raised = False
    monkeypatch.setattr(delivery, "deliver", flaky)
    # when
    _notify([a, b])
    result = outbox_send()
    # then
    assert result == {"failed": 1, "sent": 1}
    assert OutboxMessage.objects.get(channel=first).last_error == "RuntimeError: bug"


def test_enqueue_failure_never_loses_the_inbox_row(robot, monkeypatch):
    # given
    agent = AgentFactory()
    channel_add(user=agent, kind="wecom", target=robot.url, verbs=[])

    def broken(*args, **kwargs):
        raise RuntimeError("render bug")

    monkeypatch.setattr(delivery, "build_payload", broken)
    # when
    written = _notify([agent])
    # then
    assert written == 1
    assert Notification.objects.filter(user=agent).count() == 1
    assert OutboxMessage.objects.count() == 0


def test_a_claimed_message_is_not_sent_by_a_second_worker(robot, monkeypatch):
    # given: three messages; worker B runs while worker A is in the middle of its first send
    agents = [AgentFactory() for _ in range(3)]
    for i, agent in enumerate(agents):
        channel_add(user=agent, kind="wecom", target=robot.url, verbs=[])
        _notify([agent], params={"ref": f"T-{i}", "subject": "催件"})
    now = timezone.now()
    real = delivery.deliver
    inner: list[dict] = []

    def deliver_with_a_rival(kind, target, payload):
        if not inner:
            inner.append(outbox_send(now=now))  # worker B, same instant
        return real(kind, target, payload)

    monkeypatch.setattr(delivery, "deliver", deliver_with_a_rival)
    # when
    outer = outbox_send(now=now)
    # then
    assert inner == [{}]
    assert outer == {"sent": 3}
    assert sorted(robot.texts()) == [f"工单 T-{i} 已分配给你:催件" for i in range(3)]


def test_an_expired_lease_is_taken_over_and_the_stale_worker_records_nothing(robot):
    # given: worker A claimed and then stalled past its lease
    agent = AgentFactory()
    channel_add(user=agent, kind="wecom", target=robot.url, verbs=[])
    _notify([agent])
    now = timezone.now()
    [stale] = services._claim(now=now, limit=10)
    # when: worker B comes after the lease and sends
    assert outbox_send(now=now + dt.timedelta(seconds=1)) == {}
    after = now + services.LEASE + dt.timedelta(seconds=1)
    assert outbox_send(now=after) == {"sent": 1}
    services._failed(stale, error="late", now=after)  # A wakes up and reports a failure
    # then
    m = OutboxMessage.objects.get()
    assert (m.state, m.attempts, m.last_error, m.sent_at) == ("sent", 1, "", after)
    assert len(robot.received) == 1


def test_disabled_channel_drops_its_pending_messages(robot):
    agent = AgentFactory()
    channel = channel_add(user=agent, kind="wecom", target=robot.url, verbs=[])
    _notify([agent])
    services.channel_set_enabled(user=agent, channel_id=channel.pk, enabled=False)
    assert outbox_send() == {"dead": 1}
    assert robot.received == []


def test_outbox_job_sends(robot):
    from kefu.notifications.jobs import outbox_job

    agent = AgentFactory()
    channel_add(user=agent, kind="wecom", target=robot.url, verbs=[])
    _notify([agent])
    assert outbox_job() == {"sent": 1}
