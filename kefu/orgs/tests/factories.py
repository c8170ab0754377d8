import datetime as dt

import factory

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


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R{n:03d}")
    name = factory.Sequence(lambda n: f"区域{n}")


class PointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkPoint

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"网点{n}")
    business_start = dt.time(8, 30)
    business_end = dt.time(18, 0)


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    point = factory.SubFactory(PointFactory)
    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"门店{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    point = factory.SubFactory(PointFactory)
    kind = Department.Kind.OPERATIONS
    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    point = factory.SubFactory(PointFactory)
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(UserFactory):
    role = Role.AGENT
    agent_level = AgentLevel.SPECIALIST
    queue = Queue.ARRIVAL


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    point = factory.SubFactory(PointFactory)
    code = factory.Sequence(lambda n: f"A{n:03d}")
    name = factory.Sequence(lambda n: f"片区{n}")
