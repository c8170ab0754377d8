"""Background entry points for parcels: parse nothing, call a service."""

from kefu.parcels.sweep import sweep


def parcel_sweep_job() -> dict:
    return sweep()
