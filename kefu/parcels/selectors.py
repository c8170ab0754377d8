"""Reads on early warnings. Every lookup goes through `warnings_visible_to`
(scope) and `warning_access` (404 outside it), so IDs cannot be guessed.

Scope by role:
- courier, pickup staff, driver: the warnings routed to them;
- agent: the warnings of the areas they own (区域服务包干);
- supervisor, team lead, owner, director, manager: the whole point;
- department head: the whole point too — escalations (vertical follow-up) go
  to them, and the head needs the rest of the point's warnings to follow a
  courier down the line; those escalated to them are a subset of it;
- customer: none. Never another point's.

Board figures count Asia/Shanghai days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from kefu.core.tz import SHANGHAI
from kefu.orgs.models import FIELD_ROLES, Area, Role, User
from kefu.parcels import permissions
from kefu.parcels.models import ParcelWarning, WarningEvent, Waybill, WaybillMark

State = ParcelWarning.State
OPEN_STATES = (State.OPEN, State.ACKNOWLEDGED)
TREND_DAYS = 14


def _agent_area_ids(user: User) -> list[int]:
    return list(Area.objects.filter(point_id=user.point_id, owner=user).values_list("pk", flat=True))


def warnings_visible_to(user: User) -> QuerySet[ParcelWarning]:
    """The warnings `user` may see; never another point's."""
    qs = ParcelWarning.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.point_id is None:
        return qs if user.is_superuser else qs.none()
    qs = qs.filter(point_id=user.point_id)
    if user.role in permissions.POINT_SCOPE_ROLES:
        return qs
    if user.role in FIELD_ROLES:
        return qs.filter(courier=user)
    if user.role == Role.AGENT:
        return qs.filter(area_id__in=_agent_area_ids(user))
    return qs.none()


