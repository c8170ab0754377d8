from __future__ import annotations

from django.db.models import QuerySet

from kefu.notifications.models import Notification


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
