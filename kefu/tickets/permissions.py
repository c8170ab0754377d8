"""Who may do what with tickets: one place, read by the web pages, the API and the
services alike. *Which* tickets a user sees is scope, in `selectors.tickets_visible_to`
(404 outside it); these rules say what a user may *do* with one they see.

- CS staff (owner, director, manager, supervisor, team lead, agent) open tickets,
  work the queue and take every action on a ticket of their point;
- other staff of the point (couriers, pickup staff, drivers, department heads) add
  internal notes and complete the follow-ups assigned to them;
- a customer's contact opens tickets through the portal, writes on and rates their
  own customer's tickets;
- the system (no actor: sweeps, imports, the demo's replay) may do anything.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from kefu.orgs.models import CS_ROLES, FIELD_ROLES, User

# What a ticket's page (and the API) offers, by who is looking.
STAFF_ACTIONS = frozenset({
    "reply", "note", "assign", "status", "resolve", "reopen", "escalate", "followup", "merge", "classify",
    "followup_done",
})
FIELD_ACTIONS = frozenset({"note", "followup_done"})
CUSTOMER_ACTIONS = frozenset({"message", "rate"})


def is_cs(user: User) -> bool:
    """CS staff: the queue's tools, bulk edits and every action on a ticket."""
    return user.role in CS_ROLES


def is_customer_contact(user: User) -> bool:
    return user.is_customer


def can_use_queue(user: User) -> bool:
    """Staff work from the queue; a customer's contact has the portal instead."""
    return not user.is_customer


def can_open_tickets(user: User) -> bool:
    """CS staff open tickets by hand (the web form, the API, platform-message imports)."""
    return user.role in CS_ROLES


def can_open_as_customer(user: User) -> bool:
    """A customer's contact opens tickets for their own customer (portal, API)."""
    return user.is_customer and user.customer_id is not None and user.point_id is not None


def can_import_messages(user: User) -> bool:
    return user.role in CS_ROLES and user.point_id is not None


def actions_for(user: User) -> frozenset[str]:
    """The actions `user` may take on a ticket they can see."""
    if user.is_customer:
        return CUSTOMER_ACTIONS
    if user.role in CS_ROLES:
        return STAFF_ACTIONS
    return FIELD_ACTIONS


def can_act(user: User, action: str) -> bool:
    return action in actions_for(user)


def require(allowed: bool) -> None:
    """Raise PermissionDenied unless `allowed` (the caller answers 403)."""
    if not allowed:
        raise PermissionDenied


def _platform_admin(user: User) -> bool:
    return user.is_superuser and user.point_id is None


def check_action(actor: User | None, action: str, ticket) -> None:
    """For services: `actor` may take `action` on `ticket` (None is the system).
    Staff only act on their own point's tickets; a contact only on their customer's."""
    if actor is None or _platform_admin(actor):
        return
    if actor.point_id != ticket.point_id or not can_act(actor, action):
        raise PermissionDenied
    if actor.is_customer and ticket.customer_id != actor.customer_id:
        raise PermissionDenied


def check_create(actor: User | None, *, point, customer=None) -> None:
    """For `ticket_create`: the system, staff of the point (CS by hand; a courier
    reporting a warning), or a contact for their own customer."""
    if actor is None or _platform_admin(actor):
        return
    if actor.point_id != point.pk:
        raise PermissionDenied
    if actor.is_customer and (customer is None or customer.pk != actor.customer_id):
        raise PermissionDenied


def check_attach(actor: User | None, ticket) -> None:
    """For evidence: whoever may write on the ticket — its staff (a note) or its
    customer's contact (a message)."""
    check_action(actor, "message" if actor is not None and actor.is_customer else "note", ticket)


def check_update(actor: User | None, ticket, fields: dict) -> None:
    """For `ticket_update`: CS staff change the classification; a courier only makes
    themself the ticket's courier (they follow the ticket of a warning they reported)."""
    if actor is not None and actor.role in FIELD_ROLES and set(fields) == {"courier"} \
            and fields["courier"] is not None and fields["courier"].pk == actor.pk:
        if actor.point_id != ticket.point_id:
            raise PermissionDenied
        return
    check_action(actor, "classify", ticket)


def check_followup_done(actor: User | None, followup) -> None:
    """CS staff, or the person the follow-up was assigned to."""
    check_action(actor, "followup_done", followup.ticket)
    if actor is not None and actor.role not in CS_ROLES and not _platform_admin(actor) \
            and followup.assigned_to_id != actor.pk:
        raise PermissionDenied
