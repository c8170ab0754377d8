"""SSRF guard: a webhook URL typed in by a user never makes the server call its own
network — refused when the channel is saved, and again at every send."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from kefu.notifications import channels
from kefu.notifications.forms import ChannelForm
from kefu.notifications.models import Channel, OutboxMessage
from kefu.notifications.services import channel_add, notify, outbox_send
from kefu.orgs.tests.factories import AgentFactory

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"


@pytest.fixture(autouse=True)
def english():
    """The messages are asserted in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def strict(settings):
    """The production settings (the notifications tests' conftest allows 127.0.0.1)."""
    settings.KEFU_WEBHOOK_ALLOW_HTTP = False
    settings.KEFU_WEBHOOK_ALLOW_ANY_HOST = False
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    return settings


@pytest.fixture
def dns(monkeypatch):
    """Fake DNS: host → addresses; other names do not exist."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in table[host]]
        if host.endswith(".example"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(channels.socket, "getaddrinfo", getaddrinfo)
    return table


def target_errors(kind: str, target: str) -> list[str]:
    form = ChannelForm({"kind": kind, "target": target})
    form.is_valid()
    return form.errors.get("target", [])


# --- when a channel is saved ------------------------------------------------


@pytest.mark.parametrize(("kind", "url"), [
    (Channel.Kind.WECOM, WECOM),
    (Channel.Kind.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=abc"),
    (Channel.Kind.FEISHU, "https://open.feishu.cn/open-apis/bot/v2/hook/abc"),
    (Channel.Kind.FEISHU, "https://open.larksuite.com/open-apis/bot/v2/hook/abc"),
    (Channel.Kind.WECOM, "https://QYAPI.weixin.qq.com./cgi-bin/webhook/send?key=abc"),
])
def test_the_robots_own_hosts_are_taken_without_a_dns_lookup(dns, kind, url):
    assert target_errors(kind, url) == []


@pytest.mark.parametrize(("kind", "url", "error"), [
    (Channel.Kind.WECOM, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
     "The webhook URL must start with https://."),
    (Channel.Kind.WECOM, "https://example.com/send",
     "This robot's webhook URL must be on qyapi.weixin.qq.com, as its group settings show it."),
    (Channel.Kind.FEISHU, WECOM,
     "This robot's webhook URL must be on open.feishu.cn, open.larksuite.com, as its group settings show it."),
    (Channel.Kind.DINGTALK, "https://oapi.dingtalk.com.evil.example/robot/send",
     "This robot's webhook URL must be on oapi.dingtalk.com, as its group settings show it."),
    (Channel.Kind.WECOM, "https://169.254.169.254/latest/meta-data/",
     "This robot's webhook URL must be on qyapi.weixin.qq.com, as its group settings show it."),
    (Channel.Kind.WECOM, "https://qyapi.weixin.qq.com@127.0.0.1/send",
     "A webhook URL has no user name or password."),
    (Channel.Kind.WECOM, "https://qyapi.weixin.qq.com:99999/send", "The port of the webhook URL is not valid."),
    (Channel.Kind.WECOM, "ftp://qyapi.weixin.qq.com/x", "The webhook URL must start with https://."),
])
def test_other_hosts_and_schemes_are_refused(kind, url, error):
    assert target_errors(kind, url) == [error]


def test_http_is_taken_when_the_settings_allow_it(strict):
    strict.KEFU_WEBHOOK_ALLOW_HTTP = True
    assert target_errors(Channel.Kind.WECOM, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a") == []


def test_any_host_setting_takes_a_public_host_only(strict, dns):
    strict.KEFU_WEBHOOK_ALLOW_ANY_HOST = True
    dns.update({"hooks.example": ["203.0.114.7"], "intranet.example": ["10.0.0.5"],
                "both.example": ["203.0.114.8", "192.168.1.2"]})

    assert target_errors(Channel.Kind.WECOM, "https://hooks.example/send") == []
    assert target_errors(Channel.Kind.WECOM, "https://intranet.example/send") == [
        "The webhook host intranet.example is an internal address (10.0.0.5)."]
    assert target_errors(Channel.Kind.WECOM, "https://both.example/send") == [
        "The webhook host both.example is an internal address (192.168.1.2)."]
    assert target_errors(Channel.Kind.WECOM, "https://127.0.0.1:8000/admin/") == [
        "The webhook host 127.0.0.1 is an internal address (127.0.0.1)."]
    assert target_errors(Channel.Kind.WECOM, "https://[::ffff:169.254.169.254]/") == [
        "The webhook host ::ffff:169.254.169.254 is an internal address (::ffff:169.254.169.254)."]
    assert target_errors(Channel.Kind.WECOM, "https://nowhere.example/send") == [
        "The webhook host nowhere.example cannot be found."]


def test_email_targets_are_not_webhooks():
    assert target_errors(Channel.Kind.EMAIL, "agent@example.com") == []


@pytest.mark.django_db
def test_the_channel_page_shows_the_refusal_and_saves_nothing(client):
    client.force_login(AgentFactory())

    response = client.post("/notifications/channels/", {"action": "add", "kind": "wecom",
                                                        "target": "https://10.0.0.1/send"},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "must be on qyapi.weixin.qq.com" in response.content.decode()
    assert Channel.objects.count() == 0


@pytest.mark.parametrize(("address", "allowed"), [
    ("203.0.114.7", True), ("8.8.8.8", True), ("2001:4860:4860::8888", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("::", False), ("fe80::1", False),
    ("fe80::1%eth0", False), ("fc00::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
])
def test_which_addresses_a_webhook_may_reach(address, allowed):
    assert channels.address_allowed(address) is allowed


# --- at every send ------------------------------------------------------------


def _queue_one(target: str) -> OutboxMessage:
    agent = AgentFactory()
    channel_add(user=agent, kind=Channel.Kind.WECOM, target=target, verbs=[])  # the service does not check hosts
    notify(users=[agent], verb="ticket_assigned", params={"ref": "T-1", "subject": "丢件"})
    return OutboxMessage.objects.get()


@pytest.mark.django_db
def test_a_send_to_a_loopback_robot_is_refused_before_connecting(robot):
    message = _queue_one(robot.url)

    result = outbox_send()

    message.refresh_from_db()
    assert result == {"failed": 1}
    assert message.last_error == "refused: 127.0.0.1 resolves to a non-public address 127.0.0.1"
    assert robot.received == []


@pytest.mark.django_db
def test_a_name_that_resolves_inside_is_refused_and_nothing_is_connected(dns, monkeypatch):
    dns["hooks.example"] = ["10.0.0.7"]
    connects = []
    monkeypatch.setattr(channels.socket, "create_connection", lambda *a, **k: connects.append(a))
    message = _queue_one("https://hooks.example/send")

    outbox_send()

    message.refresh_from_db()
    assert (message.state, message.last_error) == (
        "failed", "refused: hooks.example resolves to a non-public address 10.0.0.7")
    assert connects == []


@pytest.mark.django_db
def test_the_send_connects_to_the_address_it_checked(strict, robot, dns):
    # A name the real DNS does not know: only the checked answer can have led to the robot.
    strict.KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    dns["robot.example"] = ["127.0.0.1"]
    _queue_one(robot.url.replace("127.0.0.1", "robot.example"))

    assert outbox_send() == {"sent": 1}
    assert [path for path, _, _ in robot.received] == ["/send?key=k1"]


@pytest.mark.django_db
def test_a_redirect_into_the_network_is_refused(strict, monkeypatch):
    # The robot (allowed here) answers with a redirect to another local address.
    hits = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2:9/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setattr(channels, "address_allowed", lambda address: address == "127.0.0.1")
    try:
        message = _queue_one(f"http://127.0.0.1:{server.server_port}/send")
        outbox_send()
    finally:
        server.shutdown()
        server.server_close()

    message.refresh_from_db()
    assert hits == ["/send"]
    assert message.last_error == "refused: 127.0.0.2 resolves to a non-public address 127.0.0.2"
