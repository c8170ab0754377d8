"""The in-app inbox. Every notice is rendered at read time in the reader's
language from its verb and parameters (never a stored translated string)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Verb(models.TextChoices):
        TICKET_ASSIGNED = "ticket_assigned", _("Ticket assigned to you")
        SLA_WARNING = "sla_warning", _("SLA due soon")
        SLA_BREACH = "sla_breach", _("SLA breached")
        ESCALATED = "escalated", _("Ticket escalated to you")
        FOLLOWUP = "followup", _("Vertical follow-up requested")
        CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
        IMPORT_DONE = "import_done", _("Import finished")
        PARCEL_WARNING = "parcel_warning", _("Parcels near their sign-off deadline")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    verb = models.CharField(max_length=30, choices=Verb.choices)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
