import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kefu.imports import selectors, services
from kefu.imports.forms import PlatformMessageImportForm
from kefu.imports.models import ImportBatch
from kefu.orgs.models import CS_ROLES


def _require_cs(user):
    if user.role not in CS_ROLES or user.point_id is None:
        raise PermissionDenied


def _message_batch(user, pk: int) -> ImportBatch:
    # Scan imports have their own pages (/warnings/imports/), open to other roles.
    batch = selectors.batch_access(user, pk)
    if batch.kind != ImportBatch.Kind.PLATFORM_MESSAGES:
        raise Http404
    return batch


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    _require_cs(request.user)
    form = PlatformMessageImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = services.platform_messages_import(
            point=request.user.point, fileobj=upload, file_name=upload.name, actor=request.user,
            mapping=form.mapping(), queue=form.cleaned_data["queue"],
        )
        return redirect("import_detail", pk=batch.pk)
    batches = selectors.batches_visible_to(request.user).filter(kind=ImportBatch.Kind.PLATFORM_MESSAGES)[:50]
    return render(request, "imports/import_list.html", {"form": form, "batches": batches})


@login_required
def import_detail(request, pk: int):
    _require_cs(request.user)
    batch = _message_batch(request.user, pk)
    rejects = batch.rejects.all()[:500]
    return render(request, "imports/import_detail.html", {"batch": batch, "rejects": rejects})


@login_required
def import_rejects_csv(request, pk: int):
    _require_cs(request.user)
    return rejects_csv(_message_batch(request.user, pk))


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
