"""Writing notifications. Callers only ever call `notify` (or `notify_each`, its
bulk form for notices whose parameters differ by recipient): it writes the
in-app notice and, in the same transaction, one outbox row per matching channel
(webhook robots, email). `outbox_send` delivers the outbox later, outside any
transaction, with leases and exponential backoff.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core.ttlcache import MISSING, TTLCache
from kefu.notifications import channels as delivery
from kefu.notifications import kinds, selectors
from kefu.notifications.models import Channel, Notification, OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)  # longer than a claimed batch can take (BATCH × 5 s timeout)
BATCH = 10
OUTBOX_LANGUAGE = "zh-hans"

# Users and points known to have no enabled channel, kept for a few seconds: most
# have none, and then a notice (one per created ticket) needs no channel query.
# Only the absence is cached, never a channel (a deleted one must not be used).
# Adding or enabling a channel clears this process's copy; other processes see a
# new channel within NO_CHANNEL_CACHE_SECONDS.
NO_CHANNEL_CACHE_SECONDS = 10.0
_no_channel = TTLCache(NO_CHANNEL_CACHE_SECONDS, max_entries=4096)


def notify(*, users: Iterable, verb: str, params: dict | None = None, link: str = "") -> int:
    """Put one notice in each distinct user's inbox and queue its copies for the
    user's channels and their points' group channels. Returns how many notices
    were written. A failure while queueing never loses the in-app notice."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, verb=verb, params=params or {}, link=link))
    return _write(rows, verb=verb, one_call=True)


def notify_each(*, items: Iterable[tuple], verb: str, link: str = "") -> int:
    """The bulk form of `notify` for notices whose parameters differ by recipient:
    `items` are (user, params) pairs, and the result is what one
    `notify(users=[user], verb=verb, params=params, link=link)` per pair would
    write — one notice each, its copies for the user's channels, and one post per
    pair for the group robot of the user's point — in three queries however many
    pairs (inbox rows, channels, outbox rows; a bulk insert splits only past the
    database's parameter limit). Pairs without a user are skipped.
    Returns how many notices were written."""
    rows = [Notification(user=user, verb=verb, params=params or {}, link=link)
            for user, params in items if user is not None]
    return _write(rows, verb=verb, one_call=False)


def _write(rows: list[Notification], *, verb: str, one_call: bool) -> int:
    if not rows:
        return 0
    # No savepoint of our own: inside the caller's transaction this costs no query.
    with transaction.atomic(savepoint=False):
        Notification.objects.bulk_create(rows)
        try:
            messages = _outbox_rows(rows, verb=verb, one_call=one_call)
        except DatabaseError:
            raise  # the transaction is broken; hiding that would lose more than a copy
        except Exception:
            logger.exception("outbox enqueue failed verb=%s users=%s", verb, len(rows))
            messages = []
        if messages:
            try:
                with transaction.atomic():  # a savepoint: the inbox rows stay if this fails
                    OutboxMessage.objects.bulk_create(messages)
            except Exception:
                logger.exception("outbox enqueue failed verb=%s users=%s", verb, len(rows))
    return len(rows)


def _outbox_rows(rows: list[Notification], *, verb: str, one_call: bool = True) -> list[OutboxMessage]:
    """One unsaved outbox row per (notice, enabled channel taking this verb); one query.
    `one_call`: the rows are one `notify` call (the same params; one group post per
    point); else each row stands for a call of its own."""
    point_of = {n.user_id: n.user.point_id for n in rows}
    point_ids = {p for p in point_of.values() if p is not None}
    keys = [("user", u) for u in point_of] + [("point", p) for p in point_ids]
    if all(_no_channel.get(k) is not MISSING for k in keys):
        return []
    generation = _no_channel.generation
    found = list(Channel.objects.filter(
        Q(user_id__in=list(point_of)) | Q(point_id__in=point_ids), enabled=True
    ))
    owners = {("user", c.user_id) if c.user_id is not None else ("point", c.point_id) for c in found}
    for key in keys:
        if key not in owners:
            _no_channel.put(key, True, generation=generation)
    chosen = [c for c in found if c.accepts(verb)]
    if not chosen:
        return []
    rendered: dict[str, tuple[str, str]] = {}

    def render(n: Notification) -> tuple[str, str]:
        key = "" if one_call else json.dumps(n.params, sort_keys=True, default=str)
        if key not in rendered:
            rendered[key] = _render(n)
        return rendered[key]

    now = timezone.now()
    messages = []
    for channel in chosen:
        if channel.user_id is not None:
            targets = [n for n in rows if n.user_id == channel.user_id]
        else:
            # A group robot gets one post per call, however many of its point are addressed.
            targets = [n for n in rows if point_of[n.user_id] == channel.point_id]
            if one_call:
                targets = targets[:1]
        for n in targets:
            subject, text = render(n)
            messages.append(OutboxMessage(
                channel=channel, notification=n, next_attempt_at=now,
                payload=delivery.build_payload(channel.kind, subject=subject, text=text),
            ))
    return messages


