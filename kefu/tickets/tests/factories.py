import factory
from django.utils import timezone

from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Queue
from kefu.orgs.tests.factories import AgentFactory, PointFactory
from kefu.tickets.models import Channel, Kind, Status, Ticket


class TicketFactory(factory.django.DjangoModelFactory):
    """A bare ticket row. Tests of behaviour create tickets through ticket_create."""

    class Meta:
        model = Ticket

    point = factory.SubFactory(PointFactory)
    subject = factory.Sequence(lambda n: f"快件{n}什么时候到")
    queue = Queue.ARRIVAL
    channel = Channel.WEB
    kind = Kind.INQUIRY
    status = Status.OPEN
    is_open = True
    waybill_no = factory.Sequence(lambda n: f"YT{n:013d}")
    created_at = factory.LazyFunction(timezone.now)


def ticket_desk():
    """A point, a customer, an arrival agent and the customer's ticket, opened through
    the service (routed to the agent): (point, customer, agent, ticket)."""
    from kefu.tickets import services

    point = PointFactory()
    customer = CustomerFactory(point=point)
    agent = AgentFactory(point=point, queue=Queue.ARRIVAL)
    ticket = services.ticket_create(point=point, subject="快件三天没更新", queue=Queue.ARRIVAL,
                                    channel=Channel.WEB, customer=customer)
    return point, customer, agent, ticket
