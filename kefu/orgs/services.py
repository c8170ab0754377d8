"""Writes on organisations and people."""

from __future__ import annotations

from django.db import transaction

from kefu.orgs.models import User


@transaction.atomic
def user_set_on_shift(*, user: User, on_shift: bool) -> User:
    """An agent starts or ends their shift; only agents on shift get new tickets."""
    User.objects.filter(pk=user.pk).update(on_shift=on_shift)
    user.on_shift = on_shift
    return user
