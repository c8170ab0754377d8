"""Waybills, scan events, sign-off deadline rules and early warnings (预警).

A waybill's times are the earliest scan of each kind (arrival, sign-off,
return, problem); its deadline comes from the file's promised time (签收时限)
or from its arrival plus the allowance of the deadline rule in force. See
README.md in this folder for the sweep's rules.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.customers.models import Customer
from kefu.orgs.models import Area, NetworkPoint


class ScanType(models.IntegerChoices):
    PICKUP = 1, _("Pickup")  # 揽收
    DISPATCH = 2, _("Dispatch")  # 发件
    ARRIVAL = 3, _("Arrival scan")  # 到件
    DELIVERY = 4, _("Out for delivery")  # 派件
    SIGNOFF = 5, _("Signed off")  # 签收
    PROBLEM = 6, _("Problem parcel")  # 问题件
    RETURN = 7, _("Returned")  # 退回


# The names scan exports use, Chinese first; English for files from other systems.
SCAN_TYPE_NAMES = {
    "揽收": ScanType.PICKUP, "发件": ScanType.DISPATCH, "到件": ScanType.ARRIVAL,
    "派件": ScanType.DELIVERY, "签收": ScanType.SIGNOFF, "问题件": ScanType.PROBLEM,
    "退回": ScanType.RETURN, "退件": ScanType.RETURN,
    "pickup": ScanType.PICKUP, "dispatch": ScanType.DISPATCH, "arrival": ScanType.ARRIVAL,
    "delivery": ScanType.DELIVERY, "signoff": ScanType.SIGNOFF, "problem": ScanType.PROBLEM,
    "return": ScanType.RETURN,
}


class ScanEvent(models.Model):
    """One scan as the brand's system exported it. Idempotent on
    (waybill_no, scan_type, scanned_at): a re-import stores nothing twice."""

    # No index of its own: scans are looked up by waybill; each index costs the bulk import.
    # No database constraint either: the importer writes only point ids it has looked up,
    # and a constraint is checked for every row at commit (a large share of a bulk load's
    # time on PostgreSQL: decision 0002). Deleting a point still deletes its scans (Django's collector).
    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="+", db_index=False,
                              db_constraint=False)
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    scan_type = models.PositiveSmallIntegerField(_("scan type"), choices=ScanType.choices)
    scanned_at = models.DateTimeField(_("scan time"))
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    product = models.CharField(_("product"), max_length=30, blank=True)
    promised_at = models.DateTimeField(_("promised sign-off"), null=True, blank=True)
    area_code = models.CharField(_("area code"), max_length=32, blank=True)
    customer_code = models.CharField(_("customer code"), max_length=32, blank=True)
    batch_id = models.BigIntegerField(null=True, blank=True)
    # The scan's identity is its key: one index, no id sequence, for a table loaded by the million.
    pk = models.CompositePrimaryKey("waybill_no", "scan_type", "scanned_at")

    class Meta:
        verbose_name = _("scan event")
        verbose_name_plural = _("scan events")

    def __str__(self) -> str:
        return f"{self.waybill_no} {self.get_scan_type_display()} {self.scanned_at}"


# Which waybills the sweep looks at, and from when: each rule written once, here, for
# the partial indexes of Waybill and for the sweep's candidate queries (sweep.py
# compiles them for the connection, so the two cannot drift apart).
# A waybill can be warned from GREATEST(warn_at, arrived_at) until its deadline, unless
# settled by warn_at; it can be missed from GREATEST(deadline, arrived_at), unless
# settled by its deadline.
CAN_BE_WARNED = Q(deadline__isnull=False, arrived_at__isnull=False) & (
    Q(settled_at__isnull=True) | Q(settled_at__gt=F("warn_at")))
CAN_BE_MISSED = Q(deadline__isnull=False, arrived_at__isnull=False) & (
    Q(settled_at__isnull=True) | Q(settled_at__gt=F("deadline")))
WARN_DUE = Greatest("warn_at", "arrived_at")
MISS_DUE = Greatest("deadline", "arrived_at")


class Waybill(models.Model):
    # point leads composite indexes below; area, courier and customer need none of their
    # own (the board reads a point's waybills by deadline, then filters). Each index costs
    # the bulk upsert of a day's waybills: one on (courier, deadline) was a large part of
    # the plain insert's time on PostgreSQL, its entries landing all over the tree.
    # Written in bulk by the scan importer with ids it has looked up (or created), so the
    # references carry no database constraint, checked per row at commit; deletes still
    # cascade or set null through Django's collector.
    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="waybills", db_index=False,
                              db_constraint=False)
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    product = models.CharField(_("product"), max_length=30, blank=True)
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
                             db_constraint=False)
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="waybills", verbose_name=_("courier"), db_index=False, db_constraint=False,
    )
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
                                 db_constraint=False)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    promised_at = models.DateTimeField(_("promised sign-off"), null=True, blank=True)
    deadline = models.DateTimeField(_("sign-off deadline"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn from"), null=True, blank=True)
    delivery_at = models.DateTimeField(_("out for delivery"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    problem_at = models.DateTimeField(_("problem scan"), null=True, blank=True)
    # Earliest of sign-off and return: the parcel stops needing a warning then.
    settled_at = models.DateTimeField(null=True, blank=True)
    # What the sweep has marked (warned, missed) is in WaybillMark, not here: a mark
    # on this wide row would be a new row version in every index on PostgreSQL, a mark
    # there is one small insert.

    class Meta:
        verbose_name = _("waybill")
        verbose_name_plural = _("waybills")
        constraints = [
            models.UniqueConstraint(fields=["point", "waybill_no"], name="waybill_once_per_point")
        ]
        indexes = [
            # The sweep's candidates (the rules above), in the order it reads them. The sweep
            # reads each index from where its last complete pass stopped (SweepHorizon), so
            # marked waybills staying in them cost nothing.
            models.Index(WARN_DUE, F("deadline"), F("id"), name="waybill_to_warn", condition=CAN_BE_WARNED),
            models.Index(
                # deadline and arrived_at too: PostgreSQL reads the candidates from the index alone.
                MISS_DUE, F("id"), F("deadline"), F("arrived_at"), name="waybill_to_miss", condition=CAN_BE_MISSED,
            ),
            # The board: a point's waybills due in a period (per courier, area or day).
            models.Index(fields=["point", "deadline"], name="waybill_due"),
        ]

    def __str__(self) -> str:
        return self.waybill_no


class WaybillMark(models.Model):
    """What the sweep has marked on a waybill, each once: warned (a ParcelWarning was
    raised) and missed (超时). Claimed by INSERT … ON CONFLICT on the primary key, so
    two sweeps at once never mark twice, and a warning and a miss of the same waybill
    are ordered by the database. No foreign-key constraint: its check would lock the
    waybill row (a write on the wide row again); deletes cascade through the ORM."""

    waybill = models.OneToOneField(Waybill, on_delete=models.CASCADE, primary_key=True, related_name="mark",
                                   db_constraint=False)
    warned_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sweep mark")
        verbose_name_plural = _("sweep marks")

    def __str__(self) -> str:
        return f"{self.waybill_id}: warned {self.warned_at}, missed {self.missed_at}"


class SweepHorizon(models.Model):
    """How far the sweep has looked (one row, pk 1). Every waybill that can be missed
    (warned) from a time at or before `missed_through` (`warned_through`) has been
    considered, unless a scan import written since changed it: the sweep reads the
    candidate indexes from these times on, and from the start when a scan import
    (ImportBatch of kind scans) newer than `imports_through` exists."""

    missed_through = models.DateTimeField(null=True, blank=True)
    warned_through = models.DateTimeField(null=True, blank=True)
    imports_through = models.BigIntegerField(default=0)
    # Closing settled warnings (saved, returned) needs a look at every open warning's
    # waybill. Only a scan import changes a waybill, so after a look the next one is due
    # only when an import newer than `closes_imports_through` exists (None: never
    # looked), or once the sweep's time reaches `next_close_at`: the earliest sign-off
    # or return, later than the look, of an open warning's waybill (None: none known).
    # Raising a warning on a waybill with such a settlement brings it forward.
    closes_imports_through = models.BigIntegerField(null=True, blank=True)
    next_close_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"missed through {self.missed_through}, warned through {self.warned_through}"


class DeadlineRule(models.Model):
    """How long a point has to sign off an inbound parcel after its arrival scan,
    and how long before the deadline to warn. The most specific rule in force on
    the arrival date wins (point, then product, then area add specificity)."""

    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, null=True, blank=True)
    product = models.CharField(_("product"), max_length=30, blank=True)
    area = models.ForeignKey(Area, on_delete=models.CASCADE, null=True, blank=True)
    allowance_minutes = models.PositiveIntegerField(_("allowance after arrival (minutes)"), default=24 * 60)
    lead_minutes = models.PositiveIntegerField(_("warn before deadline (minutes)"), default=60)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")

    def __str__(self) -> str:
        return (f"{self.product or '*'} / {self.area_id or '*'}: {self.allowance_minutes} min, "
                f"lead {self.lead_minutes} min, from {self.effective_from}")


# Why a warning escalated to vertical follow-up (ParcelWarning.escalation; routing decides).
ESCALATE_PROBLEM = "problem_scan"  # a 问题件 scan: to the operations head
ESCALATE_KA = "key_account"  # a KA customer's parcel: to the sales head
ESCALATE_REPEAT = "repeat_within_hour"  # the courier's second warning within the hour: operations


class ParcelWarning(models.Model):
    """An early warning: raised `lead` minutes before a waybill's deadline."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        SAVED = "saved", _("Saved")
        MISSED = "missed", _("Missed")
        # Returned (退回) to the sender before the deadline: neither saved nor missed.
        RETURNED = "returned", _("Returned")

    class Reason(models.TextChoices):
        UNREACHABLE = "unreachable", _("Recipient unreachable")  # 联系不上收件人
        BAD_ADDRESS = "bad_address", _("Wrong address or phone")  # 地址或电话错误
        REFUSED = "refused", _("Refused")  # 拒收
        UPSTAIRS = "upstairs", _("Asks for delivery upstairs")  # 要求上楼
        RESCHEDULE = "reschedule", _("New appointment")  # 改约时间

    # The sweep inserts warnings by the ten thousand, each costing every index and every
    # foreign-key check (at commit): no index that a composite index below
    # already leads with (point, courier), none for area or escalated_to, and no
    # foreign-key constraints. The ids come from the waybill (whose ids the importer looked up)
    # and the point's heads; deletes still cascade or set null through the ORM.
    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="+", db_index=False,
                              db_constraint=False)
    waybill = models.OneToOneField(Waybill, on_delete=models.CASCADE, related_name="warning", db_constraint=False)
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="parcel_warnings", db_index=False, db_constraint=False,
    )
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
                             db_constraint=False)
    deadline = models.DateTimeField(_("deadline"))
    raised_at = models.DateTimeField(_("raised"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    escalation = models.CharField(_("escalation"), max_length=30, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False,
        db_constraint=False,
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        indexes = [
            models.Index(fields=["courier", "state", "deadline"], name="warning_courier"),
            models.Index(fields=["point", "raised_at"], name="warning_point_day"),
            models.Index(fields=["state", "deadline"], name="warning_open"),
        ]

    def __str__(self) -> str:
        return f"{self.waybill_id} ({self.state}, {self.deadline})"


class WarningEvent(models.Model):
    """The audit row of every change to a warning (events.py): what changed, who
    (None: the sweep) and when. The courier's taps write one each; the sweep writes
    its closes and escalations by the thousand, set-based, in the statement or
    transaction that makes the change."""

    class Verb(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("warning event", "acknowledged")
        REPORTED = "reported", pgettext_lazy("warning event", "reported a reason")
        ESCALATED = "escalated", pgettext_lazy("warning event", "escalated")
        SAVED = "saved", pgettext_lazy("warning event", "saved")
        RETURNED = "returned", pgettext_lazy("warning event", "returned")
        MISSED = "missed", pgettext_lazy("warning event", "missed")

    # Written by the sweep as often as warnings: one index (a warning's history, in
    # order), no foreign-key constraints (a check per row at commit). Deletes still
    # cascade or set null through the ORM.
    warning = models.ForeignKey(ParcelWarning, on_delete=models.CASCADE, related_name="events", db_index=False,
                                db_constraint=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", db_index=False, db_constraint=False)
    verb = models.CharField(max_length=20, choices=Verb.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("warning event")
        verbose_name_plural = _("warning events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["warning", "created_at"], name="warning_event_history")]

    def __str__(self) -> str:
        return f"{self.warning_id} {self.get_verb_display()} {self.created_at or ''}"
