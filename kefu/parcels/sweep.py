"""The warning sweep (预警): evaluate the point as of a time `at`.

- A waybill with an arrival scan and no sign-off or return at or before `at`
  gets a warning when `deadline − lead ≤ at < deadline`, once — unless it is
  already marked missed (a sweep whose `at` lags another's never warns a
  parcel the other has already found late).
- A waybill with no sign-off or return at or before its deadline is missed
  (超时), marked once by the first sweep at or after the deadline — so a first
  sweep over a replayed history counts every earlier miss, and a late
  sign-off is still a miss.
- A sign-off after a warning and before the deadline marks the warning saved
  (挽回).

Each mark is claimed by a conditional UPDATE … RETURNING on rows whose marker
is still empty; the database decides who wins, so two sweeps at once never
raise a warning twice and never lose one. The candidates come from the partial
indexes `waybill_to_miss` (deadline) and `waybill_to_warn` (warn_at, deadline),
in index order, `BATCH` at a time, one transaction per batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import connection, transaction
from django.utils import timezone

from kefu.parcels import routing
from kefu.parcels.models import ParcelWarning

logger = logging.getLogger(__name__)
BATCH = 5000

# The WHERE of each sub-select repeats its partial index's condition term by term
# (SQLite uses a partial index only then), and orders by the index key, which
# keeps PostgreSQL on the index whatever its row estimates say.
WARN_SQL = """
UPDATE parcels_waybill SET warned_at = %s
WHERE {ids_in}(
    SELECT id FROM parcels_waybill
    WHERE deadline IS NOT NULL AND missed_at IS NULL AND warned_at IS NULL
      AND (settled_at IS NULL OR settled_at > warn_at)
      AND warn_at <= %s AND deadline > %s AND arrived_at <= %s
      AND (settled_at IS NULL OR settled_at > %s)
    ORDER BY warn_at {limit}
){close} AND warned_at IS NULL AND missed_at IS NULL
RETURNING id, point_id, courier_id, area_id, customer_id, deadline, problem_at, waybill_no
"""

MISS_SQL = """
UPDATE parcels_waybill SET missed_at = %s
WHERE {ids_in}(
    SELECT id FROM parcels_waybill
    WHERE missed_at IS NULL AND deadline IS NOT NULL
      AND (settled_at IS NULL OR settled_at > deadline)
      AND deadline <= %s AND arrived_at <= %s
    ORDER BY deadline {limit}
){close} AND missed_at IS NULL
RETURNING id, warned_at
"""

# Warnings whose parcel was signed off at or before `at` and before its deadline.
SAVE_SQL = """
UPDATE parcels_parcelwarning SET state = %s, closed_at = %s
WHERE state IN (%s, %s) AND EXISTS (
    SELECT 1 FROM parcels_waybill b
    WHERE b.id = parcels_parcelwarning.waybill_id
      AND b.signed_at <= %s AND b.signed_at < parcels_parcelwarning.deadline
)
"""


def _claim_sql(template: str) -> str:
    if connection.vendor == "postgresql":
        # SKIP LOCKED lets concurrent sweeps skip each other's claimed rows instead of
        # waiting. ANY(ARRAY(…)) makes the candidates an InitPlan, so the UPDATE looks
        # them up by primary key; with IN (…) the planner hash-joins a batch of a few
        # thousand against a sequential scan of the whole table.
        return template.format(ids_in="id = ANY(ARRAY", close=")", limit=f"LIMIT {BATCH} FOR UPDATE SKIP LOCKED")
    return template.format(ids_in="id IN ", close="", limit=f"LIMIT {BATCH}")


def _param(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def sweep(*, at: dt.datetime | None = None, time_budget_s: float = 50.0) -> dict:
    """Run the sweep as of `at` (default now). Returns counts made by this run:
    raised, missed, saved, escalated."""
    at = at or timezone.now()
    started = time.monotonic()
    counts = {"at": at.isoformat(), "raised": 0, "missed": 0, "saved": 0, "escalated": 0}
    while time.monotonic() - started < time_budget_s:
        n_missed = _claim_missed(at)
        counts["missed"] += n_missed
        if n_missed < BATCH:
            break
    while time.monotonic() - started < time_budget_s:
        raised, escalated = _claim_warnings(at)
        counts["raised"] += raised
        counts["escalated"] += escalated
        if raised < BATCH:
            break
    counts["saved"] = _mark_saved(at)
    if counts["raised"] or counts["missed"] or counts["saved"]:
        logger.info("parcel sweep at=%s raised=%s missed=%s saved=%s escalated=%s", at.isoformat(),
                    counts["raised"], counts["missed"], counts["saved"], counts["escalated"])
    return counts


@transaction.atomic
def _claim_missed(at: dt.datetime) -> int:
    p = _param(at)
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(MISS_SQL), [p, p, p])
        claimed = cursor.fetchall()
    # Only a waybill that was warned has a warning to close; a first sweep over a
    # replayed history mostly finds none.
    warned = [wid for wid, warned_at in claimed if warned_at is not None]
    if warned:
        ParcelWarning.objects.filter(
            waybill_id__in=warned, state__in=[ParcelWarning.State.OPEN, ParcelWarning.State.ACKNOWLEDGED]
        ).update(state=ParcelWarning.State.MISSED, closed_at=at)
    return len(claimed)


@transaction.atomic
def _claim_warnings(at: dt.datetime) -> tuple[int, int]:
    p = _param(at)
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(WARN_SQL), [p, p, p, p, p])
        claimed = cursor.fetchall()
    if not claimed:
        return 0, 0
    escalated = routing.raise_warnings(claimed, at=at)
    return len(claimed), escalated


@transaction.atomic
def _mark_saved(at: dt.datetime) -> int:
    State = ParcelWarning.State
    live = [State.OPEN.value, State.ACKNOWLEDGED.value]
    with connection.cursor() as cursor:
        cursor.execute(SAVE_SQL, [State.SAVED.value, _param(at), *live, _param(at)])
        return cursor.rowcount
