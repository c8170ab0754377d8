import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from kefu.customers.models import Customer
from kefu.demo import org as demo_org
from kefu.demo import services
from kefu.orgs.models import NetworkPoint, User
from kefu.tickets.models import Event, Message, Ticket
from kefu.tickets.sla_sweep import sla_sweep

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 18, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SMALL = {"days": 1, "messages_per_day": 30, "via_services": 3, "inbound_per_day": 40}


def _tickets():
    return Ticket.objects.filter(point__code=demo_org.POINT_CODE)


def test_the_same_seed_and_time_give_the_same_tickets():
    def fingerprint():
        return list(_tickets().order_by("platform_message_id").values_list(
            "platform_message_id", "waybill_no", "subject", "assignee__username", "status"))

    services.demo_build(seed=3, now=NOW, **SMALL)
    first = fingerprint()
    services.demo_reset()
    services.demo_build(seed=3, now=NOW, **SMALL)

    assert fingerprint() == first


def test_the_command_builds_once_and_a_second_run_changes_nothing():
    out = io.StringIO()
    # Two days: the history always holds yesterday's working hours, whatever time the test runs.
    args = ["demo", "--days", "2", "--messages-per-day", "20", "--inbound-per-day", "40", "--seed", "5"]
    call_command(*args, stdout=out)
    counts = (NetworkPoint.objects.count(), User.objects.count(), Customer.objects.count(),
              Ticket.objects.count(), Event.objects.count())

    again = io.StringIO()
    call_command(*args, stdout=again)

    assert (NetworkPoint.objects.count(), User.objects.count(), Customer.objects.count(),
            Ticket.objects.count(), Event.objects.count()) == counts
    assert "kefu2026" in out.getvalue()
    assert "http://127.0.0.1:8000/" in again.getvalue()
    assert "zhuguan" in again.getvalue()
    assert counts[3] > 0


def test_reset_rebuilds_the_demo_point_from_scratch():
    call_command("demo", "--days", "1", "--messages-per-day", "20", "--inbound-per-day", "80", stdout=io.StringIO())
    old_point = NetworkPoint.objects.get(code=demo_org.POINT_CODE).pk

    call_command("demo", "--days", "1", "--messages-per-day", "20", "--inbound-per-day", "80", "--reset", stdout=io.StringIO())

    point = NetworkPoint.objects.get(code=demo_org.POINT_CODE)
    assert point.pk != old_point
    assert NetworkPoint.objects.filter(region__code=demo_org.REGION_CODE).count() == 21
    assert not Ticket.objects.exclude(point=point).exists()
    assert not Message.objects.exclude(ticket__point=point).exists()
    assert not Event.objects.exclude(ticket__point=point).exists()
    assert not Customer.objects.exclude(point=point).exists()
    assert User.objects.filter(username="kefu1").count() == 1


def test_serve_runs_the_serve_command_after_building(monkeypatch):
    calls = []
    monkeypatch.setattr("kefu.demo.management.commands.demo.call_command",
                        lambda name, **kw: calls.append((name, kw)))
    monkeypatch.setattr(services, "demo_exists", lambda: True)

    call_command("demo", "--serve", stdout=io.StringIO())

    assert calls == [("migrate", {"interactive": False, "verbosity": 0}),
                     ("serve", {"host": "127.0.0.1", "port": 8000, "demo": True})]


def test_a_taken_username_stops_the_build_before_anything_is_written():
    User.objects.create_user(username="boss", password="x")

    with pytest.raises(ValidationError, match="boss"):
        services.demo_build(seed=1, now=NOW, **SMALL)

    assert not NetworkPoint.objects.filter(code=demo_org.POINT_CODE).exists()


def test_the_real_sla_sweep_finds_nothing_the_replayed_history_missed():
    services.demo_build(seed=11, now=NOW, days=2, messages_per_day=150, via_services=0, inbound_per_day=0)
    open_before = _tickets().filter(is_open=True).count()

    counts = sla_sweep(now=NOW)

    # The replay runs its sweep up to a minute late, as the real one does; only a
    # clock that ran out (or a ticket that reopened) in that last minute is left.
    fresh = NOW - dt.timedelta(seconds=61)
    claimed = Event.objects.filter(ticket__in=_tickets(), created_at=NOW,
                                   verb__in=[Event.Verb.SLA_WARNING, Event.Verb.SLA_BREACH])
    for event in claimed.select_related("ticket"):
        t = event.ticket
        last_change = t.events.exclude(pk=event.pk).latest("created_at").created_at
        moments = [t.first_response_warn_at, t.first_response_due, t.resolution_warn_at,
                   t.resolution_due, t.first_responded_at, last_change]
        assert any(m and fresh < m <= NOW for m in moments), t.pk
    assert counts["warned"] + counts["breached"] == claimed.count()
    assert open_before > 20


def test_a_demo_built_after_a_live_sweep_still_has_its_warnings_history():
    """A served demo's sweep reads up to the real time; rebuilt (--reset), the replay's
    sweeps lie behind that horizon and read from the start again."""
    from kefu.parcels.models import ParcelWarning, WarningEvent
    from kefu.parcels.sweep import sweep

    sweep()  # the live sweep of a server that ran before the build
    services.demo_build(seed=3, now=timezone.now(), days=1, messages_per_day=20, inbound_per_day=400)

    assert ParcelWarning.objects.filter(point__code=demo_org.POINT_CODE).exists()
    assert WarningEvent.objects.filter(verb=WarningEvent.Verb.MISSED).exists()
