"""Periodic jobs of parcels (kefu.core.jobs): parse nothing, call a service."""

from kefu.core.jobs import job
from kefu.parcels.sweep import sweep


@job("parcel_sweep", every=60)
def parcel_sweep_job() -> dict:
    return sweep()
