"""Tickets (问题件 / 工单 / 留言): the CS desk's unit of work.

State machine (README.md in this folder):

    new ─► open ─► waiting_customer ─► open …
                 └► waiting_internal (courier / department) ─► open …
    any open state ─► resolved ─► closed
    resolved / closed ─► reopened ─► (as open)
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Customer
from kefu.orgs.models import Area, Department, NetworkPoint, Queue


class Category(models.Model):
    """A node of the category taxonomy (SPEC.md). `point` empty = shared default."""

    class Group(models.TextChoices):
        ECOMMERCE = "ecommerce", _("E-commerce")
        EXPRESS = "express", _("Express and freight")

    point = models.ForeignKey(
        NetworkPoint, on_delete=models.CASCADE, null=True, blank=True, related_name="categories"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    # An urgent category raises a ticket's priority by one step (e.g. 丢件, 虚假签收).
    urgent = models.BooleanField(_("urgent"), default=False)
    department_kind = models.CharField(
        _("responsible department"), max_length=20, choices=Department.Kind.choices, blank=True
    )
    sort = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["point", "code"], name="category_code_per_point"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(point__isnull=True), name="category_code_shared"
            ),
        ]

    def __str__(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class SLAPolicy(models.Model):
    """Targets in business minutes. The most specific active policy wins:
    point, queue, category and tier each add specificity when they match."""

    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    queue = models.CharField(_("queue"), max_length=20, choices=Queue.choices, blank=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Customer.Tier.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))
    warn_before_minutes = models.PositiveIntegerField(_("warn before breach (minutes)"), default=30)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("REST API")
    PORTAL = "portal", _("Customer portal")
    IMPORT = "import", _("Platform message import")
    PHONE = "phone", _("Phone")


class Kind(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    FEEDBACK = "feedback", _("Feedback")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_INTERNAL = "waiting_internal", _("Waiting on courier or department")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class SLAState(models.TextChoices):
    OK = "ok", _("On track")
    WARNING = "warning", _("Due soon")
    BREACHED = "breached", _("Breached")


class Ticket(models.Model):
    OPEN_STATUSES = (
        Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL, Status.REOPENED,
    )

    # point, customer and assignee lead composite indexes (Meta.indexes), which serve a lookup
    # by the column alone: an index of their own would only cost every insert.
    point = models.ForeignKey(NetworkPoint, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    waybill_no = models.CharField(_("waybill number"), max_length=40, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", db_index=False
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("phone"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INQUIRY)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("category")
    )
    queue = models.CharField(_("queue"), max_length=20, choices=Queue.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_tickets", verbose_name=_("assignee"), db_index=False,
    )
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="courier_tickets", verbose_name=_("courier"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    # Denormalised from status so the work queue is one index range scan.
    is_open = models.BooleanField(default=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    platform_message_id = models.CharField(_("platform message ID"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    sla_policy = models.ForeignKey(SLAPolicy, on_delete=models.SET_NULL, null=True, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set once by the SLA sweep (conditional UPDATE) so each notice goes out once.
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)

    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    satisfaction_comment = models.CharField(max_length=500, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["point", "is_open", "priority", "id"], name="ticket_queue"),
            models.Index(fields=["point", "priority", "id"], name="ticket_queue_all"),
            models.Index(fields=["point", "-id"], name="ticket_newest"),
            models.Index(fields=["assignee", "is_open", "priority", "id"], name="ticket_assignee"),
            models.Index(fields=["point", "waybill_no"], name="ticket_waybill"),
            models.Index(fields=["point", "contact_phone"], name="ticket_phone"),
            models.Index(fields=["point", "created_at"], name="ticket_created"),
            models.Index(fields=["customer", "id"], name="ticket_customer"),
            models.Index(fields=["is_open", "resolution_warn_at"], name="ticket_sla_sweep"),
            # The queue's counts by status: open tickets only (~3 %), with every column a
            # scope filters on, so that they are counted from the index alone.
            models.Index(fields=["point", "status", "assignee", "area", "customer", "escalated_to", "id"],
                         condition=Q(is_open=True), name="ticket_open_scope"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "platform_message_id"],
                condition=~Q(platform_message_id=""),
                name="ticket_platform_message_once",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"T{self.pk:07d}" if self.pk else ""


class Message(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to customer")
        NOTE = "note", _("Internal note")
        CUSTOMER = "customer", _("Customer message")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.ticket_id} {self.created_at or ''}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploader's file name: an opaque, unguessable path per file.
    return f"attachments/{instance.ticket.point_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class FollowUp(models.Model):
    """Vertical follow-up (垂直跟进): a department head or supervisor follows a
    problem down to the courier, by a due time."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followups")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    instructions = models.TextField(_("what is asked"))
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["assigned_to", "done_at"])]

    def __str__(self) -> str:
        return f"#{self.ticket_id} → {self.assigned_to_id} (due {self.due_at})"


class Event(models.Model):
    """The audit row of every change to a ticket (see events.py)."""

    class Verb(models.TextChoices):
        CREATED = "created", pgettext_lazy("ticket event", "created")
        ASSIGNED = "assigned", pgettext_lazy("ticket event", "assigned")
        STATUS = "status", pgettext_lazy("ticket event", "status changed")
        REPLIED = "replied", pgettext_lazy("ticket event", "replied")
        NOTED = "noted", pgettext_lazy("ticket event", "added a note")
        CUSTOMER_MESSAGE = "customer_message", pgettext_lazy("ticket event", "customer wrote")
        ATTACHED = "attached", pgettext_lazy("ticket event", "attached evidence")
        ESCALATED = "escalated", pgettext_lazy("ticket event", "escalated")
        FOLLOWUP_REQUESTED = "followup_requested", pgettext_lazy("ticket event", "requested vertical follow-up")
        FOLLOWUP_DONE = "followup_done", pgettext_lazy("ticket event", "completed vertical follow-up")
        MERGED = "merged", pgettext_lazy("ticket event", "merged")
        RATED = "rated", pgettext_lazy("ticket event", "rated")
        UPDATED = "updated", pgettext_lazy("ticket event", "updated")
        SLA_WARNING = "sla_warning", pgettext_lazy("ticket event", "SLA due soon")
        SLA_BREACH = "sla_breach", pgettext_lazy("ticket event", "SLA breached")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    verb = models.CharField(max_length=30, choices=Verb.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.get_verb_display()} {self.created_at or ''}"
