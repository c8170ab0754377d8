"""Background entry points for notifications: parse nothing, call a service."""

from kefu.notifications.services import notifications_purge, outbox_send


def outbox_job() -> dict:
    return outbox_send()


def purge_job() -> dict:
    return notifications_purge()
