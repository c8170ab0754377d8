"""Celery tasks of the import toolkit (found by Celery's autodiscovery)."""

from celery import shared_task

from kefu.imports.uploads import upload_run


@shared_task(name="kefu.imports.run_upload", ignore_result=True)
def run_upload(batch_id: int, token: str, language: str | None = None) -> str | None:
    """The background half of an upload (kefu/imports/uploads.py); the file is in the
    shared data directory. Returns the batch's final state."""
    batch = upload_run(batch_id=batch_id, token=token, language=language)
    return None if batch is None else batch.state
