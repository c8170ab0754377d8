"""How a demo ticket is handled, from the first answer to the rating.

Three paths, chosen by category: answered at once (most inquiries), checked
with the courier or a department first (waiting_internal, sometimes with a
vertical follow-up by a department head, seed 000), or waiting on the
customer (wrong address, unreachable recipient, photos of a damage). On top:
escalations to the team lead, internal notes, reopenings, satisfaction and
closing. Response times depend on the agent's level, the ticket's priority
and the day's volume; a few problems get stuck for days.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from kefu.core.business_time import SHANGHAI
from kefu.demo import names, texts
from kefu.demo.life import Life
from kefu.orgs.models import Department
from kefu.tickets.models import Kind, Priority, Status

PRIORITY_SPEED = {Priority.URGENT: 0.5, Priority.HIGH: 0.7, Priority.NORMAL: 1.0, Priority.LOW: 1.2}
LEVEL_SPEED = {"senior": 0.7, "elite": 0.85, "specialist": 1.0, "newcomer": 1.35}
# code: (share waiting on the customer, share checked internally first)
PATHS = {
    "bad_address": (0.6, 0.1), "unreachable": (0.5, 0.2), "refused": (0.3, 0.3),
    "damaged": (0.3, 0.5), "delay": (0.03, 0.45), "upstairs": (0.05, 0.4),
    "false_signoff": (0.05, 0.7), "lost": (0.05, 0.8), "partial_load": (0.05, 0.6),
    "timeliness": (0.05, 0.6), "attitude": (0.05, 0.6), "overcharge": (0.05, 0.5),
    "slow_dispatch": (0.0, 0.5),
}
FOLLOWUP_TO = {"slow_dispatch": Department.Kind.SALES, "attitude": Department.Kind.SALES,
               "overcharge": Department.Kind.FINANCE, "slow_refund": Department.Kind.FINANCE}
FOLLOWUP_HEADS = {Department.Kind.OPERATIONS: "caozuo", Department.Kind.SALES: "yingxiao",
                  Department.Kind.FINANCE: "caiwu"}
# Messages left overnight and the 10:00 and 15:00 peaks wait longest for a first answer.
RUSH_HOURS = {0: 1.5, 1: 1.5, 2: 1.5, 3: 1.5, 4: 1.5, 5: 1.5, 6: 1.5, 7: 1.5, 8: 1.3,
              9: 1.2, 10: 1.3, 11: 1.2, 14: 1.1, 15: 1.3, 16: 1.2}
SCORES = ((5, 55), (4, 25), (3, 10), (2, 6), (1, 4))


def _minutes(rng: random.Random, median: float, sigma: float = 0.7) -> float:
    return rng.lognormvariate(math.log(max(median, 1)), sigma)


def play(gen, life: Life, *, courier, category_code: str, volume_factor: float) -> None:
    """Play the ticket's handling by its assignee until it is resolved or `now` is reached."""
    t, rng = life.ticket, gen.rng
    agent = t.assignee
    if agent is None:
        return
    # Slower for a newcomer, a low priority, a peak day and the morning rush.
    rush = RUSH_HOURS.get(t.created_at.astimezone(SHANGHAI).hour, 1.0)
    speed = (LEVEL_SPEED.get(agent.agent_level, 1.0) * PRIORITY_SPEED[t.priority]
             * max(1.0, volume_factor) ** 0.8 * rush)
    values = {"courier": courier.display_name, "point": gen.org.point.name,
              "place": t.area.name if t.area else "", "place2": "", "b": "", "phone": t.contact_phone}
    t1 = gen.business_add(t.created_at, _minutes(rng, 26 * speed, 0.8))
    ask_share, internal_share = PATHS.get(category_code, (0.02, 0.2))
    roll = rng.random()
    if roll < ask_share:
        done = _wait_for_customer(gen, life, t1, values, category_code)
    elif roll < ask_share + internal_share:
        done = _check_internally(gen, life, t1, values, category_code, courier, speed)
    else:
        done = _answer(gen, life, t1, values, category_code, speed)
    if done:
        _after_resolution(gen, life, values, category_code)


def _resolution(rng, code: str, values: dict) -> str:
    return "您好," + texts.fill(rng, rng.choice(texts.RESOLUTIONS[code]), **values)


def _answer(gen, life: Life, t1, values, code, speed) -> bool:
    rng, agent = gen.rng, life.ticket.assignee
    if rng.random() < 0.6:
        return life.reply(t1, agent, _resolution(rng, code, values), status=Status.RESOLVED)
    if not life.reply(t1, agent, texts.fill(rng, rng.choice(texts.FIRST_REPLIES), **values)):
        return False
    _maybe_escalate(gen, life, t1)
    _maybe_note(gen, life, t1, values)
    when = gen.business_add(t1, _minutes(rng, 60 * speed))
    return life.resolve(when, agent, _resolution(rng, code, values))


