"""The notices tickets send (kefu.notifications.kinds). Params: ref (the ticket's
reference) and subject."""

from django.utils.translation import gettext_lazy as _

from kefu.notifications.kinds import notice_kind

TICKET_ASSIGNED = notice_kind(
    "ticket_assigned", _("Ticket assigned to you"), _("Ticket %(ref)s was assigned to you: %(subject)s"))
SLA_WARNING = notice_kind("sla_warning", _("SLA due soon"), _("Ticket %(ref)s is due soon: %(subject)s"))
SLA_BREACH = notice_kind(
    "sla_breach", _("SLA breached"), _("Ticket %(ref)s has breached its SLA: %(subject)s"))
ESCALATED = notice_kind(
    "escalated", _("Ticket escalated to you"), _("Ticket %(ref)s was escalated to you: %(subject)s"))
FOLLOWUP = notice_kind(
    "followup", _("Vertical follow-up requested"), _("Please follow up ticket %(ref)s: %(subject)s"))
CUSTOMER_MESSAGE = notice_kind(
    "customer_message", _("Customer wrote"), _("The customer wrote on ticket %(ref)s: %(subject)s"))
