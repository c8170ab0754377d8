from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from kefu.notifications.models import Channel, Notification


def inbox(user, *, limit: int = 50) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)[:limit]


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def describe(n: Notification) -> str:
    """The notice in the reader's language."""
    from django.utils.translation import gettext as _

    ref = n.params.get("ref", "")
    subject = n.params.get("subject", "")
    texts = {
        Notification.Verb.TICKET_ASSIGNED: _("Ticket %(ref)s was assigned to you: %(subject)s"),
        Notification.Verb.SLA_WARNING: _("Ticket %(ref)s is due soon: %(subject)s"),
        Notification.Verb.SLA_BREACH: _("Ticket %(ref)s has breached its SLA: %(subject)s"),
        Notification.Verb.ESCALATED: _("Ticket %(ref)s was escalated to you: %(subject)s"),
        Notification.Verb.FOLLOWUP: _("Please follow up ticket %(ref)s: %(subject)s"),
        Notification.Verb.CUSTOMER_MESSAGE: _("The customer wrote on ticket %(ref)s: %(subject)s"),
        Notification.Verb.IMPORT_DONE: _("Import %(ref)s finished: %(subject)s"),
    }
    if n.verb == Notification.Verb.PARCEL_WARNING:
        from django.utils.translation import ngettext

        count = int(n.params.get("count", 1))
        return ngettext(
            "%(count)s parcel is near its sign-off deadline: %(subject)s",
            "%(count)s parcels are near their sign-off deadline",
            count,
        ) % {"count": count, "subject": subject}
    template = texts.get(n.verb, "%(ref)s %(subject)s")
    return template % {"ref": ref, "subject": subject}


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
