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
from django.utils.translation import gettext_lazy as _

from kefu.orgs.models import Area, Customer, NetworkPoint


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
    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="+", db_index=False)
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    scan_type = models.PositiveSmallIntegerField(_("scan type"), choices=ScanType.choices)
    scanned_at = models.DateTimeField(_("scan time"))
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    product = models.CharField(_("product"), max_length=30, blank=True)
    promised_at = models.DateTimeField(_("promised sign-off"), null=True, blank=True)
    area_code = models.CharField(_("area code"), max_length=32, blank=True)
    customer_code = models.CharField(_("customer code"), max_length=32, blank=True)
    batch_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("scan event")
        verbose_name_plural = _("scan events")
        constraints = [
            models.UniqueConstraint(fields=["waybill_no", "scan_type", "scanned_at"], name="scan_once")
        ]


class Waybill(models.Model):
    # point and courier lead composite indexes below; customer needs none. Fewer
    # indexes keep the bulk upsert of a day's waybills fast.
    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="waybills", db_index=False)
    waybill_no = models.CharField(_("waybill number"), max_length=40)
    product = models.CharField(_("product"), max_length=30, blank=True)
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True)
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="waybills", verbose_name=_("courier"), db_index=False,
    )
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, db_index=False)
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
    # Set once each by the sweep (conditional UPDATE), never twice.
    warned_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("waybill")
        verbose_name_plural = _("waybills")
        constraints = [
            models.UniqueConstraint(fields=["point", "waybill_no"], name="waybill_once_per_point")
        ]
        indexes = [
            # Only waybills that may still be warned / missed stay in these indexes.
            # A missed waybill leaves it too; deadline in the key lets the sweep skip, inside
            # the index, waybills whose window has passed without a warning.
            models.Index(
                fields=["warn_at", "deadline"], name="waybill_to_warn",
                condition=Q(warned_at__isnull=True, missed_at__isnull=True, deadline__isnull=False)
                & (Q(settled_at__isnull=True) | Q(settled_at__gt=F("warn_at"))),
            ),
            models.Index(
                fields=["deadline"], name="waybill_to_miss",
                condition=Q(missed_at__isnull=True, deadline__isnull=False)
                & (Q(settled_at__isnull=True) | Q(settled_at__gt=F("deadline"))),
            ),
            models.Index(fields=["courier", "deadline"], name="waybill_courier"),
        ]

    def __str__(self) -> str:
        return self.waybill_no


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


class ParcelWarning(models.Model):
    """An early warning: raised `lead` minutes before a waybill's deadline."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        SAVED = "saved", _("Saved")
        MISSED = "missed", _("Missed")

    class Reason(models.TextChoices):
        UNREACHABLE = "unreachable", _("Recipient unreachable")  # 联系不上收件人
        BAD_ADDRESS = "bad_address", _("Wrong address or phone")  # 地址或电话错误
        REFUSED = "refused", _("Refused")  # 拒收
        UPSTAIRS = "upstairs", _("Asks for delivery upstairs")  # 要求上楼
        RESCHEDULE = "reschedule", _("New appointment")  # 改约时间

    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="+")
    waybill = models.OneToOneField(Waybill, on_delete=models.CASCADE, related_name="warning")
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="parcel_warnings",
    )
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    raised_at = models.DateTimeField(_("raised"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    escalation = models.CharField(_("escalation"), max_length=30, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
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
