"""What every import page shares: the upload form's handling and the rejects as CSV."""

import csv
import json
from collections.abc import Callable

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_protect

from kefu.core.upload_limits import upload_refused
from kefu.imports.models import ImportBatch


def upload_page(request, *, limit: int, make_form: Callable, accept: Callable, page: Callable,
                invalid_status: int = 200) -> HttpResponse:
    """An import page with its upload form, for a view that is `csrf_exempt` (see
    kefu.core.upload_limits): an upload over `limit` bytes is refused before its body
    is read (the page again, status 413, the form's only error saying why; nothing
    stored); otherwise the CSRF token is checked and a valid form goes to `accept(form)`,
    which answers (a redirect to the batch) or returns None after adding its errors to
    the form. `make_form(data, files, refused_size=None)`; `page(request, form, status=…)`."""
    refused = upload_refused(request, limit=limit)
    if refused is not None:
        form = make_form(request.POST, None, refused_size=refused)
        form.is_valid()
        return page(request, form, status=413)
    return _accept(request, make_form, accept, page, invalid_status)


@csrf_protect
def _accept(request, make_form, accept, page, invalid_status: int) -> HttpResponse:
    form = make_form(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        response = accept(form)
        if response is not None:
            return response
    return page(request, form, status=invalid_status if form.errors else 200)


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
