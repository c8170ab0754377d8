"""The point's customers: e-commerce shops, walk-in senders and enterprises, by tier.

A customer belongs to one network point; a KA (key account) customer has a named
agent (一对一). Customer contacts who log in are users (`orgs.User.customer`).
Fines, claims, value-added business and outsourced projects will hang off this
model, which is why it has an app of its own (it moved out of `orgs` with its table
and data: `db_table` keeps the old name).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    class Tier(models.TextChoices):
        REGULAR = "regular", _("Regular")
        MID = "mid", _("Mid-range")
        HIGH = "high", _("High-end")
        KA = "ka", _("Key account")

    class Kind(models.TextChoices):
        ECOMMERCE = "ecommerce", _("E-commerce shop")
        WALK_IN = "walk_in", _("Walk-in")
        ENTERPRISE = "enterprise", _("Enterprise")

    point = models.ForeignKey("orgs.NetworkPoint", on_delete=models.CASCADE, related_name="customers")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.REGULAR)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.ECOMMERCE)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    area = models.ForeignKey("orgs.Area", on_delete=models.SET_NULL, null=True, blank=True)
    named_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="named_customers", verbose_name=_("named agent"),
    )
    time_sensitive = models.BooleanField(_("time-sensitive"), default=False)

    class Meta:
        db_table = "orgs_customer"  # the table it had in orgs: moved without copying a row
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["point", "code"], name="customer_code_per_point")
        ]

    def __str__(self) -> str:
        return self.name
