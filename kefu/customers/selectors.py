"""Reads on customers, always scoped to what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from kefu.customers.models import Customer
from kefu.orgs.models import User


def customers_visible_to(user: User) -> QuerySet[Customer]:
    """Staff see their point's customers; a customer contact sees their own customer."""
    if user.point_id is None:
        return Customer.objects.all() if user.is_superuser else Customer.objects.none()
    if user.is_customer:
        return Customer.objects.filter(pk=user.customer_id)
    return Customer.objects.filter(point_id=user.point_id)


def customer_access(user: User, customer_id: int) -> Customer:
    """A customer the user may see, or 404."""
    try:
        return customers_visible_to(user).get(pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None
