"""How a new ticket is ranked and routed: priority from tier, category and kind;
the assignee by area ownership, named agent, then the least-loaded agent on shift."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.customers.models import Customer
from kefu.orgs.models import Area, NetworkPoint, User
from kefu.tickets.models import Category, Kind, Priority
from kefu.tickets.selectors import least_loaded_agent


def priority_for(*, customer: Customer | None, category: Category | None, kind: str) -> int:
    """KA first (seed 001); high-end next; an urgent category (lost parcel, false
    sign-off …) or a feedback from a regular customer climbs one step; a plain
    inquiry from a regular customer is low."""
    tier = customer.tier if customer else Customer.Tier.REGULAR
    base = {
        Customer.Tier.KA: Priority.URGENT,
        Customer.Tier.HIGH: Priority.HIGH,
        Customer.Tier.MID: Priority.NORMAL,
        Customer.Tier.REGULAR: Priority.NORMAL if kind == Kind.FEEDBACK else Priority.LOW,
    }[tier]
    if category is not None and category.urgent:
        base -= 1
    return max(int(Priority.URGENT), int(base))


@dataclass(frozen=True)
class Assignment:
    agent: User | None
    reason: str


def choose_assignee(
    *, point: NetworkPoint, queue: str, area: Area | None, customer: Customer | None
) -> Assignment:
    """Regional ownership first (区域服务包干), then the KA's named agent (一对一),
    then the least-loaded agent of the queue who is on shift."""
    if area is not None and area.owner_id and area.owner.is_active:
        return Assignment(area.owner, "area_owner")
    if customer is not None and customer.named_agent_id and customer.named_agent.is_active:
        return Assignment(customer.named_agent, "named_agent")
    agent = least_loaded_agent(point_id=point.pk, queue=queue)
    if agent is not None:
        return Assignment(agent, "least_loaded")
    return Assignment(None, "unassigned")
