"""Writing notifications. Channels beyond the in-app inbox come with the
outbox (webhooks, email); callers only ever call `notify`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from kefu.notifications.models import Notification


def notify(*, users: Iterable, verb: str, params: dict | None = None, link: str = "") -> int:
    """Put one notice in each distinct user's inbox. Returns how many were written."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, verb=verb, params=params or {}, link=link))
    Notification.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
