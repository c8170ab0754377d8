"""Ticket endpoints of the API (mounted at /api/ by kefu.api). Each one parses input, finds what it names within the
caller's scope (404 outside it) and calls a ticket service or selector.

Who may do what is kefu/tickets/permissions.py, as on the web pages: CS roles
create, edit, assign and reply; customers create and write on their own
tickets; any other staff who can see a ticket may add an internal note."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kefu.core.schemas import ERRORS, rendered
from kefu.customers import selectors as customer_selectors
from kefu.orgs import selectors as org_selectors
from kefu.orgs.models import User
from kefu.tickets import permissions, selectors, services
from kefu.tickets.models import Category, Channel
from kefu.tickets.schemas import (
    AssignIn,
    MessageOut,
    NoteIn,
    ReplyIn,
    TicketDetailOut,
    TicketFilters,
    TicketIn,
    TicketOut,
    TicketPageOut,
    TicketPatch,
    message_out,
    ticket_out,
)

router = Router(tags=["tickets"])


def _category(user: User, code: str) -> Category:
    """The active category `code` of the user's point, else the shared one."""
    category = selectors.category_for_code(point_id=user.point_id, code=code)
    if category is None:
        raise ValidationError({"category": _("Unknown category: %(code)s") % {"code": code}})
    return category


# Routing (routing.choose_assignee) reads the area's owner first: joined here,
# it costs ticket_create no further query. `get`, not `first`: no ORDER BY to build.


def _customer(user: User, customer_id: int):
    try:
        return (customer_selectors.customers_visible_to(user).select_related("area__owner")
                .get(pk=customer_id))
    except ObjectDoesNotExist:
        raise ValidationError({"customer_id": _("No such customer in your network point.")}) from None


def _area(user: User, area_id: int):
    try:
        return org_selectors.areas_visible_to(user).select_related("owner").get(pk=area_id)
    except ObjectDoesNotExist:
        raise ValidationError({"area_id": _("No such area in your network point.")}) from None


def _origin(user: User, payload: TicketIn) -> dict:
    """Point, channel and customer of a new ticket, by who creates it."""
    if user.is_customer:
        permissions.require(permissions.can_open_as_customer(user))
        return {"point": user.point, "channel": Channel.PORTAL, "customer": user.customer,
                "contact_name": payload.contact_name or str(user),
                "contact_phone": payload.contact_phone or user.phone}
    permissions.require(permissions.can_open_tickets(user) and user.point_id is not None)
    customer = _customer(user, payload.customer_id) if payload.customer_id is not None else None
    return {"point": user.point, "channel": Channel.API, "customer": customer,
            "contact_name": payload.contact_name, "contact_phone": payload.contact_phone}


@router.post("/tickets", response={201: TicketOut, **ERRORS}, summary="Open a ticket")
def create_ticket(request, payload: TicketIn):
    user = request.auth
    origin = _origin(user, payload)
    category = _category(user, payload.category) if payload.category else None
    area = _area(user, payload.area_id) if payload.area_id is not None else None
    try:
        ticket = services.ticket_create(
            actor=user, subject=payload.subject, queue=payload.queue, kind=payload.kind,
            description=payload.description, waybill_no=payload.waybill_no, category=category,
            area=area, platform_message_id=payload.platform_message_id, **origin,
        )
    except IntegrityError:
        # The only unique key a caller controls: one ticket per platform message.
        if not payload.platform_message_id:
            raise
        raise ValidationError(
            {"platform_message_id": _("A ticket for this platform message already exists.")}
        ) from None
    return rendered(ticket_out(ticket), status=201)  # TicketOut's shape, not validated again


@router.get("/tickets", response={200: TicketPageOut, **ERRORS},
            summary="The work queue, one page")
