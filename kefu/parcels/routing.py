"""Who a new warning goes to, and when it escalates to vertical follow-up (垂直跟进).

A warning goes to the courier who has the parcel out for delivery, else the
first courier of the waybill's area, and to that courier's supervisor. Seed
000's special cases escalate: a problem-parcel scan (问题件) and a second
warning for the same courier within the hour go to the operations head; a KA
customer's parcel goes to the sales head.

Set-based: a batch of claimed waybills costs a fixed number of queries, however
many warnings it raises (one bulk write of the warnings, kefu/core/bulk.py; one
INSERT … SELECT of the escalations' events; one `notify_each`).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from typing import NamedTuple

from django.db.models import Exists, OuterRef

from kefu.core import bulk
from kefu.customers.models import Customer
from kefu.notifications.services import notify_each
from kefu.orgs import selectors as org_selectors
from kefu.orgs.models import Area, Department, Role, User
from kefu.parcels import events
from kefu.parcels.models import ESCALATE_KA, ESCALATE_PROBLEM, ESCALATE_REPEAT, ParcelWarning
from kefu.parcels.notices import PARCEL_WARNING


class NewWarning(NamedTuple):
    """A row of parcels_parcelwarning, its fields in the table's column order."""

    point_id: int
    waybill_id: int
    courier_id: int | None
    area_id: int | None
    deadline: dt.datetime
    raised_at: dt.datetime
    state: str
    reason: str
    escalation: str
    escalated_to_id: int | None


def raise_warnings(claimed: list[tuple], *, at: dt.datetime) -> int:
    """Create the warnings of freshly claimed waybills and notify. `claimed` rows
    are (waybill id, point id, courier id, area id, customer id, deadline,
    problem_at, waybill number). Returns how many escalated."""
    if not claimed:
        return 0
    rows = sorted(((r[0], r[1], r[2], r[3], r[4], _aware(r[5]), _aware(r[6]), r[7]) for r in claimed),
                  key=operator.itemgetter(5, 0))  # within a batch the earliest deadline is the first warning
    points = {r[1] for r in rows}
    area_courier = _area_couriers({r[3] for r in rows if r[2] is None and r[3]})
    customers = {r[4] for r in rows if r[4]}
    ka = set(Customer.objects.filter(pk__in=customers, tier=Customer.Tier.KA).values_list("pk", flat=True)
             ) if customers else set()
    recent = _warned_within_the_hour({r[2] or area_courier.get(r[3]) for r in rows} - {None}, at)
    heads = _heads(points)
    state = ParcelWarning.State.OPEN.value
    warnings, numbers = [], {}
    for wid, point_id, courier_id, area_id, customer_id, deadline, problem_at, waybill_no in rows:
        courier_id = courier_id or area_courier.get(area_id)
        reason = ""
        if problem_at is not None and problem_at <= at:
            reason = ESCALATE_PROBLEM
        elif customer_id in ka:
            reason = ESCALATE_KA
        elif courier_id in recent:
            reason = ESCALATE_REPEAT
        if courier_id:
            recent.add(courier_id)
        head = heads.get((point_id, Department.Kind.SALES if reason == ESCALATE_KA else Department.Kind.OPERATIONS))
        warnings.append(NewWarning(point_id, wid, courier_id, area_id, deadline, at, state, "", reason,
                                   head if reason else None))
        numbers[wid] = waybill_no
    bulk.write_rows(ParcelWarning._meta.db_table, NewWarning._fields, warnings, line=_copy_line(at))
    people = _people(warnings)
    escalated = [w for w in warnings if w.escalation]
    kinds = {(w.escalation, w.escalated_to_id) for w in escalated}
    events.record_escalated(waybill_ids=[w.waybill_id for w in escalated], kinds=kinds, at=at,
                            names={to: str(people[to]) for _, to in kinds if to in people})
    _notify(warnings, numbers, people)
    return len(escalated)


def _aware(value):
    if value is None or isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC)