def _render(n: Notification) -> tuple[str, str]:
    """Subject and text in Chinese: a channel has no reader whose language we know."""
    with translation.override(OUTBOX_LANGUAGE):
        subject = kinds.label(n.verb)
        text = selectors.describe(n)
    site = getattr(settings, "KEFU_SITE_URL", "")
    if site and n.link:
        text = f"{text}\n{site.rstrip('/')}{n.link}"
    return subject, text


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- Channels -------------------------------------------------------------


def _clean_channel(*, kind: str, target: str, verbs: Iterable[str] | None) -> tuple[str, list[str]]:
    if kind not in Channel.Kind.values:
        raise ValidationError({"kind": _("Unknown channel kind.")})
    target = (target or "").strip()
    if kind == Channel.Kind.EMAIL:
        try:
            validate_email(target)
        except ValidationError:
            raise ValidationError({"target": _("Enter a valid email address.")}) from None
    elif not delivery.is_webhook_url(target) or len(target) > 500:
        raise ValidationError({"target": _("Enter a webhook URL that starts with http:// or https://.")})
    verbs = sorted(set(verbs or []))
    known = set(kinds.verbs())
    if any(v not in known for v in verbs):
        raise ValidationError({"verbs": _("Unknown notice kind.")})
    return target, verbs


@transaction.atomic
def channel_add(*, user, kind: str, target: str, verbs: Iterable[str] | None = None,
                for_point: bool = False) -> Channel:
    """Add a channel for `user`, or with `for_point` a group channel of the user's
    point (owners, directors and managers only). `verbs` empty means every notice.
    Raises ValidationError (by field) or PermissionDenied."""
    target, verbs = _clean_channel(kind=kind, target=target, verbs=verbs)
    if for_point:
        if not selectors.can_manage_point_channels(user):
            raise PermissionDenied
        channel = Channel.objects.create(point_id=user.point_id, kind=kind, target=target, verbs=verbs)
    else:
        channel = Channel.objects.create(user=user, kind=kind, target=target, verbs=verbs)
    _forget_no_channel()
    return channel


def _forget_no_channel() -> None:
    """A channel was added or enabled: now, and again at commit (a notice may have
    looked meanwhile)."""
    _no_channel.clear()
    transaction.on_commit(_no_channel.clear)


@transaction.atomic
def channel_set_enabled(*, user, channel_id: int, enabled: bool) -> Channel:
    channel = selectors.channel_access(user, channel_id)
    Channel.objects.filter(pk=channel.pk).update(enabled=enabled)
    channel.enabled = enabled
    if enabled:
        _forget_no_channel()
    return channel


@transaction.atomic
def channel_delete(*, user, channel_id: int) -> None:
    """Delete a channel and its undelivered outbox rows (the inbox keeps every notice)."""
    selectors.channel_access(user, channel_id).delete()


# --- Outbox delivery --------------------------------------------------------


def outbox_send(*, now: dt.datetime | None = None, limit: int = 100,
                budget_s: float = 30.0) -> dict[str, int]:
    """Deliver up to `limit` due outbox rows; returns counts by resulting state.

    Deliberately not atomic: each claim and each result commits on its own, so no
    HTTP call ever runs inside a transaction. Safe in several workers at once: a
    row is claimed by a conditional UPDATE that sets a lease (`claimed_until`) and
    a token, and only the token's holder records the result. Stops starting new
    batches after `budget_s` seconds. `now` is for tests.
    """
    counts: Counter[str] = Counter()
    started = time.monotonic()
    while sum(counts.values()) < limit and time.monotonic() - started < budget_s:
        at = now or timezone.now()
        batch = _claim(now=at, limit=min(BATCH, limit - sum(counts.values())))
        if not batch:
            break
        for message in batch:
            counts[_send_one(message, now=now)] += 1
    return dict(counts)


