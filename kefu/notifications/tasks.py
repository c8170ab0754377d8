"""Background entry points for notifications: parse nothing, call a service."""

from kefu.notifications.services import outbox_send


def outbox_job() -> dict:
    return outbox_send()
