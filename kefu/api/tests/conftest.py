"""Fixtures for the API tests: a point with staff, and a caller that speaks JSON
with a bearer token."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.api.services import api_token_create
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory


class ApiCaller:
    """`api.get("/api/tickets", token=key, queue="arrival")`, `api.post(path, {...}, token=key)`."""

    def __init__(self, client: Client):
        self.client = client

    @staticmethod
    def _headers(token):
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, *, token=None, **params):
        return self.client.get(path, params, headers=self._headers(token))

    def post(self, path, data=None, *, token=None):
        return self.client.post(path, data, content_type="application/json",
                                headers=self._headers(token))

    def patch(self, path, data=None, *, token=None):
        return self.client.patch(path, data, content_type="application/json",
                                 headers=self._headers(token))


@pytest.fixture
def api(client):
    return ApiCaller(client)


def token_for(user) -> str:
    return api_token_create(user=user, name="test")[1]


def make_user(role: str, point, **kw):
    if role == Role.AGENT:
        return AgentFactory(point=point, **kw)
    if role == Role.CUSTOMER:
        kw.setdefault("customer", CustomerFactory(point=point))
    return UserFactory(point=point, role=role, **kw)


@pytest.fixture
def point():
    return PointFactory()


@pytest.fixture
def manager(point):
    return UserFactory(point=point, role=Role.MANAGER)


@pytest.fixture
def manager_key(manager):
    return token_for(manager)
