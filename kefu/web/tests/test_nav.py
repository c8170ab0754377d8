"""The navigation bar the shell shows, declared by each app in its urls.py (kefu.core.nav)."""

import pytest

from kefu.core.nav import items_for
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import PointFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPECTED = {
    Role.AGENT: ["queue", "warning_board", "ticket_new", "import_list", "/api/docs"],
    Role.SUPERVISOR: ["queue", "warning_board", "ticket_new", "import_list", "/api/docs"],
    Role.COURIER: ["queue", "warnings", "/api/docs"],
    Role.DEPT_HEAD: ["queue", "/api/docs"],
    Role.CUSTOMER: ["portal", "portal_new"],
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_the_entries_of_the_pages_it_uses_in_order(role):
    point = PointFactory()
    user = UserFactory(point=point, role=role,
                       customer=CustomerFactory(point=point) if role == Role.CUSTOMER else None)
    assert [item.url_name for item in items_for(user)] == EXPECTED[role]


def test_an_anonymous_visitor_sees_none():
    from django.contrib.auth.models import AnonymousUser

    assert items_for(AnonymousUser()) == []
