"""How many open tickets each agent holds, for routing a new ticket to the
least-loaded agent on shift.

Counting is the costly part of routing: it reads every open ticket of the
queue's agents, and routing runs on every new ticket (with many open tickets it
was a large part of an API creation's time: bench/README.md). So the counts of a
point are kept in process for a few seconds:

- the database counts them once per `LOAD_CACHE_SECONDS` per point and process;
- each ticket this process routes adds one to its agent's count at once (not at
  commit: two requests routing side by side must not both pick the same agent),
  so a burst of new tickets still spreads evenly across the agents; a creation
  rolled back leaves its +1 until the counts expire;
- a change made in this process that moves a ticket's load (reassignment, a
  status change that opens or closes it) drops the point's counts, and drops
  them again when its transaction commits (a routing in between would have
  counted the rows as they were), so the next routing here counts afresh.
  Changes made by other processes, or in the admin, are seen within the TTL; a
  load balancer needs nothing more exact.

Who is on shift is never cached: it is read with every routing.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from kefu.core.ttlcache import MISSING, TTLCache
from kefu.tickets.models import Ticket

LOAD_CACHE_SECONDS = 3.0
_loads = TTLCache(LOAD_CACHE_SECONDS, max_entries=4096)

def _count(agent_ids: list[int]) -> dict[int, int]:
    """Open tickets of each agent, counted on the (assignee, is_open, …) index
    (`is_open IN (true)`: see selectors.OPEN)."""
    rows = (Ticket.objects.filter(assignee_id__in=agent_ids, is_open__in=[True]).order_by()
            .values_list("assignee_id").annotate(n=Count("pk")))
    counted = dict(rows)
    return {pk: counted.get(pk, 0) for pk in agent_ids}


def open_loads(*, point_id: int, agent_ids: list[int]) -> dict[int, int]:
    """Open tickets held by each of `agent_ids` (agents of `point_id`), at most
    LOAD_CACHE_SECONDS old plus this process's own routings since."""
    if not agent_ids:
        return {}
    generation = _loads.generation
    known = _loads.get(point_id)
    if known is MISSING:
        known = _count(agent_ids)
        _loads.put(point_id, known, generation=generation)
        return known
    missing = [pk for pk in agent_ids if pk not in known]
    if missing:
        # Merged into the entry as it is now (routings since the read stay counted),
        # keeping its expiry: the older counts must not live longer for it.
        counted = _count(missing)
        _loads.update(point_id, lambda current: {**counted, **current}, generation=generation)
        known = {**known, **counted}
    return {pk: known[pk] for pk in agent_ids}


def note_routed(*, point_id: int, agent_id: int) -> None:
    """This process has just given `agent_id` a new open ticket."""
    _loads.update(point_id, lambda known: {**known, agent_id: known.get(agent_id, 0) + 1})


def forget(point_id: int | None) -> None:
    """A ticket of the point changed hands or opened or closed here: count again,
    now and once the change is committed."""
    _loads.discard(point_id)
    transaction.on_commit(lambda: _loads.discard(point_id))


def clear() -> None:
    _loads.clear()