@transaction.atomic
def _claim(*, now: dt.datetime, limit: int) -> list[OutboxMessage]:
    due = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.FAILED],
        next_attempt_at__lte=now,
    )
    # On PostgreSQL concurrent workers skip each other's rows; SQLite ignores this
    # and serialises writers. The conditional UPDATE below decides in both cases.
    ids = list(
        due.select_for_update(skip_locked=True)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    token = uuid.uuid4().hex
    due.filter(pk__in=ids).update(claimed_until=now + LEASE, claim_token=token)
    return list(OutboxMessage.objects.filter(claim_token=token).select_related("channel"))


def _send_one(message: OutboxMessage, *, now: dt.datetime | None) -> str:
    channel = message.channel
    if not channel.enabled:
        return _finish(message, state=OutboxMessage.State.DEAD, now=now,
                       error="channel disabled before delivery")
    try:
        delivery.deliver(channel.kind, channel.target, message.payload)
    except delivery.DeliveryError as exc:
        return _failed(message, error=str(exc), now=now)
    except Exception as exc:  # a broken channel must not stop the others
        return _failed(message, error=f"{type(exc).__name__}: {exc}", now=now)
    return _finish(message, state=OutboxMessage.State.SENT, now=now)


def _failed(message: OutboxMessage, *, error: str, now: dt.datetime | None) -> str:
    attempts = message.attempts + 1
    logger.warning("outbox delivery failed id=%s channel=%s attempt=%s error=%s",
                   message.pk, message.channel_id, attempts, error[:200])
    if attempts >= MAX_ATTEMPTS:
        return _finish(message, state=OutboxMessage.State.DEAD, now=now, error=error)
    at = now or timezone.now()
    delay = dt.timedelta(minutes=2 ** (attempts - 1))  # 1, 2, 4, 8 … minutes
    return _finish(message, state=OutboxMessage.State.FAILED, now=now, error=error,
                   next_attempt_at=at + delay)


def _finish(message: OutboxMessage, *, state: str, now: dt.datetime | None, error: str = "",
            next_attempt_at: dt.datetime | None = None) -> str:
    """Record one attempt; only the holder of the claim may (a stale worker whose
    lease ran out writes nothing)."""
    at = now or timezone.now()
    changes = {"state": state, "attempts": F("attempts") + 1, "claimed_until": None,
               "claim_token": "", "last_error": error[:delivery.MAX_ERROR_CHARS]}
    if state == OutboxMessage.State.SENT:
        changes["sent_at"] = at
    if next_attempt_at is not None:
        changes["next_attempt_at"] = next_attempt_at
    updated = OutboxMessage.objects.filter(
        pk=message.pk, claim_token=message.claim_token
    ).update(**changes)
    if updated != 1:
        logger.warning("outbox claim lost id=%s", message.pk)
    return state


# --- Purging old rows -------------------------------------------------------

PURGE_BATCH = 1000


def notifications_purge(*, now: dt.datetime | None = None, batch: int = PURGE_BATCH,
                        budget_s: float = 30.0) -> dict[str, int]:
    """Delete what nobody needs any more; returns how many rows of each kind.

    - outbox rows sent more than KEFU_OUTBOX_SENT_RETENTION_DAYS ago;
    - dead outbox rows (given up, or their channel disabled) whose last attempt was
      due more than KEFU_OUTBOX_DEAD_RETENTION_DAYS ago;
    - in-app notices read more than KEFU_READ_NOTIFICATION_RETENTION_DAYS ago, with
      their outbox rows, unless one of those is still to be sent. Unread notices stay.

    Deletes at most `batch` rows per statement, each batch committed on its own (no
    long lock, no huge transaction), and starts no new batch after `budget_s`
    seconds: a backlog is worked off over several runs. Idempotent; safe in several
    workers at once (a row deleted twice is deleted once). `now` is for tests.
    """
    now = now or timezone.now()
    deadline = time.monotonic() + budget_s
    days = dt.timedelta(days=1)
    sent_before = now - settings.KEFU_OUTBOX_SENT_RETENTION_DAYS * days
    dead_before = now - settings.KEFU_OUTBOX_DEAD_RETENTION_DAYS * days
    read_before = now - settings.KEFU_READ_NOTIFICATION_RETENTION_DAYS * days
    # next_attempt_at <= sent_at (a row is sent once due): the redundant condition
    # lets the (state, next_attempt_at) index find the rows.
    sent = OutboxMessage.objects.filter(state=OutboxMessage.State.SENT, next_attempt_at__lt=sent_before,
                                        sent_at__lt=sent_before)
    dead = OutboxMessage.objects.filter(state=OutboxMessage.State.DEAD, next_attempt_at__lt=dead_before)
    undelivered = OutboxMessage.objects.filter(
        notification=OuterRef("pk"), state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.FAILED])
    read = Notification.objects.filter(read_at__lt=read_before).exclude(Exists(undelivered))
    counts = {
        "outbox_sent": _delete_in_batches(sent, batch=batch, deadline=deadline),
        "outbox_dead": _delete_in_batches(dead, batch=batch, deadline=deadline),
        "notifications_read": _delete_in_batches(read, batch=batch, deadline=deadline),
    }
    logger.info("notifications purged outbox_sent=%s outbox_dead=%s notifications_read=%s",
                counts["outbox_sent"], counts["outbox_dead"], counts["notifications_read"])
    return counts


def _delete_in_batches(rows, *, batch: int, deadline: float) -> int:
    """Delete `rows` `batch` at a time in primary-key order, each batch from where the
    last one stopped (nothing looked at twice); no new batch after `deadline`
    (time.monotonic()). A notice's outbox rows go with it (one DELETE … IN per batch)."""
    deleted, after = 0, 0
    while True:
        ids = list(rows.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            _, by_model = rows.filter(pk__in=ids).only("pk").delete()
        deleted += by_model.get(rows.model._meta.label, 0)
        after = ids[-1]
        if len(ids) < batch or time.monotonic() >= deadline:
            return deleted
