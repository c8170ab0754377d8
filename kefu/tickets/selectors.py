"""Reads on tickets. Every lookup goes through `tickets_visible_to` (scope) and
`ticket_access` (404 for anything outside it), so IDs cannot be guessed."""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kefu.core.ttlcache import MISSING, TTLCache
from kefu.customers.models import Customer
from kefu.orgs.models import Area, Role, User
from kefu.orgs.selectors import team_member_ids
from kefu.tickets import loads, sla
from kefu.tickets.lookups import RowCompare
from kefu.tickets.models import Attachment, Category, Event, FollowUp, Message, Status, Ticket

PAGE_SIZE = 50
# `is_open IN (true)` rather than `is_open = true`: Django writes the latter as a bare
# `WHERE is_open`, which SQLite cannot use as an index constraint — at a million
# tickets that is a full scan of the point instead of a range of its open tickets.
OPEN = Q(is_open__in=[True])
_WAYBILL = re.compile(r"^[A-Za-z]{0,4}\d{8,20}$")
_PHONE = re.compile(r"^\+?\d[\d\- ]{5,15}$")


# Active categories by code, per point, kept for a minute like the SLA policies:
# every API creation names one, and they change rarely (the admin clears this).
CATEGORY_CACHE_SECONDS = 60.0
_categories = TTLCache(CATEGORY_CACHE_SECONDS)


def category_for_code(*, point_id: int | None, code: str) -> Category | None:
    """The active category `code` of the point, else the shared one; None if
    neither. A copy of the cached row: the caller may keep it."""
    by_code = _categories.get(point_id)
    if by_code is MISSING:
        generation = _categories.generation
        rows = Category.objects.filter(Q(point_id=point_id) | Q(point__isnull=True), active=True)
        # Shared first, so that the point's own category of the same code wins.
        by_code = {c.code: c for c in sorted(rows, key=lambda c: c.point_id is not None)}
        _categories.put(point_id, by_code, generation=generation)
    category = by_code.get(code)
    return copy.copy(category) if category is not None else None


def clear_category_cache() -> None:
    _categories.clear()


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """The tickets `user` may see; never another point's."""
    qs = Ticket.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.point_id is None:
        return qs if user.is_superuser else qs.none()
    qs = qs.filter(point_id=user.point_id)
    role = user.role
    if role in (Role.OWNER, Role.DIRECTOR, Role.MANAGER):
        return qs
    if role == Role.CUSTOMER:
        return qs.filter(customer_id=user.customer_id) if user.customer_id else qs.none()
    # The sets below are small (a team, an agent's areas and named customers):
    # resolving them first keeps the ticket filter on indexed columns, no joins.
    if role in (Role.SUPERVISOR, Role.TEAM_LEAD):
        team = team_member_ids(user)
        areas = _ids(Area.objects.filter(point_id=user.point_id, owner_id__in=team))
        return qs.filter(
            Q(assignee_id__in=team) | Q(area_id__in=areas) | Q(assignee__isnull=True)
            | Q(escalated_to=user) | Q(pk__in=_followup_ticket_ids(user))
        )
    if role == Role.AGENT:
        areas = _ids(Area.objects.filter(point_id=user.point_id, owner=user))
        customers = _ids(Customer.objects.filter(point_id=user.point_id, named_agent=user))
        return qs.filter(Q(assignee=user) | Q(area_id__in=areas) | Q(customer_id__in=customers))
    if role in (Role.COURIER, Role.PICKUP, Role.DRIVER):
        areas = _ids(user.courier_areas.filter(point_id=user.point_id))
        return qs.filter(Q(courier=user) | Q(area_id__in=areas))
    if role == Role.DEPT_HEAD:
        return qs.filter(pk__in=_followup_ticket_ids(user))
    return qs.none()


def _ids(qs) -> list[int]:
    return list(qs.values_list("pk", flat=True))


def _followup_ticket_ids(user: User) -> list[int]:
    return list(FollowUp.objects.filter(assigned_to=user).values_list("ticket_id", flat=True))


