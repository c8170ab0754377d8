"""One ticket's life, played in memory and kept as rows to insert.

`Life` mirrors what the ticket services write — the same fields, messages,
event verbs and event data, and the same allowed status transitions
(`kefu.tickets.services.TRANSITIONS`) — so that bulk-inserted history reads
exactly like history made through the services. Actions must come in time
order; the first action later than `now` ends the life there, so a ticket
created yesterday evening is simply still open.
"""

from __future__ import annotations

import datetime as dt

from kefu.demo.rows import Row
from kefu.orgs.models import User
from kefu.tickets.models import Event, Message, Priority, Status, Ticket
from kefu.tickets.services import TRANSITIONS


class Life:
    def __init__(self, ticket: Row, *, now: dt.datetime):
        self.ticket = ticket  # a Row with the columns of a Ticket
        self.now = now
        self.clock = ticket.created_at
        self.cut = False
        self.messages: list[Row] = []
        # Event rows; `message` is the Row whose pk goes into data["message"] once written.
        self.events: list[Row] = []
        self.followups: list[Row] = []
        # Intervals during which the ticket was open: [[start, end or None], …]
        self.open_spans: list[list] = [[ticket.created_at, None]]

    # -- bookkeeping -----------------------------------------------------------------
    def at(self, when: dt.datetime) -> dt.datetime | None:
        """The time of the next action, or None once the life has reached `now`."""
        when = max(when, self.clock)
        if self.cut or when > self.now:
            self.cut = True
            return None
        self.clock = when
        return when

    def _event(self, verb: str, when, actor: User | None, message: Row | None = None, **data):
        self.events.append(Row(ticket=self.ticket, verb=verb, actor=actor, created_at=when,
                               data=data, message=message))

    def _message(self, kind: str, when, author: User | None, body: str) -> Row:
        message = Row(ticket=self.ticket, kind=kind, author=author, body=body, created_at=when)
        self.messages.append(message)
        return message

    def _status(self, new: str, when, actor: User | None) -> None:
        t = self.ticket
        old = t.status
        if new == old:
            return
        if new not in TRANSITIONS[old]:
            raise ValueError(f"demo life: {old} -> {new} is not allowed")
        was_open = t.is_open
        t.status = new
        t.is_open = new in Ticket.OPEN_STATUSES
        if new == Status.RESOLVED:
            t.resolved_at = when
        elif new == Status.CLOSED:
            t.closed_at = when
        elif new == Status.REOPENED:
            t.resolved_at = None
            t.closed_at = None
            t.reopen_count += 1
        if was_open and not t.is_open:
            self.open_spans[-1][1] = when
        elif t.is_open and not was_open:
            self.open_spans.append([when, None])
        self._event(Event.Verb.STATUS, when, actor, old=old, new=new)

    # -- actions (each returns False once the life is over) ---------------------------
    def create(self, *, reason: str) -> None:
        t = self.ticket
        self._event(Event.Verb.CREATED, t.created_at, None, channel=t.channel)
        agent = t.assignee
        self._event(
            Event.Verb.ASSIGNED, t.created_at, None, reason=reason, old=None,
            assignee=agent.pk if agent else None, assignee_name=str(agent) if agent else "",
        )

    def reply(self, when, actor: User, body: str, *, status: str | None = None) -> bool:
        if (when := self.at(when)) is None:
            return False
        t = self.ticket
        message = self._message(Message.Kind.REPLY, when, actor, body)
        if t.first_responded_at is None:
            t.first_responded_at = when
        self._event(Event.Verb.REPLIED, when, actor, message)
        target = status or (Status.OPEN if t.status in (Status.NEW, Status.REOPENED) else None)
        if target:
            self._status(target, when, actor)
        return True

    def note(self, when, actor: User, body: str) -> bool:
        if (when := self.at(when)) is None:
            return False
        message = self._message(Message.Kind.NOTE, when, actor, body)
        self._event(Event.Verb.NOTED, when, actor, message)
        return True

    def customer_writes(self, when, body: str) -> bool:
        """A later platform message on the same ticket (no user behind it)."""
        if (when := self.at(when)) is None:
            return False
        self._message(Message.Kind.CUSTOMER, when, None, body)
        self._event(Event.Verb.CUSTOMER_MESSAGE, when, None)
        if self.ticket.status == Status.WAITING_CUSTOMER:
            self._status(Status.OPEN, when, None)
        elif self.ticket.status in (Status.RESOLVED, Status.CLOSED):
            self._status(Status.REOPENED, when, None)
        return True

    def set_status(self, when, actor: User | None, status: str) -> bool:
        if (when := self.at(when)) is None:
            return False
        self._status(status, when, actor)
        return True

    def resolve(self, when, actor: User, resolution: str) -> bool:
        if (when := self.at(when)) is None:
            return False
        self._message(Message.Kind.REPLY, when, actor, resolution)
        if self.ticket.first_responded_at is None:
            self.ticket.first_responded_at = when
        self._status(Status.RESOLVED, when, actor)
        return True

    def set_courier(self, when, actor: User, courier: User) -> bool:
        if (when := self.at(when)) is None:
            return False
        self.ticket.courier = courier
        self._event(Event.Verb.UPDATED, when, actor, fields=["courier"])
        return True

    def escalate(self, when, actor: User, lead: User, reason: str) -> bool:
        if (when := self.at(when)) is None:
            return False
        t = self.ticket
        t.escalated_to, t.escalated_at = lead, when
        t.priority = max(int(Priority.URGENT), t.priority - 1)
        self._message(Message.Kind.NOTE, when, actor, reason)
        self._event(Event.Verb.ESCALATED, when, actor, to=lead.pk, to_name=str(lead), reason=reason)
        return True

    def request_followup(self, when, actor: User, to: User, instructions: str,
                         due: dt.datetime) -> Row | None:
        if (when := self.at(when)) is None:
            return None
        followup = Row(ticket=self.ticket, assigned_to=to, requested_by=actor,
                       instructions=instructions, due_at=due, created_at=when, done_at=None,
                       result="")
        self.followups.append(followup)
        self._event(Event.Verb.FOLLOWUP_REQUESTED, when, actor, to=to.pk, to_name=str(to),
                    due=due.isoformat())
        if self.ticket.is_open and self.ticket.status != Status.WAITING_INTERNAL:
            self._status(Status.WAITING_INTERNAL, when, actor)
        return followup

    def complete_followup(self, when, followup: Row, result: str) -> bool:
        if (when := self.at(when)) is None:
            return False
        followup.done_at, followup.result = when, result
        self._event(Event.Verb.FOLLOWUP_DONE, when, followup.assigned_to, result=result)
        if self.ticket.status == Status.WAITING_INTERNAL:
            self._status(Status.OPEN, when, followup.assigned_to)
        return True

    def rate(self, when, score: int, comment: str) -> bool:
        if (when := self.at(when)) is None:
            return False
        self.ticket.satisfaction, self.ticket.satisfaction_comment = score, comment
        self._event(Event.Verb.RATED, when, None, score=score)
        return True

    # -- the SLA sweep, replayed ----------------------------------------------------
    def replay_sla_sweep(self, sweep_delay: dt.timedelta) -> None:
        """The warning and breach events the once-a-minute sweep would have
        written (kefu.tickets.sla_sweep), and the flags it would have left.

        The sweep looks at open tickets only, breaches before warnings; a first
        response clears both flags (the resolution clock gets its own notices)."""
        t = self.ticket
        responded = t.first_responded_at
        flags = {"warned": None, "breached": None}
        for start, end in self.open_spans:
            end = end or self.now
            bounds = [start, end]
            if responded and start < responded < end:
                bounds.insert(1, responded)
            for lo, hi in zip(bounds, bounds[1:], strict=False):
                if lo == responded:
                    flags = {"warned": None, "breached": None}
                pending = responded is None or lo < responded
                due, warn = t.resolution_due, t.resolution_warn_at
                if pending:
                    due, warn = min(due, t.first_response_due), min(warn, t.first_response_warn_at)
                self._sweep_span(flags, lo, hi, due=due, warn=warn, delay=sweep_delay)
            if responded and responded == end:
                flags = {"warned": None, "breached": None}
        t.sla_warned_at, t.sla_breached_at = flags["warned"], flags["breached"]

    def _sweep_span(self, flags: dict, lo, hi, *, due, warn, delay: dt.timedelta) -> None:
        limit = min(hi, self.now)
        warn_tick, breach_tick = max(lo, warn) + delay, max(lo, due) + delay
        if flags["warned"] is None and warn_tick < max(lo, due) and warn_tick < limit:
            flags["warned"] = warn_tick
            self._event(Event.Verb.SLA_WARNING, warn_tick, None)
        if flags["breached"] is None and breach_tick < limit:
            flags["breached"] = breach_tick
            flags["warned"] = flags["warned"] or breach_tick
            self._event(Event.Verb.SLA_BREACH, breach_tick, None)
