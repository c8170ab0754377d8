"""The warning sweep (预警): evaluate the point as of a time `at`.

- A waybill with an arrival scan and no sign-off or return at or before `at`
  gets a warning when `deadline − lead ≤ at < deadline`, once — unless it is
  already marked missed (a sweep whose `at` lags another's never warns a
  parcel the other has already found late).
- A waybill with no sign-off or return at or before its deadline is missed
  (超时), marked once by the first sweep at or after the deadline — so a first
  sweep over a replayed history counts every earlier miss, and a late
  sign-off is still a miss.
- A warning closes when its parcel is settled at or before `at` and at or
  before the deadline: saved (挽回) when signed off first, returned (退回) when
  returned to the sender first.

Marks live in WaybillMark, one row per marked waybill, claimed by
INSERT … ON CONFLICT on its primary key: the database decides who wins, so two
sweeps at once never mark twice and never lose a mark, and a warning racing a
miss of the same waybill is ordered by the same key. A miss is one small insert
(no new version of the wide waybill row in its indexes).

The candidates come from the partial indexes `waybill_to_miss` (due to be
missed from GREATEST(deadline, arrived_at)) and `waybill_to_warn` (from
GREATEST(warn_at, arrived_at)), read in index order, `BATCH` at a time (one
transaction each), from where the last complete pass stopped (SweepHorizon):
marked waybills stay in those indexes, below the horizon. A scan import newer
than the horizon's may have added or changed waybills anywhere below it, so
then the sweep reads both indexes from the start (the first sweep does too).

Closing settled warnings looks at every open warning's waybill, so it is done
only when something can have changed: after a scan import (the only writer of
waybills), or once the sweep's time reaches the earliest known sign-off or
return that lies ahead of an open warning (a replayed day has those; see
SweepHorizon.next_close_at). An idle minute costs a few small queries.

Every warning closed (saved, returned, missed) gets its event (events.py) from
the rows the closing UPDATE returned, in the same statement on PostgreSQL (the
same transaction on SQLite, which has one writer at a time): a warning another
sweep closed first is not in them, so none is written twice. Escalations get
theirs as routing raises the warnings.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from kefu.core import bulk
from kefu.core.sql import expression_sql, where_sql
from kefu.imports.models import ImportBatch
from kefu.parcels import events, routing
from kefu.parcels.importers import SCANS
from kefu.parcels.models import (
    CAN_BE_MISSED,
    CAN_BE_WARNED,
    MISS_DUE,
    WARN_DUE,
    ParcelWarning,
    WarningEvent,
    Waybill,
)

logger = logging.getLogger(__name__)
BATCH = 5000

# The two passes' candidate indexes: {rule}, which waybills can be missed (warned), and
# {due}, from when, are models.py's CAN_BE_MISSED and MISS_DUE (CAN_BE_WARNED, WARN_DUE),
# the partial indexes' own condition and first column, compiled for the connection
# (_compiled); {key}: the index key, {due} and the columns after it.
_MISS, _WARN = "miss", "warn"
_PASSES = {_MISS: (CAN_BE_MISSED, MISS_DUE, ("id",)), _WARN: (CAN_BE_WARNED, WARN_DUE, ("deadline", "id"))}

# The WHERE of each candidate query repeats its partial index's condition ({rule}, term
# by term: SQLite uses a partial index only then) and orders by the index key. On
# PostgreSQL, OFFSET 0 ({fence}) keeps NOT EXISTS a primary-key probe per candidate:
# as an anti-join the planner hashes the whole mark table, on every batch.
MISS_CANDIDATES = """
SELECT id, {due} AS due FROM parcels_waybill
WHERE {rule}
  AND {due} <= %s {after}
  AND NOT EXISTS (SELECT 1 FROM parcels_waybillmark m
                  WHERE m.waybill_id = parcels_waybill.id AND m.missed_at IS NOT NULL{fence})
ORDER BY {key} LIMIT {batch}
"""

WARN_CANDIDATES = """
SELECT id, point_id, courier_id, area_id, customer_id, deadline, problem_at, waybill_no, settled_at
FROM parcels_waybill
WHERE {rule}
  AND {due} <= %s {after}
  AND deadline > %s AND (settled_at IS NULL OR settled_at > %s)
  AND NOT EXISTS (SELECT 1 FROM parcels_waybillmark m WHERE m.waybill_id = parcels_waybill.id{fence})
