"""Periodic jobs of notifications (kefu.core.jobs): parse nothing, call a service."""

from kefu.core.jobs import job
from kefu.notifications.services import notifications_purge, outbox_send


@job("outbox", every=15)
def outbox_job() -> dict:
    return outbox_send()


# Daily; the embedded runner also runs it when the server starts.
@job("notifications_purge", every=24 * 3600)
def purge_job() -> dict:
    return notifications_purge()
