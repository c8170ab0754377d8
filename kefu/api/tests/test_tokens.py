import datetime as dt
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from kefu.api import selectors, services
from kefu.api.models import ApiToken, hash_key
from kefu.api.tests.conftest import token_for
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_is_stored_as_hash_and_prefix_only(manager):
    token, raw = services.api_token_create(user=manager, name=" 平台对接 ")
    token.refresh_from_db()
    assert len(raw) == 43
    assert token.key_prefix == raw[:8]
    assert token.key_hash == hash_key(raw)
    assert raw not in {token.key_prefix, token.key_hash}
    assert token.name == "平台对接"
    assert token.revoked is False
    assert token.last_used_at is None


def test_lookup_is_one_query_with_the_user_and_point(manager, django_assert_num_queries):
    _token, raw = services.api_token_create(user=manager, name="x")
    with django_assert_num_queries(1):
        found = selectors.api_token_for_key(raw)
        assert (found.user.username, found.user.role, found.user.point.business_end) == (
            manager.username, manager.role, manager.point.business_end)


def test_lookup_is_cached_and_each_caller_gets_its_own_objects(manager, django_assert_num_queries):
    _token, raw = services.api_token_create(user=manager, name="x")
    first = selectors.api_token_for_key(raw)
    with django_assert_num_queries(0):
        second = selectors.api_token_for_key(raw)
    assert second == first
    assert second is not first
    assert second.user is not first.user
    assert second.user.point is not first.user.point
    first.user.role = Role.AGENT
    first.user.point.business_end = dt.time(12, 0)
    third = selectors.api_token_for_key(raw)
    assert (third.user.role, third.user.point.business_end) == (manager.role, manager.point.business_end)


def test_cache_expires(manager, monkeypatch, django_assert_num_queries):
    _token, raw = services.api_token_create(user=manager, name="x")
    selectors.api_token_for_key(raw)
    later = time.monotonic() + selectors.TOKEN_CACHE_SECONDS + 1
    monkeypatch.setattr("kefu.core.ttlcache.time.monotonic", lambda: later)
    with django_assert_num_queries(1):
        assert selectors.api_token_for_key(raw) is not None


def test_unknown_keys_are_not_cached(manager, django_assert_num_queries):
    selectors.api_token_for_key("not-a-key")
    with django_assert_num_queries(1):
        assert selectors.api_token_for_key("not-a-key") is None


def test_cached_token_is_refused_right_after_revoking(api, manager, django_assert_num_queries):
    token, raw = services.api_token_create(user=manager, name="x")
    assert api.get("/api/tickets", token=raw).status_code == 200
    with django_assert_num_queries(1):  # the page only: the token is cached
        assert api.get("/api/tickets", token=raw).status_code == 200
    services.api_token_revoke(token=token)
    assert api.get("/api/tickets", token=raw).status_code == 401


def test_revoke_drops_the_cached_copy_again_at_commit(manager, django_capture_on_commit_callbacks):
    token, raw = services.api_token_create(user=manager, name="x")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.api_token_revoke(token=token)
    selectors._tokens.put(token.key_hash, token)  # a request that read the row before the commit
    for callback in callbacks:
        callback()
    assert selectors.api_token_for_key(raw) is None


def test_cached_token_of_a_user_deactivated_since_is_refused(api, manager):
    raw = token_for(manager)
    assert api.get("/api/tickets", token=raw).status_code == 200
    manager.is_active = False
    manager.save()
    assert api.get("/api/tickets", token=raw).status_code == 401


def test_cached_token_follows_a_change_of_role(api, manager):
    raw = token_for(manager)
    assert api.post("/api/tickets", {"subject": "一", "queue": "arrival"}, token=raw).status_code == 201
    manager.role = Role.COURIER
    manager.save()
    assert api.post("/api/tickets", {"subject": "二", "queue": "arrival"}, token=raw).status_code == 403


def test_revoked_token_is_refused(api, manager):
    token, raw = services.api_token_create(user=manager, name="x")
    assert api.get("/api/tickets", token=raw).status_code == 200
    services.api_token_revoke(token=token)
    r = api.get("/api/tickets", token=raw)
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"
    assert ApiToken.objects.get(pk=token.pk).revoked is True


def test_token_of_an_inactive_user_is_refused(api, manager):
    raw = token_for(manager)
    manager.is_active = False
    manager.save()
    assert api.get("/api/tickets", token=raw).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nope", "Token abc", "Basic dXNlcjpwdw=="])
