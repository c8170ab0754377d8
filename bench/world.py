"""The world the benchmarks run in: one measured point with a supervisor,
8 agents, 16 areas and 2,000 customers, plus 4 other points so that scoping
filters have rows to exclude. Plain ORM; passwords are unusable (the
benchmarks log in with force_login and API tokens)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kefu.customers.models import Customer
from kefu.orgs.models import AgentLevel, Area, NetworkPoint, Queue, Region, Role, User
from kefu.tickets.models import Category

AGENTS = 8
AREAS = 16
CUSTOMERS = 2_000
OTHER_POINTS = 4
TIER_WEIGHTS = {
    Customer.Tier.REGULAR: 70, Customer.Tier.MID: 20, Customer.Tier.HIGH: 8, Customer.Tier.KA: 2,
}


@dataclass
class PointStaff:
    point: NetworkPoint
    agents: list[User]
    areas: list[Area]
    customers: list[Customer]


@dataclass
class World:
    main: PointStaff
    supervisor: User
    manager: User
    others: list[PointStaff] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)


def _user(point: NetworkPoint, username: str, role: str, **extra) -> User:
    user = User(username=username, point=point, role=role, display_name=username, **extra)
    user.set_unusable_password()
    user.save()
    return user


def _point(region: Region, code: str, name: str) -> NetworkPoint:
    return NetworkPoint.objects.create(region=region, code=code, name=name, brand="中通", city="杭州")


def _point_staff(rng: random.Random, point: NetworkPoint, *, agents: int, areas: int,
                 customers: int, supervisor: User | None = None) -> PointStaff:
    code = point.code
    agent_rows = [
        _user(point, f"{code.lower()}_agent{i + 1}", Role.AGENT, agent_level=AgentLevel.SPECIALIST,
              queue=Queue.ARRIVAL if i < agents // 2 else Queue.DEPARTURE, reports_to=supervisor,
              employee_no=f"{code}-{i + 1:03d}")
        for i in range(agents)
    ]
    area_rows = Area.objects.bulk_create([
        Area(point=point, code=f"A{i + 1:02d}", name=f"{i + 1}号片区", owner=agent_rows[i % agents])
        for i in range(areas)
    ])
    tiers = rng.choices(list(TIER_WEIGHTS), weights=list(TIER_WEIGHTS.values()), k=customers)
    customer_rows = Customer.objects.bulk_create([
        Customer(
            point=point, code=f"C{i + 1:05d}", name=f"客户{code}-{i + 1}", tier=tier,
            kind=rng.choice(list(Customer.Kind.values)), phone=f"13{rng.randrange(10**9):09d}",
            area=rng.choice(area_rows) if rng.random() < 0.85 else None,
            named_agent=rng.choice(agent_rows) if tier in (Customer.Tier.KA, Customer.Tier.HIGH) else None,
        )
        for i, tier in enumerate(tiers)
    ], batch_size=500)
    # Re-read so that area.owner and named_agent are loaded as the services expect.
    customer_rows = list(
        Customer.objects.filter(point=point).select_related("area__owner", "named_agent").order_by("pk")
    )
    return PointStaff(point=point, agents=agent_rows, areas=area_rows, customers=customer_rows)


def build_world(seed: int = 20240601) -> World:
    rng = random.Random(seed)
    region = Region.objects.create(code="BENCH", name="基准区域")
    point = _point(region, "P0001", "基准网点")
    supervisor = _user(point, "p0001_supervisor", Role.SUPERVISOR)
    manager = _user(point, "p0001_manager", Role.MANAGER)
    main = _point_staff(rng, point, agents=AGENTS, areas=AREAS, customers=CUSTOMERS,
                        supervisor=supervisor)
    others = [
        _point_staff(rng, _point(region, f"P{i + 2:04d}", f"网点{i + 2}"), agents=2, areas=4,
                     customers=200)
        for i in range(OTHER_POINTS)
    ]
    categories = list(Category.objects.filter(point__isnull=True, active=True).order_by("sort", "pk"))
    return World(main=main, supervisor=supervisor, manager=manager, others=others,
                 categories=categories)


SUBJECTS = (
    "快件三天没有更新，请帮忙催一下", "显示已签收但本人没有收到", "包裹外箱破损，里面东西压坏了",
    "什么时候能派送", "要求送货上楼，快递员放楼下了", "运费多收了，超标件收费不合理",
    "联系不上快递员，电话一直没人接", "收件地址写错了，需要修改地址", "少了一件，只到了一箱",
    "商家还没发货，催一下", "快递员态度差", "退件什么时候能退回",
)
DESCRIPTIONS = (
    "客户来电反映，请尽快核实处理并回复客户。",
    "平台留言转入，客户情绪较急，要求今天给答复。",
    "客户要求核实派送记录和签收底单。",
    "",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def waybill(rng: random.Random) -> str:
    return f"YT{rng.randrange(10**13):013d}"


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