def list_tickets(request, filters: Query[TicketFilters]):
    user = request.auth
    sort = filters.sort or "priority"
    if filters.cursor and (":" in filters.cursor) != (sort == "priority"):
        raise ValidationError({"cursor": _("This cursor belongs to another sort order.")})
    category_id = None
    if filters.category:
        category_id = (int(filters.category) if filters.category.isdigit()
                       else _category(user, filters.category).pk)
    f = selectors.QueueFilters(
        queue=filters.queue, status=filters.status or "open", sla=filters.sla, category=category_id,
        tier=filters.tier, area=filters.area, assignee=filters.assignee, q=filters.q, sort=sort,
    )
    page = selectors.queue_page(user, f, cursor=filters.cursor or None, size=filters.limit)
    return {"items": [ticket_out(t, now=page.now) for t in page.items], "next_cursor": page.next_cursor}


@router.get("/tickets/{ticket_id}", response={200: TicketDetailOut, **ERRORS},
            summary="One ticket with its messages")
def get_ticket(request, ticket_id: int):
    user = request.auth
    ticket = selectors.ticket_access(user, ticket_id)
    timeline = selectors.ticket_timeline(ticket, include_notes=not user.is_customer)
    return {**ticket_out(ticket), "messages": [message_out(m) for m in timeline]}


@router.patch("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="Edit a ticket")
def update_ticket(request, ticket_id: int, payload: TicketPatch):
    user = request.auth
    ticket = selectors.ticket_access(user, ticket_id)
    permissions.require(permissions.can_act(user, "classify"))
    data = payload.model_dump(exclude_unset=True)
    status = data.pop("status", None)
    fields = {}
    for name, value in data.items():
        if name == "category":
            fields["category"] = _category(user, value) if value else None
        elif name == "area_id":
            fields["area"] = _area(user, value) if value is not None else None
        else:
            fields[name] = value
    with transaction.atomic():
        if fields:
            ticket = services.ticket_update(ticket=ticket, actor=user, **fields)
        if status:
            ticket = services.ticket_set_status(ticket=ticket, status=status, actor=user)
    return ticket_out(ticket)


@router.post("/tickets/{ticket_id}/replies", response={201: MessageOut, **ERRORS},
             summary="Reply to the customer (staff) or write on one's ticket (customer)")
def reply(request, ticket_id: int, payload: ReplyIn):
    user = request.auth
    ticket = selectors.ticket_access(user, ticket_id)
    if user.is_customer:
        if payload.status:
            raise ValidationError({"status": _("Only staff can change the status.")})
        message = services.ticket_customer_message(ticket=ticket, actor=user, body=payload.body)
    else:
        permissions.require(permissions.can_act(user, "reply"))
        message = services.ticket_reply(ticket=ticket, actor=user, body=payload.body,
                                        status=payload.status)
    return Status(201, message_out(message, attachments=[]))


@router.post("/tickets/{ticket_id}/notes", response={201: MessageOut, **ERRORS},
             summary="Add an internal note (never shown to the customer)")
def add_note(request, ticket_id: int, payload: NoteIn):
    user = request.auth
    ticket = selectors.ticket_access(user, ticket_id)
    permissions.require(permissions.can_act(user, "note"))
    message = services.ticket_add_note(ticket=ticket, actor=user, body=payload.body)
    return Status(201, message_out(message, attachments=[]))


@router.post("/tickets/{ticket_id}/assign", response={200: TicketOut, **ERRORS},
             summary="Assign to an agent of the point, or unassign with null")
def assign(request, ticket_id: int, payload: AssignIn):
    user = request.auth
    ticket = selectors.ticket_access(user, ticket_id)
    permissions.require(permissions.can_act(user, "assign"))
    assignee = None
    if payload.assignee_id is not None:
        assignee = org_selectors.users_visible_to(user).filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise ValidationError({"assignee_id": _("Choose an agent of this network point.")})
    ticket = services.ticket_assign(ticket=ticket, assignee=assignee, actor=user)
    return ticket_out(ticket)
