"""The web pages and the API take one rule for who may do what with a ticket
(kefu/tickets/permissions.py): the same role gets the same answer from both."""

import pytest
from django.urls import reverse

from kefu.api.services import api_token_create
from kefu.orgs.models import Role
from kefu.tickets.tests.factories import ticket_desk
from kefu.tickets.tests.test_permissions import CS, OTHER_STAFF, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return ticket_desk()


@pytest.mark.parametrize("role", CS + OTHER_STAFF + [Role.CUSTOMER])
def test_the_web_and_the_api_agree_on_replies_and_notes(desk, client, role):
    point, customer, _agent, ticket = desk
    user = person(role, point, customer)
    if role in (Role.COURIER, Role.PICKUP, Role.DRIVER):
        ticket.courier = user  # so that they see it
        ticket.save(update_fields=["courier"])
    client.force_login(user)
    key = api_token_create(user=user, name="t")[1]
    auth = {"Authorization": f"Bearer {key}"}
    for action, path in (("reply", "replies"), ("note", "notes")):
        web = client.post(reverse("ticket_action", args=[ticket.pk, action]), {"body": "好的"})
        api = client.post(f"/api/tickets/{ticket.pk}/{path}", {"body": "好的"}, content_type="application/json",
                          headers=auth)
        if web.status_code == 404:  # outside the role's scope: the API says the same
            assert api.status_code == 404
            continue
        web_ok = web.status_code == 302
        api_ok = api.status_code == 201
        # A customer's "reply" in the API is their message: the web's action is called "message".
        expected = role in CS or (action == "note" and role in OTHER_STAFF) or (
            role == Role.CUSTOMER and action == "reply" and path == "replies")
        assert api_ok == expected, (action, role, api.status_code)
        if role != Role.CUSTOMER or action == "note":
            assert web_ok == api_ok, (action, role, web.status_code, api.status_code)
