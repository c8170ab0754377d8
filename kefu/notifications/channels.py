"""Delivery through one channel kind: the payload built at enqueue time and the
send that checks the answer. No database access here.

Robots (WeCom, DingTalk, Feishu) take a JSON POST on their group webhook and
answer 200 with a JSON code; email goes through Django's mail backend.

A webhook URL is typed in by a user, so the server must not be made to call its
own network with it (SSRF). Twice:
- when a channel is saved (`webhook_url_error`, the channel form): https only
  (KEFU_WEBHOOK_ALLOW_HTTP for tests), and the host one of the kind's robot hosts
  (ROBOT_HOSTS) or, with KEFU_WEBHOOK_ALLOW_ANY_HOST, any host whose addresses are
  all public;
- at every send: the connection resolves the host itself, refuses it if any of its
  addresses is not public (private, loopback, link-local, shared, reserved,
  multicast — unless KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES, for tests and closed
  networks) and connects to the address it checked, so a DNS answer that changes
  between the check and the connection changes nothing. Redirects go through the
  same check. Webhooks do not go through HTTP(S)_PROXY: the check needs the real
  destination.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from kefu.notifications.models import Channel

TIMEOUT_S = 5
MAX_ERROR_CHARS = 2000
WEBHOOK_SCHEMES = frozenset({"http", "https"})
# The hosts of the robots' group webhooks, as their settings pages show them.
ROBOT_HOSTS = {
    Channel.Kind.WECOM: ("qyapi.weixin.qq.com",),
    Channel.Kind.DINGTALK: ("oapi.dingtalk.com",),
    Channel.Kind.FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}


class DeliveryError(Exception):
    """The channel refused or could not take the message; the text goes to last_error."""


def is_webhook_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in WEBHOOK_SCHEMES and bool(parts.hostname)


def webhook_url_error(kind: str, url: str) -> str | None:
    """Why `url` may not be saved as the webhook of a `kind` robot channel (a
    translated sentence), or None. May resolve the host (KEFU_WEBHOOK_ALLOW_ANY_HOST)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and settings.KEFU_WEBHOOK_ALLOW_HTTP):
        return _("The webhook URL must start with https://.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return _("Enter a webhook URL that starts with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        return _("A webhook URL has no user name or password.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return _("The port of the webhook URL is not valid.")
    if host in ROBOT_HOSTS.get(kind, ()):
        return None
    if not settings.KEFU_WEBHOOK_ALLOW_ANY_HOST:
        return _("This robot's webhook URL must be on %(hosts)s, as its group settings show it.") % {
            "hosts": ", ".join(ROBOT_HOSTS.get(kind, ()))}
    try:
        addresses = resolve(host, port)
    except OSError:
        return _("The webhook host %(host)s cannot be found.") % {"host": host}
    refused = next((a for a in addresses if not address_allowed(a)), None)
    if refused is not None:
        return _("The webhook host %(host)s is an internal address (%(address)s).") % {
            "host": host, "address": refused}
    return None


def address_allowed(address: str) -> bool:
    """Whether a webhook may go to this IP address: a public one, or any with
    KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES."""
    if settings.KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is link-local anyway
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def resolve(host: str, port: int) -> list[str]:
    """The host's IP addresses (raises OSError when it has none)."""
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


def build_payload(kind: str, *, subject: str, text: str) -> dict:
    """The stored payload: for robots the exact JSON body to POST."""
    if kind in (Channel.Kind.WECOM, Channel.Kind.DINGTALK):
        return {"msgtype": "text", "text": {"content": text}}
    if kind == Channel.Kind.FEISHU:
        return {"msg_type": "text", "content": {"text": text}}
    if kind == Channel.Kind.EMAIL:
        return {"subject": subject, "body": text}
    raise ValueError(f"unknown channel kind {kind!r}")


def deliver(kind: str, target: str, payload: dict) -> None:
    """Send one payload; raise DeliveryError (or anything else) on failure."""
    if kind == Channel.Kind.EMAIL:
        send_mail(payload["subject"], payload["body"], None, [target], fail_silently=False)
        return
    if not is_webhook_url(target):
        raise DeliveryError(f"not an http(s) URL: {target[:200]}")
    status, body = _post_json(target, payload)
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}: {body[:MAX_ERROR_CHARS]}")
    _check_answer(kind, body)


def _post_json(url: str, payload: dict) -> tuple[int, str]:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT_S) as response:
            return response.status, response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(64 * 1024).decode("utf-8", "replace")


def _connect_checked(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """socket.create_connection that resolves the host once, refuses it unless every
    address is allowed, and connects to those very addresses."""
    host, port = address
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        raise DeliveryError(f"cannot resolve {host}: {exc}") from exc
    refused = [a for a in addresses if not address_allowed(a)]
    if refused:
        raise DeliveryError(f"refused: {host} resolves to a non-public address {refused[0]}")
    error: OSError | None = None
    for ip in addresses:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_checked


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    # TLS still checks the certificate against the host name (server_hostname=self.host).
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_checked


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


# No proxy (ProxyHandler({})): the address check must see the real destination.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _CheckedHTTPHandler(),
                                      _CheckedHTTPSHandler())


def _check_answer(kind: str, body: str) -> None:
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise DeliveryError(f"not JSON: {body[:MAX_ERROR_CHARS]}") from exc
    if not isinstance(answer, dict):
        raise DeliveryError(f"unexpected answer: {body[:MAX_ERROR_CHARS]}")
    if kind == Channel.Kind.FEISHU:
        # Feishu answers {"code": 0, ...}; older robots {"StatusCode": 0, ...}.
        code = answer.get("code", answer.get("StatusCode"))
    else:
        code = answer.get("errcode")
    if code != 0:
        raise DeliveryError(body[:MAX_ERROR_CHARS])
