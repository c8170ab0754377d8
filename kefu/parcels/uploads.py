"""The scan-file upload page's service: check the upload, hand it to the import toolkit
(kefu.imports.uploads keeps the file, runs the import in the background and shows
progress; a stalled import is failed), and the batches a user may see.

Uploading the file again is safe: scans already stored are not created twice.
"""

from __future__ import annotations

import logging
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from kefu.imports import selectors as import_selectors
from kefu.imports import uploads
from kefu.imports.models import ImportBatch
from kefu.orgs.models import User
from kefu.parcels import permissions
from kefu.parcels.importers import SCANS
from kefu.parcels.ingest import DEFAULT_SCAN_MAPPING, scans_import

logger = logging.getLogger(__name__)


def scan_batches_visible_to(user: User) -> QuerySet[ImportBatch]:
    """The scan import batches of the user's point, for the roles that upload them; never another point's."""
    if not permissions.can_import_scans(user):
        return ImportBatch.objects.none()
    return import_selectors.batches_visible_to(user).filter(kind=SCANS)


def scan_batch_access(user: User, pk: int) -> ImportBatch:
    """A scan batch of the user's point; 404 for anything else (another point's, a message import)."""
    try:
        return scan_batches_visible_to(user).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None


def too_big_message(size: int) -> str:
    return _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
        "size": round(size / 1048576, 1), "limit": settings.KEFU_MAX_SCAN_IMPORT_BYTES // 1048576}


def scan_upload_start(*, upload: UploadedFile, actor: User, mapping: dict[str, str] | None = None) -> ImportBatch:
    """Keep `upload` (a scan export of the actor's point) and start its import in the
    background. Returns the batch, in state running. Raises PermissionDenied for a role
    that does not import scans, ValidationError for a file over the limit or an unknown
    mapping field (nothing is kept then)."""
    if not permissions.can_import_scans(actor):
        raise PermissionDenied
    if upload.size > settings.KEFU_MAX_SCAN_IMPORT_BYTES:
        raise ValidationError(too_big_message(upload.size), code="too_big")
    mapping = {k: v.strip() for k, v in (mapping or {}).items() if v and v.strip()}
    unknown = set(mapping) - set(DEFAULT_SCAN_MAPPING)
    if unknown:
        raise ValidationError(_("Unknown fields in the column mapping: %(f)s") % {"f": ", ".join(sorted(unknown))})
    return uploads.upload_start(kind=SCANS, upload=upload, actor=actor, mapping=mapping)


def run_scan_upload(*, batch: ImportBatch, fileobj: IO[bytes], progress) -> ImportBatch:
    """The background run of an uploaded scan file (the kind's runner, kefu.parcels.importers)."""
    return scans_import(fileobj=fileobj, file_name=batch.file_name, point=batch.point, actor=batch.created_by,
                        mapping=batch.mapping or None, progress=progress, batch=batch)


def scan_imports_fail_stalled(*, point_id: int, now=None) -> int:
    """Fail the point's scan imports whose process died (kefu.imports.uploads.fail_stalled)."""
    return uploads.fail_stalled(point_id=point_id, kind=SCANS, now=now)
