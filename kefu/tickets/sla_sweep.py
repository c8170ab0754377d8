"""The SLA sweep: warn a configurable time before each breach, then mark the breach.

Safe to run in several workers at once: each notice is claimed by a
conditional UPDATE whose row count decides who sends it (Healthchecks'
`sendalerts`), so none is sent twice and none is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import transaction
from django.utils import timezone

from kefu.notifications.services import notify
from kefu.orgs import selectors as org_selectors
from kefu.tickets import events, notices, sla
from kefu.tickets.models import Event, SLAState, Ticket
from kefu.tickets.services import notice_params, ticket_link

logger = logging.getLogger(__name__)

BATCH = 500


def sla_sweep(*, now: dt.datetime | None = None, time_budget_s: float = 20.0) -> dict:
    """Send due-soon and breach notices. Returns counts made by this run."""
    now = now or timezone.now()
    started = time.monotonic()
    counts = {"warned": 0, "breached": 0}
    for state, field, verb, key in (
        (SLAState.BREACHED, "sla_breached_at", Event.Verb.SLA_BREACH, "breached"),
        (SLAState.WARNING, "sla_warned_at", Event.Verb.SLA_WARNING, "warned"),
    ):
        while time.monotonic() - started < time_budget_s:
            ids = list(
                Ticket.objects.filter(sla.state_q(state, now), **{f"{field}__isnull": True})
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            for pk in ids:
                if _claim_and_notify(pk, field=field, verb=verb, now=now):
                    counts[key] += 1
    if counts["warned"] or counts["breached"]:
        logger.info("sla_sweep warned=%s breached=%s", counts["warned"], counts["breached"])
    return counts


@transaction.atomic
def _claim_and_notify(pk: int, *, field: str, verb: str, now: dt.datetime) -> bool:
    claimed = Ticket.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: now})
    if claimed != 1:
        return False
    ticket = Ticket.objects.select_related("assignee").get(pk=pk)
    if field == "sla_breached_at" and ticket.sla_warned_at is None:
        # A breach found before its warning (e.g. the sweep was down) needs no warning after.
        Ticket.objects.filter(pk=pk).update(sla_warned_at=now)
    events.record(ticket=ticket, verb=verb, at=now)
    recipients = []
    if ticket.assignee is not None:
        recipients.append(ticket.assignee)
        recipients.append(org_selectors.supervisor_of(ticket.assignee))
    else:
        recipients.extend(
            org_selectors.agents_of_point(ticket.point_id).filter(role="supervisor")
        )
    notice = (
        notices.SLA_BREACH if verb == Event.Verb.SLA_BREACH else notices.SLA_WARNING
    )
    notify(users=recipients, verb=notice, params=notice_params(ticket), link=ticket_link(ticket))
    return True
