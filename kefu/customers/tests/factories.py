import factory

from kefu.customers.models import Customer
from kefu.orgs.tests.factories import PointFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    point = factory.SubFactory(PointFactory)
    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    tier = Customer.Tier.REGULAR
    kind = Customer.Kind.ECOMMERCE
    phone = factory.Sequence(lambda n: f"139{n:08d}")
