"""Responses every import page shares."""

import csv
import json

from django.http import HttpResponse

from kefu.imports.models import ImportBatch


def rejects_csv(batch: ImportBatch) -> HttpResponse:
    """The rejected rows of `batch` (access already checked) as a CSV that Excel opens."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejects-{batch.pk}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    writer = csv.writer(response)
    writer.writerow(["行号 line", "原因 reason", "原始数据 raw"])
    for r in batch.rejects.all().iterator():
        writer.writerow([r.line, r.reason, json.dumps(r.raw, ensure_ascii=False)])
    return response
