"""Who a new warning goes to, and when it escalates to vertical follow-up (垂直跟进).

A warning goes to the courier who has the parcel out for delivery, else the
first courier of the waybill's area, and to that courier's supervisor. Seed
000's special cases escalate: a problem-parcel scan (问题件) and a second
warning for the same courier within the hour go to the operations head; a KA
customer's parcel goes to the sales head.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict



from kefu.notifications.models import Notification
from kefu.notifications.services import notify
from kefu.orgs import selectors as org_selectors
from kefu.orgs.models import Area, Customer, Department, Role, User
from kefu.parcels.models import ParcelWarning

ESCALATE_PROBLEM = "problem_scan"
ESCALATE_KA = "key_account"
ESCALATE_REPEAT = "repeat_within_hour"


def raise_warnings(claimed: list[tuple], *, at: dt.datetime) -> int:
    """Create the warnings of freshly claimed waybills and notify. `claimed` rows
    are (waybill id, point id, courier id, area id, customer id, deadline, problem_at).
    Returns how many escalated."""
    area_courier = _area_couriers({r[3] for r in claimed if r[2] is None and r[3]})
    ka = set(Customer.objects.filter(pk__in={r[4] for r in claimed if r[4]}, tier=Customer.Tier.KA)
             .values_list("pk", flat=True))
    recent = _recent_counts({r[1] for r in claimed}, at)
    heads = _heads({r[1] for r in claimed})
    warnings = []
    for wid, point_id, courier_id, area_id, customer_id, deadline, problem_at in claimed:
        courier_id = courier_id or area_courier.get(area_id)
        deadline = _aware(deadline)
        problem_at = _aware(problem_at)
        reason = ""
        if problem_at is not None and problem_at <= at:
            reason = ESCALATE_PROBLEM
        elif customer_id in ka:
            reason = ESCALATE_KA
        elif courier_id and recent[courier_id] >= 1:
            reason = ESCALATE_REPEAT
        if courier_id:
            recent[courier_id] += 1
        head = heads.get((point_id, Department.Kind.SALES if reason == ESCALATE_KA else Department.Kind.OPERATIONS))
        warnings.append(ParcelWarning(
            point_id=point_id, waybill_id=wid, courier_id=courier_id, area_id=area_id,
            deadline=deadline, raised_at=at, escalation=reason,
            escalated_to_id=head if reason else None,
        ))
    ParcelWarning.objects.bulk_create(warnings, batch_size=2000)
    _notify(warnings)
    return sum(1 for w in warnings if w.escalation)


def _aware(value):
    if value is None or isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC)


def _area_couriers(area_ids: set[int]) -> dict[int, int]:
    result: dict[int, int] = {}
    rows = Area.couriers.through.objects.filter(area_id__in=area_ids).order_by("area_id", "user_id")
    for area_id, user_id in rows.values_list("area_id", "user_id"):
        result.setdefault(area_id, user_id)
    return result


def _recent_counts(point_ids: set[int], at: dt.datetime) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    rows = ParcelWarning.objects.filter(
        point_id__in=point_ids, raised_at__gt=at - dt.timedelta(hours=1), raised_at__lte=at,
        courier__isnull=False,
    ).values_list("courier_id", flat=True)
    for courier_id in rows:
        counts[courier_id] += 1
    return counts


def _heads(point_ids: set[int]) -> dict[tuple[int, str], int]:
    """The head of the sales and of the operations department of each point;
    the point's CS supervisor stands in when a department has no head."""
    heads: dict[tuple[int, str], int] = {}
    rows = User.objects.filter(
        point_id__in=point_ids, role=Role.DEPT_HEAD, is_active=True,
        department__kind__in=[Department.Kind.SALES, Department.Kind.OPERATIONS],
    ).order_by("pk").values_list("point_id", "department__kind", "pk")
    for point_id, kind, pk in rows:
        heads.setdefault((point_id, kind), pk)
    supervisors = User.objects.filter(point_id__in=point_ids, role=Role.SUPERVISOR, is_active=True)
    for point_id, pk in supervisors.order_by("pk").values_list("point_id", "pk"):
        for kind in (Department.Kind.SALES, Department.Kind.OPERATIONS):
            heads.setdefault((point_id, kind), pk)
    return heads


def _notify(warnings: list[ParcelWarning]) -> None:
    ids = {w.courier_id for w in warnings if w.courier_id} | {w.escalated_to_id for w in warnings if w.escalated_to_id}
    people = {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("reports_to")}
    by_user: dict[int, list[ParcelWarning]] = defaultdict(list)
    for w in warnings:
        courier = people.get(w.courier_id)
        if courier is not None:
            by_user[courier.pk].append(w)
            lead = org_selectors.supervisor_of(courier)
            if lead is not None:
                people.setdefault(lead.pk, lead)
                by_user[lead.pk].append(w)
        if w.escalated_to_id:
            by_user[w.escalated_to_id].append(w)
    for user_id, items in by_user.items():
        user = people.get(user_id)
        if user is None:
            continue
        first = items[0]
        notify(users=[user], verb=Notification.Verb.PARCEL_WARNING, link="/warnings/",
               params={"ref": str(len(items)), "subject": first.waybill.waybill_no if len(items) == 1 else "",
                       "count": len(items)})



