"""SLA policy matching and due-time arithmetic (business minutes)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db.models import Q

from kefu.core import business_time
from kefu.orgs.models import NetworkPoint
from kefu.tickets.models import SLAPolicy

# Used when no policy matches: 2 business hours to answer, 2 business days to resolve.
DEFAULT_FIRST_RESPONSE = 120
DEFAULT_RESOLUTION = 2 * 570
DEFAULT_WARN_BEFORE = 30


# Active policies per point, kept for a minute: ticket creation is hot and policies
# change rarely. A process that edits them clears its copy; others catch up within
# POLICY_CACHE_SECONDS.
POLICY_CACHE_SECONDS = 60.0
_policy_cache: dict[int, tuple[float, list[SLAPolicy]]] = {}


def clear_policy_cache() -> None:
    _policy_cache.clear()


def _active_policies(point_id: int) -> list[SLAPolicy]:
    now = time.monotonic()
    hit = _policy_cache.get(point_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    policies = list(
        SLAPolicy.objects.filter(active=True).filter(Q(point_id=point_id) | Q(point__isnull=True))
    )
    _policy_cache[point_id] = (now + POLICY_CACHE_SECONDS, policies)
    return policies


@dataclass(frozen=True)
class SLATimes:
    policy: SLAPolicy | None
    first_response_due: dt.datetime
    first_response_warn_at: dt.datetime
    resolution_due: dt.datetime
    resolution_warn_at: dt.datetime

    @property
    def policy_id(self) -> int | None:
        return self.policy.pk if self.policy else None


def policy_for(
    *, point_id: int, queue: str, category_id: int | None, tier: str
) -> SLAPolicy | None:
    """The most specific active policy: each matching dimension (point, queue,
    category, tier) adds one; a policy naming a different value never matches."""
    candidates = [
        p for p in _active_policies(point_id)
        if p.queue in ("", queue)
        and (p.category_id is None or p.category_id == category_id)
        and p.tier in ("", tier)
    ]
    best, best_score = None, -1
    for p in candidates:
        score = (
            (p.point_id is not None) * 1
            + (p.queue != "") * 2
            + (p.tier != "") * 4
            + (p.category_id is not None) * 8
        )
        if score > best_score or (score == best_score and best is not None and p.pk < best.pk):
            best, best_score = p, score
    return best


def compute(
    *, point: NetworkPoint, created_at: dt.datetime, queue: str, category_id: int | None, tier: str
) -> SLATimes:
    policy = policy_for(point_id=point.pk, queue=queue, category_id=category_id, tier=tier)
    first = policy.first_response_minutes if policy else DEFAULT_FIRST_RESPONSE
    resolution = policy.resolution_minutes if policy else DEFAULT_RESOLUTION
    warn = policy.warn_before_minutes if policy else DEFAULT_WARN_BEFORE
    hours = {"day_start": point.business_start, "day_end": point.business_end}
    fr_due = business_time.add_business_minutes(created_at, first, **hours)
    res_due = business_time.add_business_minutes(created_at, resolution, **hours)
    return SLATimes(
        policy=policy,
        first_response_due=fr_due,
        first_response_warn_at=_warn_at(created_at, fr_due, warn, hours),
        resolution_due=res_due,
        resolution_warn_at=_warn_at(created_at, res_due, warn, hours),
    )


def _warn_at(created: dt.datetime, due: dt.datetime, warn: int, hours: dict) -> dt.datetime:
    at = business_time.subtract_business_minutes(due, warn, **hours)
    return max(at, created)


def state_of(ticket, now: dt.datetime) -> str:
    """ok / warning / breached for an open ticket at `now`."""
    from kefu.tickets.models import SLAState

    if not ticket.is_open:
        return SLAState.OK
    pending_fr = ticket.first_responded_at is None
    if (pending_fr and ticket.first_response_due and ticket.first_response_due <= now) or (
        ticket.resolution_due and ticket.resolution_due <= now
    ):
        return SLAState.BREACHED
    if (pending_fr and ticket.first_response_warn_at and ticket.first_response_warn_at <= now) or (
        ticket.resolution_warn_at and ticket.resolution_warn_at <= now
    ):
        return SLAState.WARNING
    return SLAState.OK


def state_q(state: str, now: dt.datetime) -> Q:
    """The same rule as `state_of`, as a filter on open tickets."""
    from kefu.tickets.models import SLAState

    breached = Q(first_responded_at__isnull=True, first_response_due__lte=now) | Q(
        resolution_due__lte=now
    )
    warning = (
        Q(first_responded_at__isnull=True, first_response_warn_at__lte=now)
        | Q(resolution_warn_at__lte=now)
    ) & ~breached
    if state == SLAState.BREACHED:
        return Q(is_open__in=[True]) & breached
    if state == SLAState.WARNING:
        return Q(is_open__in=[True]) & warning
    return Q(is_open__in=[True]) & ~breached & ~warning