def agents_by_open_load(*, point_id: int, queue: str, limit: int | None = None) -> list[User]:
    """Agents of `queue` (or of both queues) on shift, fewest open tickets first
    (ties: lowest id), each with `load`. Who is on shift is read now; the loads
    come from `loads.open_loads` (a few seconds old at most, plus this process's
    own routings since)."""
    agents = list(User.objects.filter(
        Q(queue=queue) | Q(queue=""), point_id=point_id, is_active=True, on_shift=True, role=Role.AGENT,
    ).order_by())
    counts = loads.open_loads(point_id=point_id, agent_ids=[a.pk for a in agents])
    for agent in agents:
        agent.load = counts[agent.pk]
    agents.sort(key=lambda a: (a.load, a.pk))
    return agents[:limit] if limit is not None else agents


def least_loaded_agent(*, point_id: int, queue: str) -> User | None:
    agents = agents_by_open_load(point_id=point_id, queue=queue, limit=1)
    return agents[0] if agents else None


def ticket_access(user: User, ticket_id: int, *, for_update: bool = False) -> Ticket:
    qs = tickets_visible_to(user).select_related(
        "point", "customer", "category", "area", "assignee", "courier", "escalated_to", "merged_into"
    )
    try:
        return qs.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def attachment_access(user: User, attachment_id: int) -> Attachment:
    """An attachment is visible exactly when its ticket is; customers never see
    the evidence of an internal note."""
    qs = Attachment.objects.filter(ticket__in=tickets_visible_to(user))
    if user.is_customer:
        qs = qs.exclude(message__kind=Message.Kind.NOTE)
    try:
        return qs.get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None


@dataclass
class QueueFilters:
    queue: str = ""
    status: str = "open"  # "open", "all" or one Status value
    sla: str = ""
    category: int | None = None
    tier: str = ""
    area: int | None = None
    assignee: str = ""  # "", "me", "none" or a user id
    q: str = ""
    sort: str = "priority"  # "priority" (work order) or "newest"


@dataclass
class Page:
    items: list[Ticket]
    next_cursor: str | None
    filters: QueueFilters
    now: dt.datetime = field(default_factory=timezone.now)


def queue_queryset(user: User, f: QueueFilters, *, now: dt.datetime,
                   visible: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """`visible`: `tickets_visible_to(user)` if the caller already has it (its
    scope costs a few queries; a page needs it once)."""
    qs = tickets_visible_to(user) if visible is None else visible
    if f.status == "open":
        qs = qs.filter(OPEN)
    elif f.status and f.status != "all":
        qs = qs.filter(status=f.status)
    if f.queue:
        qs = qs.filter(queue=f.queue)
    if f.sla:
        qs = qs.filter(sla.state_q(f.sla, now))
    if f.category:
        qs = qs.filter(category_id=f.category)
    if f.tier:
        qs = qs.filter(customer__tier=f.tier)
    if f.area:
        qs = qs.filter(area_id=f.area)
    if f.assignee == "me":
        qs = qs.filter(assignee=user)
    elif f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee.isdigit():
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.q.strip():
        qs = qs.filter(_search_q(f.q.strip()))
    return qs


def _search_q(text: str) -> Q:
    """A waybill number or a phone number hits an index; anything else is a text search.
    All digits (13800002222) may be either, so both indexes are asked."""
    compact = text.replace(" ", "")
    q = Q()
    if _WAYBILL.match(compact):
        q |= Q(waybill_no=compact.upper())
    if _PHONE.match(text):
        q |= Q(contact_phone=re.sub(r"[\s\-]", "", text))
    return q or (Q(subject__icontains=text) | Q(description__icontains=text))


# Each sort order: the keyset (the ORDER BY columns, all in one direction, the last
# one unique) and whether it ascends. The cursor is the last row's keyset values
# joined by ":" ("3:1234" in work order, "1234" newest first).
SORTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "priority": (("priority", "id"), True),  # work order: most urgent, then oldest
    "newest": (("id",), False),
}

