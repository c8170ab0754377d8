"""Audit rows for early warnings (WarningEvent): every acknowledge, report,
escalation, save, return and miss, with who (None: the sweep) and when.

Each is written in the transaction of the change it records:

- `record(...)`: one row, from a service (`warning_acknowledge`, `warning_report`);
- set-based, for the sweep, which changes warnings by the thousand and must not
  get slower: `closed_sql(...)` is the INSERT … SELECT of the events of the
  warnings a statement has just closed (on PostgreSQL inside that statement,
  from its RETURNING: two sweeps at once never write one twice), and
  `record_escalated(...)` writes a batch's escalations (one INSERT … SELECT)
  after routing inserted its warnings. Raising itself writes none: `raised_at`
  is on the warning.

`data` by verb — acknowledged: {}; reported: reason, previous ("" the first
time), ticket (its id), acknowledged (whether the report acknowledged an open
warning); escalated: reason (models.ESCALATE_*), to (the user's id, None when
the point has nobody to take it), to_name; saved, returned, missed: {} (the
warning's closed_at is the event's time).

`describe(event)`: one line in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import bulk
from kefu.parcels.models import (
    ESCALATE_KA,
    ESCALATE_PROBLEM,
    ESCALATE_REPEAT,
    ParcelWarning,
    WarningEvent,
)

Verb = WarningEvent.Verb
_COLUMNS = "warning_id, verb, actor_id, created_at, data"


def record(*, warning: ParcelWarning, verb: str, actor=None, at: dt.datetime | None = None,
           **data) -> WarningEvent:
    """One event of `warning`, at `at` (default now), in the caller's transaction;
    `data`: the verb's keys (above)."""
    return WarningEvent.objects.create(warning=warning, verb=verb, actor=actor, data=data,
                                       created_at=at or timezone.now())


def closed_sql(source: str, *, verb: str, at: str, column: str = "id") -> str:
    """The INSERT of the sweep's events (no actor, no data) for the warnings whose
    ids `source` yields in its `column` (a CTE's name, a table function). `verb` and
    `at`: their SQL, placeholders of the enclosing statement. No braces in it: it
    may go through str.format."""
    empty = "jsonb_build_object()" if connection.vendor == "postgresql" else "json_object()"
    return (f"INSERT INTO {WarningEvent._meta.db_table} ({_COLUMNS}) "
            f"SELECT {column}, {verb}, NULL, {at}, {empty} FROM {source}")


def record_escalated(*, waybill_ids: list[int], kinds: set[tuple[str, int | None]], at: dt.datetime,
                     names: dict[int, str]) -> None:
    """The `escalated` events of the warnings just raised on `waybill_ids`, in one
    statement. `kinds`: the batch's distinct (reason, id of the person escalated to
    or None), a handful: each one's data is made once, here, and picked per row by
    a CASE (a JSON object built or parsed per row cost a third more). `names`: the
    display name of each person escalated to."""
    if not waybill_ids:
        return
    postgres = connection.vendor == "postgresql"
    same, as_json = ("IS NOT DISTINCT FROM", "::jsonb") if postgres else ("IS", "")
    cases, params = [], [Verb.ESCALATED.value, connection.ops.adapt_datetimefield_value(at)]
    for reason, to in sorted(kinds, key=str):
        cases.append(f"WHEN w.escalation = %s AND w.escalated_to_id {same} %s THEN %s{as_json}")
        params += [reason, to, json.dumps({"reason": reason, "to": to, "to_name": names.get(to)}, ensure_ascii=False)]
    params.append(bulk.id_list(waybill_ids))
    # PostgreSQL: the ids behind ARRAY(SELECT …), as MISS_BATCH_PG passes them, so the plan probes the
    # waybill index (estimated a few ids); given as a literal array of hundreds, the planner scanned
    # the whole warning table while its statistics were young (6.6 ms for 700 ids of 55,000 warnings).
    waybills = "= ANY(ARRAY(SELECT unnest(%s::bigint[])))" if postgres else "IN (SELECT value FROM json_each(%s))"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {WarningEvent._meta.db_table} ({_COLUMNS}) "
                       f"SELECT w.id, %s, NULL, %s, CASE {' '.join(cases)} END "
                       f"FROM parcels_parcelwarning w WHERE w.waybill_id {waybills}", params)


def describe(event: WarningEvent) -> str:
    """One line in the reader's language: what happened (who and when are shown
    beside it)."""
    d = event.data
    if event.verb == Verb.REPORTED:
        if d.get("previous"):
            return _("changed the reason from %(previous)s to %(reason)s") % {
                "previous": _reason_label(d["previous"]), "reason": _reason_label(d.get("reason", ""))}
        return _("reported: %(reason)s") % {"reason": _reason_label(d.get("reason", ""))}
    if event.verb == Verb.ESCALATED:
        why = _escalation_label(d.get("reason", ""))
        if d.get("to_name"):
            return _("escalated to %(name)s: %(why)s") % {"name": d["to_name"], "why": why}
        return _("escalated: %(why)s") % {"why": why}
    if event.verb == Verb.SAVED:
        return _("saved: signed off by the deadline")
    if event.verb == Verb.RETURNED:
        return _("returned to the sender by the deadline")
    if event.verb == Verb.MISSED:
        return _("missed: not signed off by the deadline")
    return str(Verb(event.verb).label) if event.verb in Verb.values else event.verb


def _reason_label(reason: str) -> str:
    return str(ParcelWarning.Reason(reason).label) if reason in ParcelWarning.Reason.values else reason


def _escalation_label(reason: str) -> str:
    return {
        ESCALATE_PROBLEM: _("a problem parcel scan"),
        ESCALATE_KA: _("a KA customer's parcel"),
        ESCALATE_REPEAT: _("the courier's second warning within the hour"),
    }.get(reason, reason)
