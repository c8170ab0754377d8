"""Deadline rules: the sign-off deadline and the warning time of an inbound waybill."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from kefu.core.tz import SHANGHAI
from kefu.parcels.models import DeadlineRule

DEFAULT_ALLOWANCE_MINUTES = 24 * 60
DEFAULT_LEAD_MINUTES = 60


class RuleBook:
    """The rules of some points, loaded once and looked up many times (an import
    evaluates one rule per arrival scan). The most specific rule in force on the
    arrival's local date wins: area beats product beats point beats shared; among
    equals the one that took effect last."""

    def __init__(self, point_ids: list[int] | None = None):
        qs = DeadlineRule.objects.all()
        if point_ids is not None:
            qs = qs.filter(Q(point_id__in=point_ids) | Q(point__isnull=True))
        self.rules = list(qs.order_by("-effective_from", "-pk"))
        self._cache: dict[tuple, tuple[int, int]] = {}

    def terms(self, *, point_id: int, product: str, area_id: int | None, day: dt.date) -> tuple[int, int]:
        """(allowance minutes, lead minutes)."""
        key = (point_id, product, area_id, day)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        best, best_score = None, -1
        for r in self.rules:
            if r.effective_from > day or (r.effective_to is not None and r.effective_to < day):
                continue
            if (r.point_id not in (None, point_id) or r.product not in ("", product)
                    or r.area_id not in (None, area_id)):
                continue
            score = (r.point_id is not None) + 2 * (r.product != "") + 4 * (r.area_id is not None)
            if score > best_score:
                best, best_score = r, score
        result = (
            (best.allowance_minutes, best.lead_minutes) if best
            else (DEFAULT_ALLOWANCE_MINUTES, DEFAULT_LEAD_MINUTES)
        )
        self._cache[key] = result
        return result

    def deadline(
        self, *, point_id: int, product: str, area_id: int | None,
        arrived_at: dt.datetime, promised_at: dt.datetime | None,
    ) -> tuple[dt.datetime, dt.datetime]:
        """(deadline, warn_at): the promised time when the file gives one, else the
        arrival plus the allowance; the warning `lead` minutes before it."""
        day = arrived_at.astimezone(SHANGHAI).date()
        allowance, lead = self.terms(point_id=point_id, product=product, area_id=area_id, day=day)
        deadline = promised_at or arrived_at + dt.timedelta(minutes=allowance)
        return deadline, deadline - dt.timedelta(minutes=lead)
