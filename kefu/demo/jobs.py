"""The demo's simulated couriers: while `kefu demo --serve` runs, they tap 收到 on
most warnings a couple of minutes after they arrive and now and then report a
reason (which opens a ticket in the arrival queue), as real couriers would."""

from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kefu.core.jobs import job
from kefu.demo import org as demo_org
from kefu.parcels.models import ParcelWarning
from kefu.parcels.services import warning_acknowledge, warning_report

ACK_SHARE = 0.75
REPORT_SHARE = 0.06


@job("demo_couriers", every=60, demo=True)
def demo_couriers_job(*, now: dt.datetime | None = None, rng: random.Random | None = None) -> dict:
    now = now or timezone.now()
    rng = rng or random.Random()
    due = (ParcelWarning.objects.filter(point__code=demo_org.POINT_CODE, state=ParcelWarning.State.OPEN,
                                        raised_at__lte=now - dt.timedelta(minutes=2), courier__isnull=False)
           .select_related("courier", "waybill")[:50])
    counts = {"acknowledged": 0, "reported": 0}
    for warning in due:
        roll = rng.random()
        try:
            if roll < REPORT_SHARE:
                reason = rng.choice(ParcelWarning.Reason.values)
                warning_report(warning=warning, actor=warning.courier, reason=reason)
                counts["reported"] += 1
            elif roll < ACK_SHARE:
                warning_acknowledge(warning=warning, actor=warning.courier)
                counts["acknowledged"] += 1
        except (PermissionDenied, ValidationError):
            continue
    return counts
