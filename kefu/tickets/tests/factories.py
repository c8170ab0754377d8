import factory
from django.utils import timezone

from kefu.orgs.models import Queue
from kefu.orgs.tests.factories import PointFactory
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
