"""Periodic jobs of tickets (kefu.core.jobs): parse nothing, call a service."""

from kefu.core.jobs import job
from kefu.tickets.sla_sweep import sla_sweep


@job("sla_sweep", every=60)
def sla_sweep_job() -> dict:
    return sla_sweep()
