"""Thirty days of platform messages (留言) for the demo point, ending now.

Volumes follow seed 000 (800–1,200 messages a day for 8 agents) with a
weekly rhythm and the Double-11 wave. Each message becomes an imported
ticket whose fields come from the same rules the services use: category and
kind from the import's keyword rule, priority from `priority_for`, SLA
clocks from the matching policy in business minutes, routing area owner →
named agent → least-loaded agent of the queue. Its life (replies, waits,
follow-ups, escalations, ratings, reopenings) is played by `life.Life` and
cut at `now`, so the most recent tickets are still open in every state.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field

from kefu.core import business_time
from kefu.core.tz import SHANGHAI
from kefu.customers.models import Customer
from kefu.demo import names, stories, texts
from kefu.demo.life import Life
from kefu.demo.org import DemoOrg
from kefu.demo.rows import Row, Table
from kefu.orgs.models import Area, User
from kefu.tickets import services as ticket_services
from kefu.tickets import sla
from kefu.tickets.models import Category, Channel, Event, FollowUp, Message, Status, Ticket
from kefu.tickets.routing import priority_for
from kefu.tickets.taxonomy import guess_category_code, guess_kind

WEEKDAY_FACTOR = (1.12, 1.06, 1.02, 1.0, 0.98, 0.9, 0.86)  # Monday first: weekend parcels land on Monday
DOUBLE_11 = {11: 1.25, 12: 1.7, 13: 2.0, 14: 1.9, 15: 1.6, 16: 1.35, 17: 1.15}  # day of November
HOUR_WEIGHTS = (
    0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3.5, 6.0, 7.0, 7.0,
    5.5, 5.5, 6.5, 7.0, 6.5, 5.5, 4.5, 4.0, 3.5, 3.0, 2.0, 1.0,
)
# code: (weight, share in the departure queue, share written as a complaint)
CATEGORY_MIX = {
    "delay": (30, 0.25, 0.03), "upstairs": (6, 0.0, 0.1), "unreachable": (8, 0.0, 0.05),
    "bad_address": (7, 0.2, 0.0), "overcharge": (3, 0.5, 0.3), "refused": (4, 0.6, 0.1),
    "lost": (2.5, 0.3, 1.0), "false_signoff": (4.5, 0.0, 1.0), "partial_load": (3, 0.5, 0.2),
    "timeliness": (2.5, 0.2, 1.0), "damaged": (4, 0.3, 1.0), "slow_dispatch": (6, 1.0, 0.15),
    "slow_arrival": (5, 0.1, 0.15), "missing_item": (2, 0.1, 0.2), "wrong_item": (2, 0.1, 0.2),
    "extra_item": (0.5, 0.1, 0.0), "product": (1.5, 0.1, 0.2), "counterfeit": (0.5, 0.1, 0.3),
    "slow_refund": (1.5, 0.3, 1.0), "attitude": (2.5, 0.1, 1.0),
}
SENDER_WEIGHT = {Customer.Tier.KA: 25, Customer.Tier.HIGH: 6, Customer.Tier.MID: 2.5, Customer.Tier.REGULAR: 1}
RECIPIENT_WEIGHT = {Customer.Tier.KA: 10, Customer.Tier.HIGH: 4, Customer.Tier.MID: 2, Customer.Tier.REGULAR: 1}


@dataclass
class Draft:
    """What one platform message says, before routing."""

    created_at: dt.datetime
    message_id: str
    waybill_no: str
    content: str
    queue: str
    category: Category | None
    kind: str
    customer: Customer | None
    area: Area | None
    contact_name: str
    contact_phone: str
    courier: User
    volume_factor: float

    def create_kwargs(self) -> dict:
        """The arguments of `ticket_services.ticket_create` for this message (as the import passes them)."""
        return {
            "subject": self.content.splitlines()[0][:60], "description": self.content,
            "queue": self.queue, "channel": Channel.IMPORT, "kind": self.kind,
            "waybill_no": self.waybill_no, "customer": self.customer,
            "contact_name": self.contact_name if self.customer is None else "",
            "contact_phone": self.contact_phone, "category": self.category, "area": self.area,
            "platform_message_id": self.message_id, "created_at": self.created_at,
        }


@dataclass
class Generator:
    """The demo's messages and their routing, drawn from one seeded `rng`."""

    org: DemoOrg
    rng: random.Random
    now: dt.datetime
    categories: dict[str, Category]
    policies: dict[tuple, object] = field(default_factory=dict)
    loads: dict[int, list] = field(default_factory=dict)
    recent_waybills: deque = field(default_factory=lambda: deque(maxlen=300))

    def __post_init__(self):
        point = self.org.point
        self.hours = {"day_start": point.business_start, "day_end": point.business_end}
        self.queue_agents = {}
        for agent in sorted(self.org.agents, key=lambda a: a.pk):
            self.queue_agents.setdefault(agent.queue, []).append(agent)
        self.areas = self.org.areas
        self.area_weights = [self.rng.uniform(0.5, 2.0) for _ in self.areas]
        self.couriers = [c for cs in self.org.area_couriers.values() for c in cs]
        codes = list(CATEGORY_MIX)
        self.category_codes, self.category_weights = codes, [CATEGORY_MIX[c][0] for c in codes]
        customers = self.org.customers
        self.senders = [c for c in customers if c.kind != Customer.Kind.WALK_IN or self.rng.random() < 0.4]
        self.sender_weights = [SENDER_WEIGHT[c.tier] for c in self.senders]
        self.recipient_weights = [RECIPIENT_WEIGHT[c.tier] for c in customers]

    # -- time -----------------------------------------------------------------------
    def business_add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        return business_time.add_business_minutes(start, max(1, round(minutes)), **self.hours)

    def sla_times(self, *, created_at, queue: str, category: Category | None, tier: str) -> sla.SLATimes:
        """`sla.compute`, with the policy look-up cached per (queue, category, tier)."""
        key = (queue, category.pk if category else None, tier)
        if key not in self.policies:
            self.policies[key] = sla.policy_for(
                point_id=self.org.point.pk, queue=queue, category_id=key[1], tier=tier
            )
        policy = self.policies[key]
        first = policy.first_response_minutes if policy else sla.DEFAULT_FIRST_RESPONSE
        resolution = policy.resolution_minutes if policy else sla.DEFAULT_RESOLUTION
        warn = policy.warn_before_minutes if policy else sla.DEFAULT_WARN_BEFORE
        fr_due = business_time.add_business_minutes(created_at, first, **self.hours)
        res_due = business_time.add_business_minutes(created_at, resolution, **self.hours)
        return sla.SLATimes(
            policy=policy, first_response_due=fr_due,
            first_response_warn_at=self._warn_at(created_at, fr_due, warn),
            resolution_due=res_due, resolution_warn_at=self._warn_at(created_at, res_due, warn),
        )

    def _warn_at(self, created, due, warn: int) -> dt.datetime:
        return max(business_time.subtract_business_minutes(due, warn, **self.hours), created)

    # -- messages -------------------------------------------------------------------
    def arrivals(self, *, days: int, per_day: int) -> list[tuple[dt.datetime, float]]:
        """(time, that day's volume factor) of every message from `days` days ago until now."""
        today = self.now.astimezone(SHANGHAI).date()
        out = []
        for offset in range(days - 1, -1, -1):
            day = today - dt.timedelta(days=offset)
            factor = WEEKDAY_FACTOR[day.weekday()] * self.rng.gauss(1.0, 0.05)
            if day.month == 11:
                factor *= DOUBLE_11.get(day.day, 1.0)
            count = max(0, round(per_day * factor))
            hours = self.rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
            for hour in sorted(hours):
                at = dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI) + dt.timedelta(
                    seconds=self.rng.randrange(3600)
                )
                if at <= self.now:
                    out.append((at, factor))
        out.sort(key=lambda pair: pair[0])
        return out

    def draft(self, created_at: dt.datetime, volume_factor: float, seq: int) -> Draft:
        rng = self.rng
        code = rng.choices(self.category_codes, weights=self.category_weights, k=1)[0]
        _weight, departure_share, complaint_share = CATEGORY_MIX[code]
        queue = "departure" if rng.random() < departure_share else "arrival"
        customer, area = self._who(queue)
        contact_name = customer.name if customer else names.polite_name(rng)
        contact_phone = customer.phone if customer else names.phone(rng)
        couriers = self.org.area_couriers.get(area.pk, []) if area else []
        courier = rng.choice(couriers or self.couriers)
        waybill = self._waybill()
        usual, complaints = texts.CUSTOMER_TEXTS[code]
        pool = complaints if complaints and (not usual or rng.random() < complaint_share) else usual
        content = texts.fill(
            rng, rng.choice(pool), place=area.name if area else names.community(rng),
            place2=names.community(rng), b=names.building(rng), tail=waybill[-4:],
            phone=contact_phone, point=self.org.point.name, courier=courier.display_name,
        )
        guessed = guess_category_code(content)
        return Draft(
            created_at=created_at, message_id=f"LY{created_at.astimezone(SHANGHAI):%Y%m%d}{seq:06d}",
            waybill_no=waybill, content=content, queue=queue,
            category=self.categories.get(guessed) if guessed else None, kind=guess_kind(content),
            customer=customer, area=area if customer is None else None,
            contact_name=contact_name, contact_phone=contact_phone, courier=courier,
            volume_factor=volume_factor,
        )

    def _who(self, queue: str) -> tuple[Customer | None, Area | None]:
        rng = self.rng
        if queue == "departure":
            if rng.random() < 0.85:
                customer = rng.choices(self.senders, weights=self.sender_weights, k=1)[0]
                return customer, customer.area
            return None, None
        if rng.random() < 0.1:
            customer = rng.choices(self.org.customers, weights=self.recipient_weights, k=1)[0]
            return customer, customer.area
        return None, rng.choices(self.areas, weights=self.area_weights, k=1)[0]

    def _waybill(self) -> str:
        # Some parcels get a second message a day or two later (催了又催).
        if self.recent_waybills and self.rng.random() < 0.03:
            return self.rng.choice(self.recent_waybills)
        waybill = names.waybill(self.rng)
        self.recent_waybills.append(waybill)
        return waybill

    # -- routing --------------------------------------------------------------------
    def route(self, draft: Draft) -> tuple[User | None, str]:
        """`kefu.tickets.routing.choose_assignee`, with the open load of each agent replayed in memory."""
        area = draft.area or (draft.customer.area if draft.customer else None)
        if area is not None and area.owner is not None and area.owner.is_active:
            return area.owner, "area_owner"
        customer = draft.customer
        if customer is not None and customer.named_agent is not None and customer.named_agent.is_active:
            return customer.named_agent, "named_agent"
        best, best_load = None, math.inf
        for agent in self.queue_agents.get(draft.queue, []):
            load = self._load(agent, draft.created_at)
            if load < best_load:
                best, best_load = agent, load
        return (best, "least_loaded") if best else (None, "unassigned")

    def _load(self, agent: User, at: dt.datetime) -> int:
        heap = self.loads.setdefault(agent.pk, [])
        while heap and heap[0] <= at.timestamp():
            heapq.heappop(heap)
        return len(heap)

    def count_load(self, agent: User | None, ticket: Row) -> None:
        """Count `ticket` in `agent`'s open load until it leaves the open states."""
        if agent is None:
            return
        leaves = ticket.resolved_at or ticket.closed_at
        until = math.inf if ticket.is_open or leaves is None else leaves.timestamp()
        heapq.heappush(self.loads.setdefault(agent.pk, []), until)

    # -- the ticket row ---------------------------------------------------------------
    def ticket(self, draft: Draft, agent: User | None) -> Row:
        """The row `ticket_create` would write for this message."""
        customer = draft.customer
        area = draft.area or (customer.area if customer else None)
        tier = customer.tier if customer else Customer.Tier.REGULAR
        times = self.sla_times(created_at=draft.created_at, queue=draft.queue,
                               category=draft.category, tier=tier)
        kw = draft.create_kwargs()
        return Row(
            point=self.org.point, subject=kw["subject"], description=draft.content,
            queue=draft.queue, channel=Channel.IMPORT, kind=draft.kind,
            waybill_no=draft.waybill_no.strip().upper(), customer=customer,
            contact_name=kw["contact_name"] or (customer.name if customer else ""),
            contact_phone=draft.contact_phone or (customer.phone if customer else ""),
            category=draft.category, area=area, platform_message_id=draft.message_id,
            priority=priority_for(customer=customer, category=draft.category, kind=draft.kind),
            created_at=draft.created_at, updated_at=draft.created_at, sla_policy=times.policy,
            first_response_due=times.first_response_due,
            first_response_warn_at=times.first_response_warn_at,
            resolution_due=times.resolution_due, resolution_warn_at=times.resolution_warn_at,
            assignee=agent, courier=None, status=Status.NEW, is_open=True, reopen_count=0,
            first_responded_at=None, resolved_at=None, closed_at=None, satisfaction=None,
        )


