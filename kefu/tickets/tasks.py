"""Background entry points for tickets: parse nothing, call a service."""

from kefu.tickets.sla_sweep import sla_sweep


def sla_sweep_job() -> dict:
    return sla_sweep()