ORDER BY {key} LIMIT {batch}
"""

# PostgreSQL: the candidates with one probe of the mark table each — `marked` is null
# (no mark), true (warned, not missed) or false (missed: skipped). OFFSET 0 keeps the
# inner query in index order and the probe a probe (not a hash of the whole table).
MISS_CANDIDATES_PG = """
SELECT id, due, marked FROM (
  SELECT id, {due} AS due,
    (SELECT m.missed_at IS NULL FROM parcels_waybillmark m WHERE m.waybill_id = parcels_waybill.id) AS marked
  FROM parcels_waybill
  WHERE {rule}
    AND {due} <= %s {after}
  ORDER BY {key} OFFSET 0
) q WHERE marked IS NOT false LIMIT {batch}
"""

# PostgreSQL: one statement per batch. The candidates not marked at all get a plain
# insert (a third cheaper than ON CONFLICT's speculative insertion), those marked
# warned get missed_at, and their warnings close with their events ({events}: from the
# warnings the UPDATE returned). A sweep running at the same time can make the insert
# hit the primary key: the batch then runs again as MARK_MISSED.
MISS_BATCH_PG = """
WITH c AS MATERIALIZED ({candidates}),
ins AS (
  INSERT INTO parcels_waybillmark (waybill_id, missed_at)
  SELECT id, %(at)s FROM c WHERE marked IS NULL
  RETURNING 1
),
upd AS (
  UPDATE parcels_waybillmark SET missed_at = %(at)s
  WHERE waybill_id = ANY(ARRAY(SELECT id FROM c WHERE marked)) AND missed_at IS NULL
  RETURNING waybill_id
),
closed AS (
  UPDATE parcels_parcelwarning SET state = %(missed)s, closed_at = %(at)s
  WHERE waybill_id = ANY(ARRAY(SELECT waybill_id FROM upd)) AND state IN (%(open)s, %(acknowledged)s)
  RETURNING id
),
events AS ({events})
SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM ins) + (SELECT count(*) FROM upd),
  (SELECT count(*) FROM closed), last.due, last.id
FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT due, id FROM c ORDER BY due DESC, id DESC LIMIT 1) last ON true
"""

# A miss marks a waybill not yet marked, or one marked warned; RETURNING tells which had a warning.
MARK_MISSED = """
INSERT INTO parcels_waybillmark (waybill_id, missed_at)
SELECT {ids}, %s {where}
ON CONFLICT (waybill_id) DO UPDATE SET missed_at = excluded.missed_at
WHERE parcels_waybillmark.missed_at IS NULL
RETURNING waybill_id, warned_at
"""

# A warning marks only a waybill not marked yet (neither warned nor missed).
MARK_WARNED = """
INSERT INTO parcels_waybillmark (waybill_id, warned_at)
SELECT {ids}, %s {where}
ON CONFLICT (waybill_id) DO NOTHING
RETURNING waybill_id
"""

# Open warnings whose parcel was settled at or before `at` and by the deadline, with
# whether the sign-off came first (settled_at is the earlier of sign-off and return):
# such a warning closes saved, else returned. The last row (id NULL): the earliest such
# settlement after `at`, when the next look is due.
SETTLED_SQL = """
SELECT w.id, b.signed_at IS NOT NULL AND b.signed_at = b.settled_at, NULL
FROM parcels_parcelwarning w JOIN parcels_waybill b ON b.id = w.waybill_id
WHERE w.state IN (%s, %s) AND b.settled_at <= %s AND b.settled_at <= w.deadline
UNION ALL
SELECT NULL, NULL, MIN(b.settled_at)
FROM parcels_parcelwarning w JOIN parcels_waybill b ON b.id = w.waybill_id
WHERE w.state IN (%s, %s) AND b.settled_at > %s AND b.settled_at <= w.deadline
"""

# Close the warnings ({column}: id or waybill_id, in a list) still open or acknowledged.
# RETURNING: the ones this statement closed, whose events go in with them (_close).
CLOSE_SQL = """
UPDATE parcels_parcelwarning SET closed_at = %s, state = %s
WHERE {column} IN (SELECT {ids} {where}) AND state IN (%s, %s)
RETURNING id
"""

# A warning raised on a waybill settled later (a replay) brings the next look forward.
NOTE_SETTLEMENT = """
UPDATE parcels_sweephorizon
SET next_close_at = CASE WHEN next_close_at IS NULL OR next_close_at > %s THEN %s ELSE next_close_at END
WHERE id = 1
"""


def _sql(template: str, which: str, *, after: int) -> str:
    """A candidate query of the pass `which` (_MISS, _WARN). `after`: 0 from the start of
    the index, 1 after a time, else after a key (keyset)."""
    rule, due, key, n = _compiled(connection.vendor)[which]
    cond = "" if not after else f"AND {due} > %s" if after == 1 else f"AND ({key}) > ({', '.join(['%s'] * n)})"
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    return template.format(rule=rule, due=due, key=key, after=cond, batch=BATCH, fence=fence)


@functools.cache
def _compiled(vendor: str) -> dict[str, tuple[str, str, str, int]]:
    """Each pass's (rule, due, key, columns in the key) as SQL for `vendor`, compiled
    once from models.py's rules by the ORM's compiler for the current connection."""
    compiled = {}
    for which, (rule, due, rest) in _PASSES.items():
        due_sql = expression_sql(Waybill, due)
        compiled[which] = (where_sql(Waybill, rule), due_sql, ", ".join([due_sql, *rest]), 1 + len(rest))
    return compiled


def _mark_sql(template: str) -> str:
    if connection.vendor == "postgresql":
        return template.format(ids="unnest(%s::bigint[])", where="")
    # SQLite: the ids as a JSON array; "WHERE true" keeps ON CONFLICT from parsing as a join's ON.
    return template.format(ids="value", where="FROM json_each(%s) WHERE true")


def _ids_param(ids: list[int]) -> str:
    return bulk.id_list(ids)


def _tune(cursor) -> None:
    """PostgreSQL: no JIT. A batch's estimated cost (thousands of probes of the mark
    table) passes jit_above_cost, and compiling takes longer than running it.
    And psycopg's own (C) loader of timestamptz on this cursor: Django's (Python, for
    its time-zone handling) costs several times as much a value, and both give aware UTC times (Django
    keeps the connection's time zone at UTC)."""
    if connection.vendor == "postgresql":
        from psycopg.types.datetime import TimestamptzLoader

        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute("SET LOCAL jit = off")
        # Every candidate's mark is one probe of the mark table's primary key. A plan made
        # while that table looks empty (a first sweep) would scan it instead, for each
        # candidate, while the miss pass beside it fills it by the hundred thousand.
        cursor.execute("SET LOCAL enable_seqscan = off")


def _param(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _key(value):
    """A time read back from the database, as a parameter again."""
    return _param(value) if isinstance(value, dt.datetime) else value


def sweep(*, at: dt.datetime | None = None, time_budget_s: float = 50.0) -> dict:
    """Run the sweep as of `at` (default now). Returns counts made by this run:
    raised, missed, saved, returned, escalated."""
    at = at or timezone.now()
    started = time.monotonic()
    counts = {"at": at.isoformat(), "raised": 0, "missed": 0, "saved": 0, "returned": 0, "escalated": 0}

    def in_budget() -> bool:
        return time.monotonic() - started < time_budget_s

    horizon = _horizon()
    imports_mark, newest_import = _imports()
    full = (newest_import > horizon["imports_through"] or horizon["missed_through"] is None
            or horizon["warned_through"] is None)
    missed_since = None if full else horizon["missed_through"]
    warned_since = None if full else horizon["warned_through"]
    if full and _overlap_passes():
        # A full pass after an import marks misses by the hundred thousand (work for the
        # database) while raising warnings (work for this process): both at once, the miss
        # pass on a connection of its own. They never meet: at one `at`, a waybill due to
        # be missed has its deadline passed and one due a warning has not.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-sweep-miss") as pool:
            missing = pool.submit(_own_connection, _miss_pass, at, missed_since, counts, in_budget)
            warned_all = _warn_pass(at, warned_since, counts, in_budget)
            miss_done = missing.result()
        warn_done = miss_done and warned_all
    else:
        miss_done = _miss_pass(at, missed_since, counts, in_budget)
        warn_done = miss_done and _warn_pass(at, warned_since, counts, in_budget)
    if _close_due(at, newest_import):
        counts["saved"], counts["returned"] = _close_settled(at, imports_mark)
    _advance(horizon, at, missed=miss_done, warned=warn_done, imports=imports_mark if full and warn_done else None)
    if counts["raised"] or counts["missed"] or counts["saved"] or counts["returned"]:
        logger.info("parcel sweep at=%s raised=%s missed=%s saved=%s returned=%s escalated=%s full=%s",
                    at.isoformat(), counts["raised"], counts["missed"], counts["saved"], counts["returned"],
                    counts["escalated"], full)
    return counts


def _overlap_passes() -> bool:
    """Whether the miss pass may run beside the warn pass: on PostgreSQL (SQLite has one
    writer at a time), outside a transaction (a second connection would not see its
    rows), unless KEFU_SWEEP_OVERLAP is off."""
    return (connection.vendor == "postgresql" and not connection.in_atomic_block
            and settings.KEFU_SWEEP_OVERLAP)


def _own_connection(fn, *args):
    """Run `fn` in this thread on the thread's own database connection, closed after."""
    try:
        return fn(*args)
    finally:
        connection.close()


# ---- the horizon -------------------------------------------------------------


def horizon_reset() -> None:
    """Forget how far the sweep has read: the next sweep reads both candidate indexes
    from the start, and marks nothing twice (the marks stay). For a replay of the past
    (`kefu demo`): a sweep whose `at` lies behind the horizon reads only past it, so a
    replay after a live sweep would find nothing."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM parcels_sweephorizon")


def _horizon() -> dict:
    with connection.cursor() as cursor:
        sql = "SELECT missed_through, warned_through, imports_through FROM parcels_sweephorizon WHERE id = 1"
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:  # the first sweep ever (two at once: both insert, one row)
            cursor.execute("INSERT INTO parcels_sweephorizon (id, imports_through) VALUES (1, 0) "
                           "ON CONFLICT (id) DO NOTHING")
            cursor.execute(sql)
            row = cursor.fetchone()
    missed, warned, imports = row
    return {"missed_through": _aware(missed), "warned_through": _aware(warned), "imports_through": imports}


def _aware(value) -> dt.datetime | None:
    """A time read back through a raw cursor: SQLite gives naive UTC (or text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _imports() -> tuple[int, int]:
    """(the newest scan import a full pass started now covers, the newest scan import).
    A running import is covered only once it has finished."""
    alive_since = timezone.now() - ImportBatch.STALLED_AFTER
    running = Q(state=ImportBatch.State.RUNNING) & (
        Q(progress_at__gte=alive_since) | Q(progress_at__isnull=True, created_at__gte=alive_since))
    figures = ImportBatch.objects.filter(kind=SCANS).aggregate(
        newest=Max("pk"), running=Min("pk", filter=running))
    newest = figures["newest"] or 0
    mark = figures["running"] - 1 if figures["running"] is not None else newest
    return mark, newest


def _advance(horizon: dict, at: dt.datetime, *, missed: bool, warned: bool, imports: int | None) -> None:
    """Move the horizon forward (never back) past what this run has read in full;
    nothing to write when it is there already (an idle sweep at the same time)."""
    sets, params = [], []
    p = _param(at)
    for column, done in (("missed_through", missed), ("warned_through", warned)):
        if done and (horizon[column] is None or horizon[column] < at):
            sets.append(f"{column} = CASE WHEN {column} IS NULL OR {column} < %s THEN %s ELSE {column} END")
            params += [p, p]
    if imports is not None and imports > horizon["imports_through"]:
        sets.append("imports_through = CASE WHEN imports_through < %s THEN %s ELSE imports_through END")
        params += [imports, imports]
    if sets:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Lost in a crash, the horizon only stays behind: the next sweep reads a little more.
                cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(f"UPDATE parcels_sweephorizon SET {', '.join(sets)} WHERE id = 1", params)


# ---- the passes --------------------------------------------------------------


def _miss_pass(at: dt.datetime, since: dt.datetime | None, counts: dict, in_budget) -> bool:
    """Mark the misses due at or before `at` (after `since`); True when it read them all."""
    after: tuple = (_param(since),) if since is not None else ()
    while in_budget():
        n, after = _claim_missed(at, after)
        counts["missed"] += n
        if after is None:
            return True
    return False


def _claim_missed(at: dt.datetime, after: tuple) -> tuple[int, tuple | None]:
    """Mark one batch of misses; returns (marked, the key to read on from or None at the end)."""
    if connection.vendor == "postgresql":
        try:
            return _claim_missed_pg(at, after)
        except IntegrityError:  # another sweep marked one of these waybills meanwhile
            pass
    return _claim_missed_safe(at, after)


@transaction.atomic
def _claim_missed_pg(at: dt.datetime, after: tuple) -> tuple[int, tuple | None]:
    State = ParcelWarning.State
    candidates = _sql(MISS_CANDIDATES_PG, _MISS, after=len(after))
    # The candidate query's positional parameters, renamed for the named style of the whole statement.
    names = ["at"] + [f"k{i}" for i in range(len(after))]
    for name in names:
        candidates = candidates.replace("%s", f"%({name})s", 1)
    params = {"at": _param(at), **{f"k{i}": v for i, v in enumerate(after)}, "missed": State.MISSED.value,
              "open": State.OPEN.value, "acknowledged": State.ACKNOWLEDGED.value,
              "event": WarningEvent.Verb.MISSED.value}
    closed_events = events.closed_sql("closed", verb="%(event)s", at="%(at)s")
    with connection.cursor() as cursor:
        _tune(cursor)
        # A lost commit after a crash only means the next sweep marks these again.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(MISS_BATCH_PG.format(candidates=candidates, events=closed_events), params)
        n_candidates, marked, _closed, last_due, last_id = cursor.fetchone()
    return marked, ((last_due, last_id) if n_candidates == BATCH else None)


@transaction.atomic
def _claim_missed_safe(at: dt.datetime, after: tuple) -> tuple[int, tuple | None]:
    p = _param(at)
    with connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(_sql(MISS_CANDIDATES, _MISS, after=len(after)), [p, *after])
        rows = cursor.fetchall()
        if not rows:
            return 0, None
        ids = [row[0] for row in rows]
        cursor.execute(_mark_sql(MARK_MISSED), [_ids_param(ids), p] if connection.vendor == "postgresql"
                       else [p, _ids_param(ids)])
        claimed = cursor.fetchall()
    last = (_key(rows[-1][1]), rows[-1][0]) if len(rows) == BATCH else None
    # Only a waybill that was warned has a warning to close; a first sweep over a
    # replayed history mostly finds none.
    warned = [wid for wid, warned_at in claimed if warned_at is not None]
    if warned:
        with connection.cursor() as cursor:
            _close(cursor, "waybill_id", warned, ParcelWarning.State.MISSED, WarningEvent.Verb.MISSED, p)
    return len(claimed), last


def _warn_pass(at: dt.datetime, since: dt.datetime | None, counts: dict, in_budget) -> bool:
    after: tuple = (_param(since),) if since is not None else ()
    while in_budget():
        raised, escalated, after = _claim_warnings(at, after)
        counts["raised"] += raised
        counts["escalated"] += escalated
        if after is None:
            return True
    return False


def _claim_warnings(at: dt.datetime, after: tuple) -> tuple[int, int, tuple | None]:
    """Raise one batch of warnings; returns (raised, escalated, the key to read on from or None)."""
    try:
        return _claim_warnings_once(at, after, plain=connection.vendor == "postgresql")
    except IntegrityError:  # another sweep marked one of these waybills meanwhile
        return _claim_warnings_once(at, after, plain=False)


@transaction.atomic
def _claim_warnings_once(at: dt.datetime, after: tuple, *, plain: bool) -> tuple[int, int, tuple | None]:
    p = _param(at)
    with connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(_sql(WARN_CANDIDATES, _WARN, after=len(after)), [p, *after, p, p])
        rows = cursor.fetchall()
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_seqscan")  # set for the candidates' probes (_tune), not for routing
        if not rows:
            return 0, 0, None
        ids = [r[0] for r in rows]
        if plain:
            # The candidates had no mark a moment ago in this transaction; a plain insert is
            # cheaper than ON CONFLICT, and a sweep that marked one meanwhile makes it fail.
            cursor.execute("INSERT INTO parcels_waybillmark (waybill_id, warned_at) "
                           "SELECT unnest(%s::bigint[]), %s", [_ids_param(ids), p])
            won = set(ids)
        else:
            cursor.execute(_mark_sql(MARK_WARNED), [_ids_param(ids), p] if connection.vendor == "postgresql"
                           else [p, _ids_param(ids)])
            won = {r[0] for r in cursor.fetchall()}
        last = None
        if len(rows) == BATCH:  # the key of the last candidate, to read on from (one lookup, not a time per row)
            cursor.execute(f"SELECT {_compiled(connection.vendor)[_WARN][1]}, deadline FROM parcels_waybill "
                           "WHERE id = %s", [ids[-1]])
            wdue, deadline = cursor.fetchone()
            last = (_key(wdue), _key(deadline), ids[-1])
        claimed = [r for r in rows if r[0] in won]
        # Times read only for the waybills settled later (SQLite hands back naive times).
        ahead = [settled for settled, deadline in ((_aware(r[8]), _aware(r[5])) for r in claimed if r[8] is not None)
                 if settled <= deadline]
        if ahead:
            cursor.execute(NOTE_SETTLEMENT, [_param(min(ahead))] * 2)
    escalated = routing.raise_warnings(claimed, at=at) if claimed else 0
    return len(claimed), escalated, last


def _close_due(at: dt.datetime, newest_import: int) -> bool:
    """Whether settled warnings need a look: never looked, a scan import since the last
    look, or a settlement ahead of the last look is due by `at`. Read after the passes:
    a warning raised meanwhile may have brought the next look forward."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT closes_imports_through, next_close_at FROM parcels_sweephorizon WHERE id = 1")
        through, next_at = cursor.fetchone()
    next_at = _aware(next_at)
    return through is None or newest_import > through or (next_at is not None and next_at <= at)


@transaction.atomic
def _close_settled(at: dt.datetime, imports_mark: int) -> tuple[int, int]:
    """(saved, returned) warnings closed by this run. Records when the next look is due."""
    State = ParcelWarning.State
    p = _param(at)
    opened = [State.OPEN.value, State.ACKNOWLEDGED.value]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The horizon row first: a sweep raising a warning meanwhile moves next_close_at
            # after this look has written its own (SQLite's transactions take the write lock
            # at BEGIN).
            cursor.execute("SELECT 1 FROM parcels_sweephorizon WHERE id = 1 FOR UPDATE")
        cursor.execute(SETTLED_SQL, [*opened, p, *opened, p])
        saved, returned, next_at = [], [], None
        for wid, signed, next_settled in cursor.fetchall():
            if wid is None:
                next_at = next_settled
            else:
                (saved if signed else returned).append(wid)
        counts = []
        Verb = WarningEvent.Verb
        for ids, state, verb in ((saved, State.SAVED, Verb.SAVED), (returned, State.RETURNED, Verb.RETURNED)):
            counts.append(_close(cursor, "id", ids, state, verb, p) if ids else 0)
        cursor.execute("UPDATE parcels_sweephorizon SET closes_imports_through = %s, next_close_at = %s WHERE id = 1",
                       [imports_mark, next_at])
    return counts[0], counts[1]


def _close(cursor, column: str, ids: list[int], state: str, verb: str, p) -> int:
    """Close the warnings of `ids` (by `column`: id or waybill_id) still open or
    acknowledged as `state` at `p` (the sweep's time, a parameter), with a `verb`
    event each; returns how many. PostgreSQL: one statement, the events from the
    UPDATE's RETURNING. SQLite: the ids it returns, then one INSERT, in the
    transaction that holds the only write lock."""
    opened = [ParcelWarning.State.OPEN.value, ParcelWarning.State.ACKNOWLEDGED.value]
    close = _mark_sql(CLOSE_SQL.replace("{column}", column))
    if connection.vendor == "postgresql":
        cursor.execute(f"WITH closed AS ({close}) " + events.closed_sql("closed", verb="%s", at="%s"),
                       [p, state, _ids_param(ids), *opened, verb, p])
        return cursor.rowcount
    cursor.execute(close, [p, state, _ids_param(ids), *opened])
    closed = [row[0] for row in cursor.fetchall()]
    if closed:
        cursor.execute(events.closed_sql("json_each(%s)", column="value", verb="%s", at="%s"),
                       [verb, p, _ids_param(closed)])
    return len(closed)
