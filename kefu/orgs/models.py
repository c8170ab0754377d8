"""Organisations and people: regions, network points, stores, departments,
staff with roles and areas (片区). Customers are in `kefu.customers`.

A point (网点) is the unit of isolation: every user-visible row hangs off one
point, and no point ever sees another point's rows.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A region holds many points; points are ranked within it (seed 000: 21 points)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class NetworkPoint(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="points")
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    brand = models.CharField(_("brand"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Business hours used by SLA clocks (Asia/Shanghai local time). Workdays
    # follow China's public holidays and make-up workdays (调休).
    business_start = models.TimeField(_("business hours start"), default=dt.time(8, 30))
    business_end = models.TimeField(_("business hours end"), default=dt.time(18, 0))
    # Points created by an import that named an unknown point wait for review.
    confirmed = models.BooleanField(_("confirmed"), default=True)

    class Meta:
        verbose_name = _("network point")
        verbose_name_plural = _("network points")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="stores")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        constraints = [models.UniqueConstraint(fields=["point", "code"], name="store_code_per_point")]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    class Kind(models.TextChoices):
        CS = "cs", _("Customer service")
        SALES = "sales", _("Sales")
        OPERATIONS = "operations", _("Operations")
        FINANCE = "finance", _("Finance")
        CUSTOM = "custom", _("Other")

    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="departments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["point", "name"], name="department_name_per_point")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    DIRECTOR = "director", _("CS director")
    MANAGER = "manager", _("CS manager")
    SUPERVISOR = "supervisor", _("CS supervisor")
    TEAM_LEAD = "team_lead", _("Team lead")
    AGENT = "agent", _("Agent")
    COURIER = "courier", _("Courier")
    PICKUP = "pickup", _("Pickup staff")
    DRIVER = "driver", _("Driver")
    DEPT_HEAD = "dept_head", _("Department head")
    CUSTOMER = "customer", _("Customer contact")


# Roles that see every ticket of their point.
POINT_WIDE_ROLES = frozenset({Role.OWNER, Role.DIRECTOR, Role.MANAGER})
# Roles that lead a team of agents.
LEAD_ROLES = frozenset({Role.SUPERVISOR, Role.TEAM_LEAD})
CS_ROLES = POINT_WIDE_ROLES | LEAD_ROLES | {Role.AGENT}
FIELD_ROLES = frozenset({Role.COURIER, Role.PICKUP, Role.DRIVER})


class AgentLevel(models.TextChoices):
    NEWCOMER = "newcomer", _("Newcomer")
    SPECIALIST = "specialist", _("Specialist")
    ELITE = "elite", _("Elite")
    SENIOR = "senior", _("Senior")


class Queue(models.TextChoices):
    """The two CS queues of a point (seed 002)."""

    DEPARTURE = "departure", _("Departure")
    ARRIVAL = "arrival", _("Arrival")


class User(AbstractUser):
    """A person who logs in: staff of a point, or a customer's contact.

    `point` is empty only for platform superusers.
    """

    point = models.ForeignKey(
        NetworkPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    agent_level = models.CharField(
        _("agent level"), max_length=20, choices=AgentLevel.choices, blank=True
    )
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True)
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True)
    reports_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    # A customer's contact who logs in (role customer). The one reference from orgs to a
    # higher app, by name only: Customer moved to `customers` with its table.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    display_name = models.CharField(_("name"), max_length=50, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    queue = models.CharField(_("queue"), max_length=20, choices=Queue.choices, blank=True)
    on_shift = models.BooleanField(_("on shift"), default=True)
    # Staff created by an import that named an unknown employee number wait for review.
    confirmed = models.BooleanField(_("confirmed"), default=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["point", "role"])]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_point_wide(self) -> bool:
        return self.role in POINT_WIDE_ROLES

    @property
    def is_lead(self) -> bool:
        return self.role in LEAD_ROLES

    @property
    def is_cs(self) -> bool:
        return self.role in CS_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER


class Area(models.Model):
    """A delivery area (片区) owned end to end by one agent (区域服务包干)."""

    point = models.ForeignKey(NetworkPoint, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_areas",
        verbose_name=_("owning agent"),
    )
    couriers = models.ManyToManyField(User, blank=True, related_name="courier_areas")
    confirmed = models.BooleanField(_("confirmed"), default=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [models.UniqueConstraint(fields=["point", "code"], name="area_code_per_point")]

    def __str__(self) -> str:
        return self.name
