"""Batch import of scan events: POST /api/scans (mounted by kefu.api). The same checks, idempotence
and storage as `kefu import-scans`; rows of another point are rejected. Who may import
is the upload page's rule (kefu/parcels/permissions.py).

At most MAX_SCANS scans per request (more: 422 validation_error) and a body of at
most DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB; 10,000 scans with every field filled take
about 4 MB): a larger body is refused before it is read (413 too_large)."""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Router, Schema, Status

from kefu.orgs.models import User
from kefu.parcels import permissions
from kefu.parcels.ingest import scans_import_rows

router = Router(tags=["scans"])
MAX_SCANS = 10_000


class ScanIn(Schema):
    waybill_no: str = Field(..., max_length=40, description="运单号")
    scan_type: str = Field(..., description="揽收, 发件, 到件, 派件, 签收, 问题件 or 退回")
    scanned_at: str = Field(..., description='Asia/Shanghai local time, e.g. "2026-11-20 09:15:00"')
    point_code: str = Field(..., description="网点编号")
    employee_no: str = ""
    product: str = ""
    promised_at: str = Field("", description="签收时限, optional")
    area_code: str = ""
    customer_code: str = ""


class ScanBatchIn(Schema):
    scans: list[ScanIn] = Field(..., max_length=MAX_SCANS)


class RejectOut(Schema):
    line: int
    reason: str


class ScanBatchOut(Schema):
    batch: int
    rows: int
    created: int
    duplicates: int
    rejected: list[RejectOut]


@router.post("/scans", response={201: ScanBatchOut}, summary="Import scan events",
             description=f"At most {MAX_SCANS:,} scans per request (else 422 validation_error) and a body of "
                         f"at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1048576} MB (else 413 too_large).")
def import_scans(request, payload: ScanBatchIn):
    user: User = request.auth
    permissions.require(permissions.can_import_scans(user))
    batch = scans_import_rows(rows=[s.dict() for s in payload.scans], point=user.point, actor=user)
    rejects = [{"line": r.line, "reason": r.reason} for r in batch.rejects.all()]
    return Status(201, {"batch": batch.pk, "rows": batch.total_rows, "created": batch.created_rows,
                        "duplicates": batch.duplicate_rows, "rejected": rejects})
