"""Reads about organisations and people, always scoped to what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kefu.orgs.models import Area, Role, User

_MAX_TEAM_DEPTH = 5  # 组员 → 组长 → 主管 → 经理 → 总监


def team_member_ids(lead: User) -> set[int]:
    """IDs of everyone who reports to `lead`, directly or through their leads.

    The lead themself is included. Bounded by the depth of the ladder.
    """
    ids = {lead.pk}
    frontier = {lead.pk}
    for _ in range(_MAX_TEAM_DEPTH):
        frontier = set(
            User.objects.filter(reports_to_id__in=frontier, point_id=lead.point_id)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if not frontier:
            break
        ids |= frontier
    return ids


def users_visible_to(user: User) -> QuerySet[User]:
    """Staff of the user's own point (customers see only their named agent)."""
    if user.is_superuser and user.point_id is None:
        return User.objects.all()
    if user.is_customer:
        customer = user.customer
        agent_id = customer.named_agent_id if customer else None
        return User.objects.filter(pk=agent_id)
    return User.objects.filter(point_id=user.point_id)


def agents_of_point(point_id: int) -> QuerySet[User]:
    return User.objects.filter(
        point_id=point_id, is_active=True, role__in=[Role.AGENT, Role.TEAM_LEAD, Role.SUPERVISOR]
    )


def areas_visible_to(user: User) -> QuerySet[Area]:
    if user.point_id is None:
        return Area.objects.all() if user.is_superuser else Area.objects.none()
    if user.is_customer:
        return Area.objects.none()
    return Area.objects.filter(point_id=user.point_id)


def area_access(user: User, area_id: int) -> Area:
    try:
        return areas_visible_to(user).get(pk=area_id)
    except Area.DoesNotExist:
        raise Http404 from None


def user_access(user: User, other_id: int) -> User:
    try:
        return users_visible_to(user).get(pk=other_id)
    except User.DoesNotExist:
        raise Http404 from None


def supervisor_of(user: User) -> User | None:
    """The nearest lead above `user` (team lead or supervisor), else a point manager."""
    current = user.reports_to
    for _ in range(_MAX_TEAM_DEPTH):
        if current is None:
            break
        if current.role in (Role.SUPERVISOR, Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR):
            return current
        current = current.reports_to
    return (
        User.objects.filter(point_id=user.point_id, role=Role.SUPERVISOR, is_active=True)
        .order_by("pk")
        .first()
    )
