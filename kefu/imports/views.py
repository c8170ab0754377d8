import csv
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from kefu.core.upload_limits import upload_refused
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


@csrf_exempt  # the upload's size is checked before its body is read; the token after (_import_upload)
@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    """The point's message imports and the upload form. An upload over the limit is
    refused before its body is read; nothing is stored."""
    _require_cs(request.user)
    refused = upload_refused(request, limit=settings.KEFU_MAX_IMPORT_BYTES)
    if refused is not None:
        form = PlatformMessageImportForm(request.POST, refused_size=refused)
        form.is_valid()
        return _import_list_page(request, form, status=413)
    return _import_upload(request)


@csrf_protect
def _import_upload(request):
    form = PlatformMessageImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = services.platform_messages_import(
            point=request.user.point, fileobj=upload, file_name=upload.name, actor=request.user,
            mapping=form.mapping(), queue=form.cleaned_data["queue"],
        )
        return redirect("import_detail", pk=batch.pk)
    return _import_list_page(request, form, status=200)


def _import_list_page(request, form, *, status: int):
    batches = selectors.batches_visible_to(request.user).filter(kind=ImportBatch.Kind.PLATFORM_MESSAGES)[:50]
    return render(request, "imports/import_list.html", {"form": form, "batches": batches}, status=status)


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
