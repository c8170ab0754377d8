"""Build and remove the demo network point.

`demo_build` makes one region of 21 points and, in the demo point, the staff,
areas, customers and 30 days of platform messages of seed 000's proof case.
Everything the demo creates hangs off the point coded `org.POINT_CODE` and the
region coded `org.REGION_CODE`, so `demo_reset` removes exactly that.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.demo import org as demo_org
from kefu.demo.history import build_history
from kefu.demo.rows import delete_rows
from kefu.orgs.models import NetworkPoint, Region, Role, User
from kefu.tickets.models import Attachment, Event, FollowUp, Message, Ticket

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "kefu2026"
DEFAULT_SEED = 2026
# The logins printed at the end of `kefu demo`: username, role.
DEMO_LOGINS = (
    ("boss", Role.OWNER),
    ("jingli", Role.MANAGER),
    ("zhuguan", Role.SUPERVISOR),
    ("zuzhang1", Role.TEAM_LEAD),
    *((f"kefu{i}", Role.AGENT) for i in range(1, 9)),
    ("yingxiao", Role.DEPT_HEAD),
    ("paijian1", Role.COURIER),
    ("ka1", Role.CUSTOMER),
)


@dataclass(frozen=True)
class DemoSummary:
    point: NetworkPoint
    tickets: int
    open_tickets: int
    seconds: float


def demo_point() -> NetworkPoint | None:
    return NetworkPoint.objects.filter(code=demo_org.POINT_CODE).first()


def demo_exists() -> bool:
    return demo_point() is not None


@transaction.atomic
def demo_build(
    *, seed: int = DEFAULT_SEED, days: int = 30, messages_per_day: int = 1000,
    now: dt.datetime | None = None, via_services: int = 50, inbound_per_day: int = 10_000,
) -> DemoSummary:
    """Create the demo point with `days` days of history ending at `now`.

    Precondition: the demo point does not exist (see `demo_reset`) and none of
    the demo usernames is taken. Same seed and same `now` → same data.
    """
    started = timezone.now()
    if days < 1 or messages_per_day < 0:
        raise ValidationError(_("Days must be at least 1 and messages per day not negative."))
    if demo_exists():
        raise ValidationError(_("The demo point already exists."))
    taken = sorted(User.objects.filter(username__in=demo_org.usernames()).values_list("username", flat=True))
    if taken:
        raise ValidationError(
            _("These usernames are already used outside the demo: %(names)s") % {"names": ", ".join(taken)}
        )
    now = now or timezone.now()
    rng = random.Random(seed)
    # One hash for every demo user: hashing is deliberately slow (PBKDF2).
    org = demo_org.build_org(rng, password_hash=make_password(DEMO_PASSWORD))
    count = build_history(org, rng=rng, now=now, days=days, per_day=messages_per_day,
                          via_services=via_services)
    if inbound_per_day:
        from kefu.demo.scans import import_demo_scans, replay_sweeps

        import_demo_scans(org.point, rng=rng, now=now, per_day=inbound_per_day)
        replay_sweeps(now=now)
    open_count = Ticket.objects.filter(point=org.point, is_open=True).count()
    seconds = (timezone.now() - started).total_seconds()
    logger.info("demo built point=%s tickets=%s open=%s seconds=%.1f",
                org.point.code, count, open_count, seconds)
    return DemoSummary(point=org.point, tickets=count, open_tickets=open_count, seconds=seconds)


@transaction.atomic
def demo_reset() -> bool:
    """Delete the demo point with everything in it, its 20 peer points and the
    demo region. Returns False when there was no demo point."""
    point = demo_point()
    if point is not None:
        _delete_tickets(point)
        User.objects.filter(point=point).delete()
        point.delete()
    peers = NetworkPoint.objects.filter(region__code=demo_org.REGION_CODE,
                                        code__startswith=demo_org.POINT_CODE + "-")
    peers.delete()
    Region.objects.filter(code=demo_org.REGION_CODE, points__isnull=True).delete()
    return point is not None


def _delete_tickets(point: NetworkPoint) -> None:
    """Every ticket of `point` with its messages, events, follow-ups and attachments
    (their files stay on disk), leaves first so that each table is one statement.

    Falls back to Django's collecting delete when another model has come to
    point at tickets or messages, so nothing is left dangling."""
    tickets = Ticket.objects.filter(point=point)
    Event.objects.filter(ticket__in=tickets).delete()
    FollowUp.objects.filter(ticket__in=tickets).delete()
    Attachment.objects.filter(ticket__in=tickets).delete()
    tickets.exclude(merged_into=None).update(merged_into=None)
    known = {Ticket, Message, Attachment, FollowUp, Event}
    dependents = {rel.related_model for model in (Ticket, Message) for rel in model._meta.related_objects}
    if not dependents <= known:
        Message.objects.filter(ticket__in=tickets).delete()
        tickets.delete()
        return
    qn = connection.ops.quote_name
    ticket_ids = (f"SELECT {qn(Ticket._meta.pk.column)} FROM {qn(Ticket._meta.db_table)} "
                  f"WHERE {qn(Ticket._meta.get_field('point').column)} = %s")
    delete_rows(Message, f"{qn(Message._meta.get_field('ticket').column)} IN ({ticket_ids})", [point.pk])
    delete_rows(Ticket, f"{qn(Ticket._meta.get_field('point').column)} = %s", [point.pk])