def build_history(org: DemoOrg, *, rng: random.Random, now: dt.datetime, days: int,
                  per_day: int, via_services: int = 50) -> int:
    """Write the point's tickets; the last `via_services` messages go through the
    ticket services (with their notifications). Returns the number of tickets."""
    categories = {c.code: c for c in Category.objects.filter(point__isnull=True, active=True)}
    gen = Generator(org=org, rng=rng, now=now, categories=categories)
    drafts = [gen.draft(at, factor, seq) for seq, (at, factor) in
              enumerate(gen.arrivals(days=days, per_day=per_day), start=1)]
    split = max(0, len(drafts) - via_services)
    lives = []
    for draft in drafts[:split]:
        agent, reason = gen.route(draft)
        life = Life(gen.ticket(draft, agent), now=now)
        life.create(reason=reason)
        stories.play(gen, life, courier=draft.courier,
                     category_code=draft.category.code if draft.category else "delay",
                     volume_factor=draft.volume_factor)
        life.replay_sla_sweep(dt.timedelta(seconds=rng.randint(1, 60)))
        gen.count_load(agent, life.ticket)
        lives.append(life)
    _write(lives, point_id=org.point.pk)
    for draft in drafts[split:]:
        _create_through_services(gen, draft)
    return len(drafts)


