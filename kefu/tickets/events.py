"""Audit rows for tickets: every state change writes one (Saleor's order events)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kefu.tickets.models import Event, Ticket


def record(
    *, ticket: Ticket, verb: str, actor=None, at: dt.datetime | None = None, **data
) -> Event:
    return Event.objects.create(
        ticket=ticket, actor=actor, verb=verb, data=data, created_at=at or timezone.now()
    )


def describe(event: Event) -> str:
    """One line in the reader's language."""
    from django.utils.translation import gettext as _

    d = event.data
    if event.verb == Event.Verb.ASSIGNED:
        return _("assigned to %(name)s (%(reason)s)") % {
            "name": d.get("assignee_name") or _("nobody"),
            "reason": _reason_label(d.get("reason", "")),
        }
    if event.verb == Event.Verb.STATUS:
        from kefu.tickets.models import Status

        labels = dict(Status.choices)
        return _("status %(old)s → %(new)s") % {
            "old": labels.get(d.get("old"), d.get("old")),
            "new": labels.get(d.get("new"), d.get("new")),
        }
    if event.verb == Event.Verb.MERGED:
        if "into" in d:
            return _("merged into %(ref)s") % {"ref": d["into"]}
        return _("absorbed %(ref)s") % {"ref": d.get("from", "")}
    if event.verb == Event.Verb.RATED:
        return _("rated %(score)s/5") % {"score": d.get("score")}
    if event.verb == Event.Verb.UPDATED:
        names = [str(Ticket._meta.get_field(f).verbose_name) if _is_field(f) else f for f in d.get("fields", [])]
        return _("changed %(fields)s") % {"fields": "、".join(names)}
    return str(Event.Verb(event.verb).label) if event.verb in Event.Verb.values else event.verb


def _is_field(name: str) -> bool:
    try:
        Ticket._meta.get_field(name)
    except Exception:
        return False
    return True


def _reason_label(reason: str) -> str:
    from django.utils.translation import gettext as _

    return {
        "area_owner": _("area owner"),
        "named_agent": _("named agent"),
        "least_loaded": _("least-loaded agent on shift"),
        "manual": _("manual"),
        "escalation": _("escalation"),
        "unassigned": _("no agent available"),
    }.get(reason, reason)