# What a queue row shows, on the page (templatetags `queue_rows`) and in the API's
# list (kefu/tickets/schemas.py `ticket_out`): a page of 50 rows then builds five small
# models per row instead of five whole ones. Reading any other field of a row costs
# one query per row (the page's query-count test catches that).
QUEUE_ROW_FIELDS = (
    "id", "point", "waybill_no", "customer", "contact_name", "channel", "kind", "category",
    "queue", "priority", "area", "assignee", "status", "is_open", "subject", "description",
    "created_at", "first_response_due", "first_response_warn_at", "resolution_due", "resolution_warn_at",
    "first_responded_at",
    "category__code", "category__name", "category__name_en",
    "customer__name", "customer__tier",
    "assignee__username", "assignee__display_name",
)


def parse_cursor(cursor: str | None, sort: str) -> tuple[int, ...] | None:
    """The keyset values of a cursor of `sort`, or None if it is not one."""
    if not cursor:
        return None
    keys, _ascending = SORTS[sort]
    parts = cursor.split(":")
    if len(parts) != len(keys) or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def queue_page(user: User, f: QueueFilters, *, cursor: str | None = None, size: int = PAGE_SIZE,
               visible: QuerySet[Ticket] | None = None) -> Page:
    """One page of the queue by keyset pagination: the cost of page 1,000 is the
    cost of page 1. Work order is (priority, oldest first); "newest" is id desc.
    The cursor is a row-value bound, `(priority, id) > (p, i)`, which the database
    uses as where to start in the queue index rather than as a filter."""
    now = timezone.now()
    sort = f.sort if f.sort in SORTS else "priority"
    keys, ascending = SORTS[sort]
    qs = (queue_queryset(user, f, now=now, visible=visible)
          .select_related("category", "assignee", "customer")
          .only(*QUEUE_ROW_FIELDS)
          .order_by(*(k if ascending else f"-{k}" for k in keys)))
    after = parse_cursor(cursor, sort)
    if after is not None:
        qs = qs.filter(RowCompare(keys, ">" if ascending else "<", after))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    for t in rows:
        t.sla_state = sla.state_of(t, now)
    next_cursor = None
    if more and rows:
        next_cursor = ":".join(str(getattr(rows[-1], k)) for k in keys)
    return Page(items=rows, next_cursor=next_cursor, filters=f, now=now)


def ticket_timeline(ticket: Ticket, *, include_notes: bool) -> list[Message]:
    qs = Message.objects.filter(ticket=ticket).select_related("author").prefetch_related("attachments")
    if not include_notes:
        qs = qs.exclude(kind=Message.Kind.NOTE)
    return list(qs)


def ticket_events(ticket: Ticket) -> list[Event]:
    return list(Event.objects.filter(ticket=ticket).select_related("actor"))


def ticket_followups(ticket: Ticket) -> list[FollowUp]:
    return list(FollowUp.objects.filter(ticket=ticket).select_related("assigned_to", "requested_by"))


def duplicates_of(ticket: Ticket, user: User) -> QuerySet[Ticket]:
    """Other open tickets about the same waybill (candidates for a merge)."""
    if not ticket.waybill_no:
        return Ticket.objects.none()
    return (
        tickets_visible_to(user)
        .filter(waybill_no=ticket.waybill_no, merged_into__isnull=True)
        .exclude(pk=ticket.pk)
        .order_by("pk")
    )


def open_count_by_status(user: User, *, visible: QuerySet[Ticket] | None = None) -> dict[str, int]:
    """Open tickets in `user`'s scope by status, every open status present.
    Counted on the open-ticket index `ticket_open_scope` alone (no table rows read)."""
    from django.db.models import Count

    qs = tickets_visible_to(user) if visible is None else visible
    # A bare `WHERE is_open` (not OPEN's `IN (true)`): SQLite uses a partial index only
    # when the query repeats the index's condition word for word.
    rows = qs.filter(is_open=True).order_by().values("status").annotate(n=Count("pk"))
    counts = {s: 0 for s in Ticket.OPEN_STATUSES}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


__all__ = ["Status"]