def _write(lives: list[Life], *, point_id: int) -> None:
    """Insert the rows of every life: tickets, then messages, events and follow-ups,
    each table in one pass. Row ids are read back: tickets by their platform
    message id, messages in insertion order (these tickets have no others)."""
    quiet = {Event.Verb.SLA_WARNING, Event.Verb.SLA_BREACH}
    for life in lives:
        changes = [e.created_at for e in life.events if e.verb not in quiet]
        life.ticket.updated_at = max(changes, default=life.ticket.created_at)
    Table(Ticket).insert(life.ticket for life in lives)
    ids = dict(Ticket.objects.filter(point_id=point_id).values_list("platform_message_id", "pk"))
    for life in lives:
        life.ticket.pk = ids[life.ticket.platform_message_id]
    messages = [m for life in lives for m in life.messages]
    Table(Message).insert(messages)
    message_ids = Message.objects.filter(ticket__point_id=point_id).order_by("pk").values_list("pk", flat=True)
    for message, pk in zip(messages, message_ids, strict=True):
        message.pk = pk
    events = []
    for life in lives:
        for event in sorted(life.events, key=lambda e: e.created_at):
            if event.message is not None:
                event.data["message"] = event.message.pk
            events.append(event)
    Table(Event).insert(events)
    Table(FollowUp).insert(f for life in lives for f in life.followups)


def _create_through_services(gen: Generator, draft: Draft) -> None:
    ticket = ticket_services.ticket_create(point=gen.org.point, **draft.create_kwargs())
    agent = ticket.assignee
    if agent is None:
        return
    answered = gen.business_add(draft.created_at, gen.rng.lognormvariate(math.log(25), 0.7))
    if answered <= gen.now:
        body = texts.fill(gen.rng, gen.rng.choice(texts.FIRST_REPLIES),
                          courier=draft.courier.display_name, point=gen.org.point.name)
        ticket_services.ticket_reply(ticket=ticket, actor=agent, body=body, at=answered)
