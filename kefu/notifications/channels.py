"""Delivery through one channel kind: the payload built at enqueue time and the
send that checks the answer. No database access here.

Robots (WeCom, DingTalk, Feishu) take a JSON POST on their group webhook and
answer 200 with a JSON code; email goes through Django's mail backend.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.core.mail import send_mail

from kefu.notifications.models import Channel

TIMEOUT_S = 5
MAX_ERROR_CHARS = 2000
WEBHOOK_SCHEMES = frozenset({"http", "https"})


class DeliveryError(Exception):
    """The channel refused or could not take the message; the text goes to last_error."""


def is_webhook_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in WEBHOOK_SCHEMES and bool(parts.hostname)


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
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (scheme checked)
            return response.status, response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(64 * 1024).decode("utf-8", "replace")


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
