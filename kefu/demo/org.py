"""The demo point's organisation: its region of 21 points, stores, departments,
staff (CS ladder, couriers, pickup staff, drivers), areas and customers.

Shaped on seed 000: a point of 8 agents in a region of 21 points, two stores,
and the four departments whose work CS manages (客服部 / 营销部 / 操作部 / 财务部).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from kefu.customers.models import Customer
from kefu.demo import names
from kefu.orgs.models import (
    AgentLevel,
    Area,
    Department,
    NetworkPoint,
    Queue,
    Region,
    Role,
    Store,
    User,
)

REGION_CODE = "DEMO-REGION"
REGION_NAME = "华东某市区域"
POINT_CODE = "DEMO"
POINT_NAME = "城东网点"
PEER_CODE = "DEMO-{:02d}"

STORES = (("S1", "东门店"), ("S2", "工业园门店"))
DEPARTMENTS = (
    (Department.Kind.CS, "客服部", "kefubu"),
    (Department.Kind.SALES, "营销部", "yingxiao"),
    (Department.Kind.OPERATIONS, "操作部", "caozuo"),
    (Department.Kind.FINANCE, "财务部", "caiwu"),
)
# username, level, queue: 5 arrival agents own the areas, 3 departure agents follow outbound parcels.
AGENTS = (
    ("kefu1", AgentLevel.SENIOR, Queue.ARRIVAL),
    ("kefu2", AgentLevel.ELITE, Queue.ARRIVAL),
    ("kefu3", AgentLevel.SPECIALIST, Queue.ARRIVAL),
    ("kefu4", AgentLevel.SPECIALIST, Queue.ARRIVAL),
    ("kefu5", AgentLevel.NEWCOMER, Queue.ARRIVAL),
    ("kefu6", AgentLevel.ELITE, Queue.DEPARTURE),
    ("kefu7", AgentLevel.SPECIALIST, Queue.DEPARTURE),
    ("kefu8", AgentLevel.NEWCOMER, Queue.DEPARTURE),
)
AREAS_OWNED = {"kefu1": 6, "kefu2": 6, "kefu3": 5, "kefu4": 5, "kefu5": 3}
# KA customers (一对一) are mostly served by the departure agents, who follow their outbound parcels.
KA_NAMED_AGENTS = ("kefu6", "kefu7", "kefu1", "kefu8")
COURIERS, PICKUP_STAFF, DRIVERS = 40, 6, 3
# tier: (count, {kind: weight}, share with an area, share time-sensitive)
CUSTOMER_MIX = (
    (Customer.Tier.KA, 8, {"ecommerce": 5, "enterprise": 3}, 0.0, 0.75),
    (Customer.Tier.HIGH, 28, {"ecommerce": 18, "enterprise": 10}, 0.3, 0.4),
    (Customer.Tier.MID, 72, {"ecommerce": 45, "enterprise": 10, "walk_in": 17}, 0.4, 0.1),
    (Customer.Tier.REGULAR, 192, {"ecommerce": 100, "enterprise": 10, "walk_in": 82}, 0.4, 0.03),
)


@dataclass
class DemoOrg:
    point: NetworkPoint
    users: dict[str, User] = field(default_factory=dict)
    agents: list[User] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    area_couriers: dict[int, list[User]] = field(default_factory=dict)
    customers: list[Customer] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)

    def agent(self, username: str) -> User:
        return self.users[username]


def usernames() -> list[str]:
    """Every username the demo creates."""
    fixed = ["boss", "jingli", "zhuguan", "zuzhang1", "zuzhang2", "ka1"]
    heads = [head for _kind, _name, head in DEPARTMENTS]
    agents = [username for username, _level, _queue in AGENTS]
    field_staff = ([f"paijian{i}" for i in range(1, COURIERS + 1)]
             + [f"lanshou{i}" for i in range(1, PICKUP_STAFF + 1)]
             + [f"siji{i}" for i in range(1, DRIVERS + 1)])
    return fixed + heads + agents + field_staff


def build_org(rng: random.Random, *, password_hash: str) -> DemoOrg:
    """Create the region, its 21 points and the demo point's people, areas and customers."""
    region, _created = Region.objects.get_or_create(code=REGION_CODE, defaults={"name": REGION_NAME})
    point = NetworkPoint.objects.create(
        region=region, code=POINT_CODE, name=POINT_NAME, city=names.CITY,
        address=names.address(rng, "城东物流园"), business_start=dt.time(8, 30),
        business_end=dt.time(18, 0),
    )
    existing = set(NetworkPoint.objects.filter(region=region).values_list("code", flat=True))
    NetworkPoint.objects.bulk_create(
        NetworkPoint(region=region, code=PEER_CODE.format(i), name=name, city=names.CITY)
        for i, name in enumerate(names.PEER_POINT_NAMES, start=1)
        if PEER_CODE.format(i) not in existing
    )
    org = DemoOrg(point=point)
    stores = [Store.objects.create(point=point, code=c, name=n) for c, n in STORES]
    _build_staff(org, rng, stores, password_hash)
    _build_areas(org, rng)
    _build_customers(org, rng, password_hash)
    return org


