"""Writes on early warnings (预警): the courier acknowledges, or reports why the
parcel cannot be signed off in time — and CS, not the courier, takes it from
there (seed 002: CS calls the sender for a new phone number or agrees the
upstairs fee while the driver keeps delivering).

Every transition locks the warning row, so a double tap on a phone or a CS
agent acting at the same moment never opens two tickets, and writes its event
(events.py) in its transaction; a tap that changes nothing writes nothing.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.tz import SHANGHAI
from kefu.orgs.models import Queue, User
from kefu.parcels import events, permissions
from kefu.parcels.models import ParcelWarning, WarningEvent
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Category, Channel, Kind, Ticket

logger = logging.getLogger(__name__)
Reason = ParcelWarning.Reason
State = ParcelWarning.State

# The ticket category each reason files under (codes of kefu/tickets/taxonomy.py).
REASON_CATEGORY = {
    Reason.UNREACHABLE: "unreachable",
    Reason.BAD_ADDRESS: "bad_address",
    Reason.REFUSED: "refused",
    Reason.UPSTAIRS: "upstairs",
    Reason.RESCHEDULE: "delay",
}


def _cs_hint(reason: str) -> str:
    """What CS should do for each reason (seed 002)."""
    hints = {
        Reason.UNREACHABLE: _("Call the sender for a new phone number of the recipient and pass it to the courier."),
        Reason.BAD_ADDRESS: _("Call the sender for the correct address or phone number and pass it to the courier."),
        Reason.REFUSED: _("Call the sender about the refusal: return the parcel or deliver again."),
        Reason.UPSTAIRS: _("Call the sender to agree the upstairs fee, then tell the courier."),
        Reason.RESCHEDULE: _("Confirm the new appointment with the recipient and tell the sender."),
    }
    return hints[reason]


def _lock(warning: ParcelWarning) -> ParcelWarning:
    return (ParcelWarning.objects.select_for_update(of=("self",))
            .select_related("waybill", "waybill__customer", "waybill__area", "courier")
            .get(pk=warning.pk))


def _check_open(warning: ParcelWarning) -> None:
    if warning.state not in (State.OPEN, State.ACKNOWLEDGED):
        raise ValidationError(_("This warning is already closed."))


@transaction.atomic
def warning_acknowledge(*, warning: ParcelWarning, actor: User) -> ParcelWarning:
    """The courier has seen the warning (收到): open → acknowledged. Acknowledging
    twice changes nothing."""
    warning = _lock(warning)
    permissions.check_act_on(actor, warning)
    _check_open(warning)
    if warning.state == State.OPEN:
        warning.state = State.ACKNOWLEDGED
        warning.acknowledged_at = timezone.now()
        warning.save(update_fields=["state", "acknowledged_at"])
        events.record(warning=warning, verb=WarningEvent.Verb.ACKNOWLEDGED, actor=actor, at=warning.acknowledged_at)
        logger.info("parcel warning acknowledged warning=%s actor=%s", warning.pk, actor.pk)
    return warning


@transaction.atomic
def warning_report(*, warning: ParcelWarning, actor: User, reason: str) -> ParcelWarning:
    """Record why the parcel is at risk and hand it to the arrival queue: one
    ticket per warning, with the waybill attached. Reporting acknowledges an
    open warning; a second report changes the reason and notes it on the same
    ticket instead of opening another; its event keeps the previous reason.
    Reporting the same reason again changes nothing."""
    if reason not in Reason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    warning = _lock(warning)
    permissions.check_act_on(actor, warning)
    _check_open(warning)
    previous = warning.reason
    if previous == reason and warning.ticket_id is not None:
        return warning
    now = timezone.now()
    warning.reason = reason
    fields = ["reason"]
    acknowledged = warning.state == State.OPEN
    if acknowledged:
        warning.state = State.ACKNOWLEDGED
        warning.acknowledged_at = now
        fields += ["state", "acknowledged_at"]
    if warning.ticket_id is None:
        warning.ticket_id = _open_ticket(warning, actor=actor, reason=reason).pk
        fields.append("ticket_id")
    else:
        _note_new_reason(warning, actor=actor, reason=reason)
    warning.save(update_fields=fields)
    events.record(warning=warning, verb=WarningEvent.Verb.REPORTED, actor=actor, at=now, reason=reason,
                  previous=previous, ticket=warning.ticket_id, acknowledged=acknowledged)
    logger.info("parcel warning reported warning=%s reason=%s ticket=%s actor=%s",
                warning.pk, reason, warning.ticket_id, actor.pk)
    return warning


def _category(point_id: int, code: str) -> Category | None:
    # The point's own category of that code wins over the shared default.
    return (Category.objects.filter(Q(point_id=point_id) | Q(point__isnull=True), code=code, active=True)
            .order_by("point_id").first() if code else None)


def _open_ticket(warning: ParcelWarning, *, actor: User, reason: str):
    waybill = warning.waybill
    label = Reason(reason).label
    deadline = timezone.localtime(warning.deadline, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    courier = warning.courier
    description = "\n".join([
        _("Sign-off deadline: %(deadline)s.") % {"deadline": deadline},
        _("Reported by %(person)s: %(reason)s.") % {"person": actor, "reason": label},
        _cs_hint(reason),
    ])
    ticket = ticket_services.ticket_create(
        point=warning.point, actor=actor, queue=Queue.ARRIVAL, channel=Channel.WEB,
        kind=Kind.FEEDBACK if reason == Reason.REFUSED else Kind.INQUIRY,
        subject=_("Parcel %(waybill)s: %(reason)s") % {"waybill": waybill.waybill_no, "reason": label},
        description=description, waybill_no=waybill.waybill_no, customer=waybill.customer,
        area=waybill.area, category=_category(warning.point_id, REASON_CATEGORY[reason]),
    )
    if courier is not None:
        # The courier follows the ticket too (tickets_visible_to shows a courier their tickets).
        ticket_services.ticket_update(ticket=ticket, actor=actor, courier=courier)
    return ticket


def _note_new_reason(warning: ParcelWarning, *, actor: User, reason: str) -> None:
    ticket = Ticket.objects.filter(pk=warning.ticket_id).first()
    if ticket is None:  # deleted or merged away: the warning keeps its new reason anyway
        return
    body = "\n".join([
        _("New reason from %(person)s: %(reason)s.") % {"person": actor, "reason": Reason(reason).label},
        _cs_hint(reason),
    ])
    ticket_services.ticket_add_note(ticket=ticket, actor=actor, body=body)
