"""Background entry points for parcels: parse nothing, call a service."""

from kefu.parcels.sweep import sweep


def parcel_sweep_job() -> dict:
    return sweep()


def scan_import_job(batch_id: int, token: str, language: str | None = None) -> str | None:
    """The background half of a scan upload (Celery task `kefu.parcels.import_scans`).
    Returns the batch's final state."""
    from kefu.parcels.uploads import scan_import_run

    batch = scan_import_run(batch_id=batch_id, token=token, language=language)
    return None if batch is None else batch.state