def warning_access(user: User, warning_id: int, *, history: bool = False) -> ParcelWarning:
    """The warning `warning_id` if `user` may see it, else 404; `history`: with its
    events (`warning.events.all()`, oldest first, with their actors)."""
    qs = warnings_visible_to(user).select_related("waybill", "waybill__customer", "area", "courier")
    if history:
        qs = qs.prefetch_related(_history())
    try:
        return qs.get(pk=warning_id)
    except (ParcelWarning.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def with_minutes_left(warnings, *, now: dt.datetime) -> list[ParcelWarning]:
    """Sets `minutes_left` (whole minutes to the deadline, negative once past) and
    `minutes_overdue` (0 until the deadline) on each."""
    items = list(warnings)
    for w in items:
        w.minutes_left = int((w.deadline - now).total_seconds() // 60)
        w.minutes_overdue = max(0, -w.minutes_left)
    return items


def open_warnings(user: User, *, now: dt.datetime | None = None) -> list[ParcelWarning]:
    """The open and acknowledged warnings `user` may see, nearest deadline first —
    for a courier, exactly their own — with their history (one more query for all)."""
    qs = (warnings_visible_to(user).filter(state__in=OPEN_STATES)
          .select_related("waybill", "waybill__customer", "area").prefetch_related(_history())
          .order_by("deadline", "pk"))
    return with_minutes_left(qs, now=now or timezone.now())


def _history() -> Prefetch:
    """A warning's events, oldest first, with who acted (one query for all the warnings)."""
    return Prefetch("events", queryset=WarningEvent.objects.select_related("actor"))


# ---- the supervisor's board -------------------------------------------------


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the day after `last`) in Asia/Shanghai."""
    start = dt.datetime.combine(first, dt.time.min, SHANGHAI)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, SHANGHAI)
    return start, end


@dataclass
class Board:
    first: dt.date
    last: dt.date
    open_total: int = 0
    open_by_courier: list[dict] = field(default_factory=list)  # {"courier_id", "name", "open"}
    open_by_area: list[dict] = field(default_factory=list)  # {"area_id", "name", "open"}
    saved: int = 0
    missed_warnings: int = 0
    returned: int = 0  # warnings closed as returned (退回) in range: neither saved nor missed
    saved_rate: float | None = None  # saved / (saved + missed) of warnings closed in range
    missed: int = 0  # waybills missed (超时) in range
    trend: list[dict] = field(default_factory=list)  # {"day", "raised", "saved", "missed"}, oldest first
    on_time: list[dict] = field(default_factory=list)  # {"courier_id", "name", "due", "on_time", "rate", "percent"}

    @property
    def saved_percent(self) -> int | None:
        return None if self.saved_rate is None else round(self.saved_rate * 100)


def _name(display_name: str | None, username: str | None) -> str:
    return display_name or username or ""


def board(user: User, *, first: dt.date, last: dt.date, now: dt.datetime | None = None) -> Board:
    """The warning board of the user's scope for the days first..last (inclusive,
    Asia/Shanghai). A fixed number of queries whatever the size of the point."""
    now = now or timezone.now()
    start, end = day_bounds(first, last)
    warnings = warnings_visible_to(user)
    waybills = _waybills_in_scope(user)
    result = Board(first=first, last=last)
    _open_figures(result, warnings)
    _closed_figures(result, warnings, start, end)
    marks = WaybillMark.objects.filter(waybill__in=waybills)
    result.missed = marks.filter(missed_at__gte=start, missed_at__lt=end).count()
    result.trend = _trend(warnings, marks, last)
    result.on_time = _on_time(waybills, start, min(end, now))
    return result


def _waybills_in_scope(user: User) -> QuerySet[Waybill]:
    if not permissions.can_view_board(user):
        return Waybill.objects.none()
    qs = Waybill.objects.filter(point_id=user.point_id)
    if user.role == Role.AGENT:
        qs = qs.filter(area_id__in=_agent_area_ids(user))
    return qs


def _open_figures(result: Board, warnings: QuerySet[ParcelWarning]) -> None:
    open_qs = warnings.filter(state__in=OPEN_STATES)
    rows = (open_qs.values("courier_id", "courier__display_name", "courier__username")
            .annotate(n=Count("pk")).order_by("-n", "courier_id"))
    result.open_by_courier = [
        {"courier_id": r["courier_id"], "name": _name(r["courier__display_name"], r["courier__username"]),
         "open": r["n"]} for r in rows
    ]
    result.open_total = sum(r["open"] for r in result.open_by_courier)
    rows = open_qs.values("area_id", "area__name").annotate(n=Count("pk")).order_by("-n", "area_id")
    result.open_by_area = [{"area_id": r["area_id"], "name": r["area__name"] or "", "open": r["n"]} for r in rows]


def _closed_figures(result: Board, warnings, start: dt.datetime, end: dt.datetime) -> None:
    figures = warnings.filter(closed_at__gte=start, closed_at__lt=end).aggregate(
        saved=Count("pk", filter=Q(state=State.SAVED)), missed=Count("pk", filter=Q(state=State.MISSED)),
        returned=Count("pk", filter=Q(state=State.RETURNED)),
    )
    result.saved, result.missed_warnings, result.returned = figures["saved"], figures["missed"], figures["returned"]
    closed = result.saved + result.missed_warnings
    result.saved_rate = result.saved / closed if closed else None


def _per_day(qs, column: str, start: dt.datetime, end: dt.datetime) -> dict[dt.date, int]:
    rows = (qs.filter(**{f"{column}__gte": start, f"{column}__lt": end})
            .annotate(day=TruncDate(column, tzinfo=SHANGHAI)).values("day").annotate(n=Count("pk"))
            .order_by("day"))
    return {_as_date(r["day"]): r["n"] for r in rows}


def _as_date(value) -> dt.date:
    # SQLite hands dates back as text.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _trend(warnings, marks, last: dt.date) -> list[dict]:
    """Raised, saved and missed per day for the TREND_DAYS days ending `last`."""
    first = last - dt.timedelta(days=TREND_DAYS - 1)
    start, end = day_bounds(first, last)
    raised = _per_day(warnings, "raised_at", start, end)
    saved = _per_day(warnings.filter(state=State.SAVED), "closed_at", start, end)
    missed = _per_day(marks, "missed_at", start, end)
    days = [first + dt.timedelta(days=i) for i in range(TREND_DAYS)]
    return [{"day": d, "raised": raised.get(d, 0), "saved": saved.get(d, 0), "missed": missed.get(d, 0)}
            for d in days]


def _on_time(waybills, start: dt.datetime, until: dt.datetime) -> list[dict]:
    """Per courier: waybills whose deadline fell in [start, until) (so has passed),
    and how many of them were signed off at or before it."""
    if until <= start:
        return []
    rows = (waybills.filter(deadline__gte=start, deadline__lt=until)
            .values("courier_id", "courier__display_name", "courier__username")
            .annotate(due=Count("pk"), on_time=Count("pk", filter=Q(signed_at__lte=F("deadline"))))
            .order_by("courier_id"))
    result = [
        {"courier_id": r["courier_id"], "name": _name(r["courier__display_name"], r["courier__username"]),
         "due": r["due"], "on_time": r["on_time"], "rate": r["on_time"] / r["due"], "percent": round(100 * r["on_time"] / r["due"])}
        for r in rows
    ]
    result.sort(key=lambda r: (r["rate"], r["courier_id"] or 0))
    return result