def _copy_line(at: dt.datetime):
    """A warning of the batch raised at `at` as a line of COPY text: an f-string, a
    third of the time of the generic line. Every value is a number, a time or a
    fixed code: nothing to escape. The batch's time is written once."""
    null, raised_at = "\\N", str(at)

    def line(w: NewWarning) -> str:
        return (f"{w[0]}\t{w[1]}\t{w[2] or null}\t{w[3] or null}\t{w[4]}\t{raised_at}\t{w[6]}\t{w[7]}\t{w[8]}\t"
                f"{w[9] or null}\n")

    return line


def _area_couriers(area_ids: set[int]) -> dict[int, int]:
    result: dict[int, int] = {}
    if not area_ids:
        return result
    rows = Area.couriers.through.objects.filter(area_id__in=area_ids).order_by("area_id", "user_id")
    for area_id, user_id in rows.values_list("area_id", "user_id"):
        result.setdefault(area_id, user_id)
    return result


def _warned_within_the_hour(courier_ids: set[int], at: dt.datetime) -> set[int]:
    """The couriers with a warning raised in the hour up to `at` (this sweep's earlier
    batches included). One probe of the courier's warnings each, not a count of the
    hour's warnings: such a warning's deadline is in that hour or later (a warning is
    raised before its deadline), a range of the (courier, state, deadline) index."""
    if not courier_ids:
        return set()
    since = at - dt.timedelta(hours=1)
    recent = ParcelWarning.objects.filter(
        courier_id=OuterRef("pk"), state__in=ParcelWarning.State.values, deadline__gt=since,
        raised_at__gt=since, raised_at__lte=at,
    )
    return set(User.objects.filter(pk__in=courier_ids).filter(Exists(recent)).values_list("pk", flat=True))


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


def _leads(couriers: list[User]) -> dict[int, User | None]:
    """`supervisor_of` for each courier, asked once per (reports_to, point): its
    answer depends on nothing else, and 40 couriers usually share one or two."""
    asked: dict[tuple[int | None, int | None], User | None] = {}
    result = {}
    for courier in couriers:
        key = (courier.reports_to_id, courier.point_id)
        if key not in asked:
            asked[key] = org_selectors.supervisor_of(courier)
        result[courier.pk] = asked[key]
    return result


def _people(warnings: list[NewWarning]) -> dict[int, User]:
    """The couriers and the people escalated to of a batch, by id (one query)."""
    ids = {w.courier_id for w in warnings if w.courier_id} | {w.escalated_to_id for w in warnings if w.escalated_to_id}
    return {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("reports_to")}


def _notify(warnings: list[NewWarning], numbers: dict[int, str], people: dict[int, User]) -> None:
    """One notice per recipient for the batch: the courier, their supervisor and
    the escalation's head, each counting their distinct parcels (`numbers`: the
    waybill number of each waybill id; `people`: _people's, the leads are added)."""
    courier_ids = {w.courier_id for w in warnings if w.courier_id}
    lead_of: dict[int, int] = {}  # courier id → their supervisor's id
    for courier_id, lead in _leads([people[i] for i in sorted(courier_ids) if i in people]).items():
        if lead is not None:
            people.setdefault(lead.pk, lead)
            lead_of[courier_id] = lead.pk
    by_user: dict[int, dict[int, NewWarning]] = defaultdict(dict)  # user → waybill → warning
    for w in warnings:  # ids only in this loop: it runs once per warning
        courier_id = w.courier_id
        if courier_id in people:
            by_user[courier_id][w.waybill_id] = w
            lead_id = lead_of.get(courier_id)
            if lead_id is not None:
                by_user[lead_id][w.waybill_id] = w
        if w.escalated_to_id:
            by_user[w.escalated_to_id][w.waybill_id] = w
    items = []
    for user_id, theirs in by_user.items():
        user = people.get(user_id)
        if user is None:
            continue
        n = len(theirs)
        items.append((user, {"ref": str(n), "subject": numbers[next(iter(theirs))] if n == 1 else "", "count": n}))
    notify_each(items=items, verb=PARCEL_WARNING, link="/warnings/")
