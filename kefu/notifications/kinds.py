"""The kinds of notice, each declared by the app it belongs to.

An app lists its notice kinds in its own `notices.py` (found when the apps are
ready, as Django's admin finds `admin.py`), so that notifications — a low layer —
never names what the apps above it send:

    # kefu/tickets/notices.py
    from django.utils.translation import gettext_lazy as _
    from kefu.notifications.kinds import notice_kind

    TICKET_ASSIGNED = notice_kind(
        "ticket_assigned", _("Ticket assigned to you"), _("Ticket %(ref)s was assigned to you: %(subject)s"))

and sends with `notify(users=[...], verb=TICKET_ASSIGNED, params={"ref": ..., "subject": ...})`.
The verb is stored with each notice, and the text is made when the notice is read,
in the reader's language. A new kind needs no migration: `Notification.verb` is
free text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

MAX_VERB_LENGTH = 30  # Notification.verb's column


@dataclass(frozen=True)
class NoticeKind:
    """`label` names the kind (channel settings, a robot post's title); `text` is a
    template over the notice's params (`%(ref)s`, `%(subject)s` and any other key),
    or `render` makes the text from the params itself (plurals, say)."""

    verb: str
    label: str | Promise
    text: str | Promise = "%(ref)s %(subject)s"
    render: Callable[[dict], str] | None = None

    def describe(self, params: dict) -> str:
        """The notice's text in the current language."""
        if self.render is not None:
            return self.render(params)
        return str(self.text) % {"ref": "", "subject": "", **params}


_KINDS: dict[str, NoticeKind] = {}


def notice_kind(verb: str, label: str | Promise, text: str | Promise = "%(ref)s %(subject)s", *,
                render: Callable[[dict], str] | None = None) -> str:
    """Declare a kind of notice; returns its verb, the constant callers send with.
    Declaring the same verb twice with another label is a programming error."""
    if not verb or len(verb) > MAX_VERB_LENGTH:
        raise ValueError(f"a notice verb has 1 to {MAX_VERB_LENGTH} characters: {verb!r}")
    kind = NoticeKind(verb, label, text, render)
    known = _KINDS.get(verb)
    if known is not None and (known.label, known.text) != (kind.label, kind.text):
        raise ValueError(f"the notice kind {verb!r} is declared twice")
    _KINDS[verb] = kind
    return verb


def get(verb: str) -> NoticeKind | None:
    return _KINDS.get(verb)


def verbs() -> list[str]:
    return list(_KINDS)


def choices() -> list[tuple[str, str | Promise]]:
    """(verb, label) of every kind, in the order the apps declared them."""
    return [(k.verb, k.label) for k in _KINDS.values()]


def label(verb: str) -> str:
    kind = _KINDS.get(verb)
    return str(kind.label) if kind is not None else verb


def describe(verb: str, params: dict) -> str:
    """A notice's text in the current language; an unknown verb (its app was removed)
    still reads as its reference and subject."""
    kind = _KINDS.get(verb)
    if kind is None:
        return f"{params.get('ref', '')} {params.get('subject', '')}"
    return kind.describe(params)