def _wait_for_customer(gen, life: Life, t1, values, code) -> bool:
    rng, agent = gen.rng, life.ticket.assignee
    questions, answers = texts.QUESTIONS.get(code, texts.QUESTIONS[""])
    if not life.reply(t1, agent, rng.choice(questions), status=Status.WAITING_CUSTOMER):
        return False
    if rng.random() < 0.85:
        answered = t1 + dt.timedelta(minutes=_minutes(rng, 90, 1.0))
        answer = texts.fill(rng, rng.choice(answers), **{
            **values, "place": values["place"] or names.community(rng),
            "place2": names.community(rng), "b": names.building(rng)})
        if not life.customer_writes(answered, answer):
            return False
        when = gen.business_add(answered, _minutes(rng, 40))
    else:  # no answer: closed after a working day of trying
        when = gen.business_add(t1, 570 + rng.randint(0, 120))
    _maybe_note(gen, life, when, values)
    return life.resolve(when, agent, _resolution(rng, code, values))


def _check_internally(gen, life: Life, t1, values, code, courier, speed) -> bool:
    rng, t = gen.rng, life.ticket
    agent = t.assignee
    if t.area is not None and rng.random() < 0.7 and not life.set_courier(t1, agent, courier):
        return False
    reply = texts.fill(rng, rng.choice(texts.WAITING_INTERNAL_REPLIES), **values)
    if not life.reply(t1, agent, reply, status=Status.WAITING_INTERNAL):
        return False
    _maybe_escalate(gen, life, t1)
    back = gen.business_add(t1, _minutes(rng, 120 * speed))
    if rng.random() < 0.04:  # a problem that gets stuck between departments for days
        back = gen.business_add(back, rng.randint(600, 2400))
    if t.kind == Kind.FEEDBACK and rng.random() < 0.3:
        done = _vertical_followup(gen, life, t1, values, code)
        if done is None:
            return False
        back = max(back, done)
    if not life.note(back, agent, texts.fill(rng, rng.choice(texts.NOTES), **values)):
        return False
    if t.status == Status.WAITING_INTERNAL and not life.set_status(back, agent, Status.OPEN):
        return False
    return life.resolve(gen.business_add(back, rng.randint(10, 60)), agent, _resolution(rng, code, values))


def _vertical_followup(gen, life: Life, t1, values, code) -> dt.datetime | None:
    """The supervisor sends a department head down to the courier (垂直跟进)."""
    rng, org = gen.rng, gen.org
    asked = gen.business_add(t1, rng.randint(5, 40))
    kind = FOLLOWUP_TO.get(code, Department.Kind.OPERATIONS)
    head = org.users[FOLLOWUP_HEADS[kind]]
    instructions, results = texts.FOLLOWUPS[kind]
    instructions = texts.fill(rng, rng.choice(instructions), **{**values, "place": values["place"] or "城东"})
    due = asked + dt.timedelta(hours=rng.choice((2, 3, 4)))
    followup = life.request_followup(asked, org.users["zhuguan"], head, instructions, due)
    if followup is None:
        return None
    done = gen.business_add(asked, _minutes(rng, 150))
    result = texts.fill(rng, rng.choice(results), **values)
    return done if life.complete_followup(done, followup, result) else None


def _maybe_escalate(gen, life: Life, after) -> None:
    rng, t = gen.rng, life.ticket
    lead = t.assignee.reports_to
    if lead is None or t.kind != Kind.FEEDBACK or rng.random() >= 0.08:
        return
    life.escalate(gen.business_add(after, rng.randint(10, 90)), t.assignee, lead,
                  rng.choice(texts.ESCALATION_REASONS))


def _maybe_note(gen, life: Life, after, values) -> None:
    rng = gen.rng
    if rng.random() < 0.15:
        life.note(gen.business_add(after, rng.randint(5, 60)), life.ticket.assignee,
                  texts.fill(rng, rng.choice(texts.NOTES), **values))


def _after_resolution(gen, life: Life, values, code) -> None:
    rng, t = gen.rng, life.ticket
    agent = t.assignee
    if rng.random() < 0.03:
        reopened = t.resolved_at + dt.timedelta(hours=rng.uniform(2, 30))
        if not life.customer_writes(reopened, rng.choice(texts.REOPEN_MESSAGES)):
            return
        answered = gen.business_add(reopened, _minutes(rng, 40))
        if not life.reply(answered, agent, texts.fill(rng, rng.choice(texts.FIRST_REPLIES), **values)):
            return
        if not life.resolve(gen.business_add(answered, _minutes(rng, 120)), agent,
                            _resolution(rng, code, values)):
            return
    if rng.random() < (0.4 if t.kind == Kind.FEEDBACK else 0.25):
        score = _score(rng, t)
        comment = rng.choice(texts.SATISFACTION_COMMENTS[score])
        if not life.rate(t.resolved_at + dt.timedelta(minutes=rng.uniform(10, 480)), score, comment):
            return
    closing = gen.business_add(t.resolved_at + dt.timedelta(hours=48), rng.randint(0, 120))
    life.set_status(closing, agent, Status.CLOSED)


def _score(rng, t) -> int:
    score = rng.choices([s for s, _ in SCORES], weights=[w for _, w in SCORES], k=1)[0]
    if t.reopen_count or (t.resolved_at and t.resolved_at > t.resolution_due):
        score = max(1, score - rng.choice((1, 2)))
    return score