def _build_staff(org: DemoOrg, rng: random.Random, stores: list[Store], password_hash: str) -> None:
    taken_names: set[str] = set()
    taken_phones: set[str] = set()
    point = org.point

    def add(username: str, role: str, *, store=None, department=None, reports_to=None,
            employee_no: str = "", **extra) -> User:
        user = User(
            username=username, password=password_hash, point=point, role=role, store=store,
            department=department, reports_to=reports_to, employee_no=employee_no,
            display_name=names.unique(rng, names.person_name, taken_names),
            phone=names.unique(rng, names.phone, taken_phones), **extra,
        )
        user.save()
        org.users[username] = user
        return user

    for kind, name, _head in DEPARTMENTS:
        org.departments[kind] = Department.objects.create(point=point, kind=kind, name=name)
    cs = org.departments[Department.Kind.CS]
    add("boss", Role.OWNER, store=stores[0])
    for kind, _name, head in DEPARTMENTS:
        add(head, Role.DEPT_HEAD, department=org.departments[kind], store=stores[0],
            employee_no=f"90{len(org.users):02d}")
    manager = add("jingli", Role.MANAGER, department=cs, store=stores[0], employee_no="8001")
    supervisor = add("zhuguan", Role.SUPERVISOR, department=cs, store=stores[0],
                     reports_to=manager, employee_no="8002")
    leads = {
        Queue.ARRIVAL: add("zuzhang1", Role.TEAM_LEAD, department=cs, store=stores[0],
                           reports_to=supervisor, queue=Queue.ARRIVAL, employee_no="8003"),
        Queue.DEPARTURE: add("zuzhang2", Role.TEAM_LEAD, department=cs, store=stores[1],
                             reports_to=supervisor, queue=Queue.DEPARTURE, employee_no="8004"),
    }
    for i, (username, level, queue) in enumerate(AGENTS):
        org.agents.append(add(
            username, Role.AGENT, department=cs, store=stores[i % 2], reports_to=leads[queue],
            agent_level=level, queue=queue, employee_no=f"81{i + 1:02d}",
        ))
    field_staff = (
        ("paijian", Role.COURIER, COURIERS, 1001, Department.Kind.OPERATIONS, "caozuo"),
        ("lanshou", Role.PICKUP, PICKUP_STAFF, 2001, Department.Kind.SALES, "yingxiao"),
        ("siji", Role.DRIVER, DRIVERS, 3001, Department.Kind.OPERATIONS, "caozuo"),
    )
    for prefix, role, count, first_no, dept, head in field_staff:
        for i in range(count):
            add(f"{prefix}{i + 1}", role, store=stores[i % 2], department=org.departments[dept],
                reports_to=org.users[head], employee_no=str(first_no + i))


def _build_areas(org: DemoOrg, rng: random.Random) -> None:
    owners = [org.users[u] for u, n in AREAS_OWNED.items() for _ in range(n)]
    rng.shuffle(owners)
    area_names = names.area_names(rng, len(owners))
    org.areas = Area.objects.bulk_create(
        Area(point=org.point, code=f"A{i + 1:02d}", name=name, owner=owner)
        for i, (name, owner) in enumerate(zip(area_names, owners, strict=True))
    )
    couriers = [u for u in org.users.values() if u.role == Role.COURIER]
    rng.shuffle(couriers)
    links = []
    # Every area gets one courier; the busiest ones (the first) get a second.
    for i, courier in enumerate(couriers):
        area = org.areas[i % len(org.areas)]
        org.area_couriers.setdefault(area.pk, []).append(courier)
        links.append(Area.couriers.through(area_id=area.pk, user_id=courier.pk))
    Area.couriers.through.objects.bulk_create(links)


def _build_customers(org: DemoOrg, rng: random.Random, password_hash: str) -> None:
    taken_names: set[str] = set()
    taken_phones: set[str] = {u.phone for u in org.users.values()}
    named = [org.users[u] for u in KA_NAMED_AGENTS]
    rows = []
    for tier, count, kinds, area_share, sensitive_share in CUSTOMER_MIX:
        for i in range(count):
            kind = names.weighted(rng, kinds.items())
            area = rng.choice(org.areas) if kind == "walk_in" or rng.random() < area_share else None
            name = names.unique(rng, _customer_name, taken_names, kind)
            rows.append(Customer(
                point=org.point, code=f"C{len(rows) + 1:04d}", name=name, tier=tier, kind=kind,
                phone=names.unique(rng, names.phone, taken_phones),
                address=names.address(rng, area.name if area else None), area=area,
                named_agent=named[i % len(named)] if tier == Customer.Tier.KA else None,
                time_sensitive=rng.random() < sensitive_share or "生鲜" in name or "水果" in name,
            ))
    org.customers = Customer.objects.bulk_create(rows)
    contact = User(
        username="ka1", password=password_hash, point=org.point, role=Role.CUSTOMER,
        customer=org.customers[0], display_name=names.person_name(rng),
        phone=org.customers[0].phone,
    )
    contact.save()
    org.users["ka1"] = contact


def _customer_name(rng: random.Random, kind: str) -> str:
    if kind == Customer.Kind.ECOMMERCE:
        shop, platform = names.shop_name(rng)
        return f"{platform}·{shop}"
    if kind == Customer.Kind.ENTERPRISE:
        return names.company_name(rng)
    return names.person_name(rng)
