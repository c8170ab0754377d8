from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from kefu.notifications import kinds
from kefu.notifications.models import Channel, Notification


def inbox(user, *, limit: int = 50) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)[:limit]


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def describe(n: Notification) -> str:
    """The notice in the reader's language."""
    return kinds.describe(n.verb, n.params)


def can_manage_point_channels(user) -> bool:
    """Owners, directors and managers set up their point's group robots."""
    return user.point_id is not None and user.is_point_wide


def channels_of(user) -> QuerySet[Channel]:
    """The user's own channels and, for those who manage them, their point's."""
    scope = Q(user=user)
    if can_manage_point_channels(user):
        scope |= Q(point_id=user.point_id)
    return Channel.objects.filter(scope).order_by("pk")


def channel_access(user, pk: int) -> Channel:
    """A channel the user may change, or 404 (never tells whether it exists)."""
    return get_object_or_404(channels_of(user), pk=pk)
