import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.demo.life import Life
from kefu.demo.rows import Row
from kefu.tickets.models import Channel, Event, Status

SH = ZoneInfo("Asia/Shanghai")
CREATED = dt.datetime(2026, 11, 18, 9, 0, tzinfo=SH)


def _life(now=CREATED + dt.timedelta(days=3)) -> Life:
    ticket = Row(
        created_at=CREATED, channel=Channel.IMPORT, assignee=None, status=Status.NEW, is_open=True,
        reopen_count=0, first_responded_at=None, resolved_at=None, closed_at=None, priority=3,
        first_response_warn_at=CREATED + dt.timedelta(minutes=30),
        first_response_due=CREATED + dt.timedelta(minutes=60),
        resolution_warn_at=CREATED + dt.timedelta(hours=8),
        resolution_due=CREATED + dt.timedelta(hours=9),
    )
    return Life(ticket, now=now)


def _verbs(life):
    return [(e.verb, e.created_at - CREATED) for e in sorted(life.events, key=lambda e: e.created_at)]


def test_a_late_first_reply_is_warned_then_breached_and_the_flags_start_over():
    life = _life()
    agent = Row(pk=5)
    life.reply(CREATED + dt.timedelta(minutes=90), agent, "您好")
    life.resolve(CREATED + dt.timedelta(hours=2), agent, "已处理")

    life.replay_sla_sweep(dt.timedelta(seconds=30))

    assert [v for v in _verbs(life) if v[0] in (Event.Verb.SLA_WARNING, Event.Verb.SLA_BREACH)] == [
        (Event.Verb.SLA_WARNING, dt.timedelta(minutes=30, seconds=30)),
        (Event.Verb.SLA_BREACH, dt.timedelta(minutes=60, seconds=30)),
    ]
    assert (life.ticket.sla_warned_at, life.ticket.sla_breached_at) == (None, None)
    assert life.ticket.status == Status.RESOLVED


def test_a_ticket_still_open_at_now_keeps_its_breach_flag():
    now = CREATED + dt.timedelta(hours=10)
    life = _life(now=now)
    life.reply(CREATED + dt.timedelta(minutes=10), Row(pk=5), "您好")

    life.replay_sla_sweep(dt.timedelta(seconds=30))

    assert life.ticket.sla_breached_at == CREATED + dt.timedelta(hours=9, seconds=30)
    assert life.ticket.sla_warned_at == CREATED + dt.timedelta(hours=8, seconds=30)
    assert life.ticket.is_open


def test_actions_after_now_do_not_happen():
    life = _life(now=CREATED + dt.timedelta(minutes=20))

    done = life.reply(CREATED + dt.timedelta(minutes=30), Row(pk=5), "您好")

    assert done is False
    assert life.ticket.status == Status.NEW
    assert life.messages == []


def test_a_transition_the_services_forbid_is_refused():
    life = _life()
    life.resolve(CREATED + dt.timedelta(minutes=5), Row(pk=5), "已处理")

    with pytest.raises(ValueError, match="resolved -> waiting_customer"):
        life.set_status(CREATED + dt.timedelta(minutes=6), None, Status.WAITING_CUSTOMER)
