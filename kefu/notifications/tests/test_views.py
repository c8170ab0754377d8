import pytest
from django.urls import reverse

from kefu.notifications.models import Channel
from kefu.notifications.services import channel_add
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/notifications/channels/"
HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
FEISHU_HOOK = "https://open.feishu.cn/open-apis/bot/v2/hook/abc"


def test_url_name():
    assert reverse("notification_channels") == URL


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_add_disable_enable_delete(client):
    # given
    agent = AgentFactory()
    client.force_login(agent)
    # when: add
    response = client.post(URL, {"action": "add", "kind": "wecom", "target": HOOK,
                                 "verbs": ["sla_breach", "sla_warning"]})
    # then
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.user_id, channel.point_id, channel.kind, channel.target, channel.enabled, channel.verbs) == (
        agent.pk, None, "wecom", HOOK, True, ["sla_breach", "sla_warning"])
    page = client.get(URL)
    assert page.status_code == 200
    assert HOOK in page.content.decode()
    # when: disable, then enable
    client.post(URL, {"action": "disable", "pk": channel.pk})
    channel.refresh_from_db()
    assert channel.enabled is False
    client.post(URL, {"action": "enable", "pk": channel.pk})
    channel.refresh_from_db()
    assert channel.enabled is True
    # when: delete
    response = client.post(URL, {"action": "delete", "pk": channel.pk})
    assert response.status_code == 302
    assert Channel.objects.count() == 0


def test_bad_url_is_shown_and_not_saved(client):
    client.force_login(AgentFactory())
    response = client.post(URL, {"action": "add", "kind": "dingtalk", "target": "ftp://example.com/x"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["target"]
    assert Channel.objects.count() == 0


@pytest.mark.parametrize("action", ["disable", "enable", "delete"])
def test_another_users_channel_is_404(client, action):
    # given
    owner, other = AgentFactory(), AgentFactory()
    channel = channel_add(user=owner, kind="wecom", target=HOOK, verbs=[])
    client.force_login(other)
    # when
    response = client.post(URL, {"action": action, "pk": channel.pk})
    # then
    assert response.status_code == 404
    channel.refresh_from_db()
    assert channel.enabled is True
    assert HOOK not in client.get(URL).content.decode()


def test_manager_adds_a_point_group_robot_and_agents_do_not_see_it(client):
    # given
    manager = UserFactory(role=Role.MANAGER)
    agent = AgentFactory(point=manager.point)
    client.force_login(manager)
    # when
    client.post(URL, {"action": "add", "kind": "feishu", "target": FEISHU_HOOK, "for_point": "on"})
    # then
    channel = Channel.objects.get()
    assert (channel.user_id, channel.point_id) == (None, manager.point_id)
    client.force_login(agent)
    assert FEISHU_HOOK not in client.get(URL).content.decode()
    assert client.post(URL, {"action": "delete", "pk": channel.pk}).status_code == 404


def test_agent_cannot_add_for_point(client):
    agent = AgentFactory()
    client.force_login(agent)
    client.post(URL, {"action": "add", "kind": "feishu", "target": FEISHU_HOOK, "for_point": "on"})
    channel = Channel.objects.get()
    assert (channel.user_id, channel.point_id) == (agent.pk, None)