def test_missing_or_bad_credentials_are_401_json(client, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/tickets", headers=headers)
    assert r.status_code == 401
    assert r["Content-Type"] == "application/json; charset=utf-8"
    assert r.json()["code"] == "not_authenticated"
    assert r.json()["message"]
    assert r["WWW-Authenticate"].startswith("Bearer")


def test_last_used_at_is_written_at_most_once_a_minute(manager):
    token, _raw = services.api_token_create(user=manager, name="x")
    t0 = timezone.now()
    services.api_token_mark_used(token=token, now=t0)
    services.api_token_mark_used(token=token, now=t0 + dt.timedelta(seconds=59))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == t0
    later = t0 + dt.timedelta(seconds=61)
    services.api_token_mark_used(token=token, now=later)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later


def test_a_request_records_last_use(api, manager):
    token, raw = services.api_token_create(user=manager, name="x")
    api.get("/api/tickets", token=raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_requests_write_last_use_at_most_once_a_minute(api, manager, monkeypatch, django_assert_num_queries):
    token, raw = services.api_token_create(user=manager, name="x")
    t0 = timezone.now()
    monkeypatch.setattr("kefu.api.auth.timezone.now", lambda: t0)
    api.get("/api/tickets", token=raw)
    monkeypatch.setattr("kefu.api.auth.timezone.now", lambda: t0 + dt.timedelta(seconds=59))
    with django_assert_num_queries(1):  # the page: no token lookup, no UPDATE
        api.get("/api/tickets", token=raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == t0
    later = t0 + dt.timedelta(seconds=61)
    monkeypatch.setattr("kefu.api.auth.timezone.now", lambda: later)
    with django_assert_num_queries(2):  # the UPDATE, the page
        api.get("/api/tickets", token=raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later


def test_last_use_written_by_another_process_is_read_afresh(manager, django_assert_num_queries):
    token, raw = services.api_token_create(user=manager, name="x")
    t0 = timezone.now()
    services.api_token_mark_used(token=selectors.api_token_for_key(raw), now=t0)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=t0 + dt.timedelta(seconds=30))  # elsewhere
    later = t0 + dt.timedelta(seconds=61)
    services.api_token_mark_used(token=selectors.api_token_for_key(raw), now=later)  # writes nothing
    assert ApiToken.objects.get(pk=token.pk).last_used_at == t0 + dt.timedelta(seconds=30)
    with django_assert_num_queries(1):  # read afresh: written 31 s ago, so not again
        services.api_token_mark_used(token=selectors.api_token_for_key(raw), now=later)
    last = t0 + dt.timedelta(seconds=91)
    with django_assert_num_queries(1):  # the UPDATE
        services.api_token_mark_used(token=selectors.api_token_for_key(raw), now=last)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == last


def test_session_is_accepted_for_reads_only(client, manager):
    client.force_login(manager)
    assert client.get("/api/tickets").status_code == 200
    r = client.post("/api/tickets", {"subject": "x", "queue": "arrival"}, content_type="application/json")
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


def test_a_bad_token_is_not_rescued_by_the_session(client, manager):
    client.force_login(manager)
    r = client.get("/api/tickets", headers={"Authorization": "Bearer revoked-or-wrong"})
    assert r.status_code == 401


def test_token_requests_need_no_csrf_token(manager_key):
    client = Client(enforce_csrf_checks=True)
    r = client.post("/api/tickets", {"subject": "三天没更新", "queue": "arrival"},
                    content_type="application/json", headers={"Authorization": f"Bearer {manager_key}"})
    assert r.status_code == 201


def test_command_prints_only_the_key(manager):
    out = StringIO()
    call_command("api_token", manager.username, "--name", "导入脚本", stdout=out)
    raw = out.getvalue().strip()
    assert out.getvalue() == raw + "\n"
    token = ApiToken.objects.get(user=manager)
    assert token.name == "导入脚本"
    assert token.key_hash == hash_key(raw)
    assert selectors.api_token_for_key(raw) == token


def test_command_default_name_and_working_key(api, manager):
    out = StringIO()
    call_command("api_token", manager.username, stdout=out)
    assert ApiToken.objects.get(user=manager).name == "cli"
    assert api.get("/api/tickets", token=out.getvalue().strip()).status_code == 200


def test_command_refuses_unknown_and_inactive_users():
    with pytest.raises(CommandError):
        call_command("api_token", "nobody", stdout=StringIO())
    UserFactory(username="left", role=Role.AGENT, is_active=False)
    with pytest.raises(CommandError):
        call_command("api_token", "left", stdout=StringIO())
    assert ApiToken.objects.count() == 0

