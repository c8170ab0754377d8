"""Warning pages: the courier's phone page and the supervisor's board.
Parse the request, call a service or selector, render. Nothing else."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.http import is_htmx, safe_next
from kefu.imports.models import ImportBatch
from kefu.imports.views import rejects_csv, upload_page
from kefu.orgs.models import Role
from kefu.parcels import forms, permissions, selectors, services, uploads


@login_required
def warning_list(request):
    if request.user.role == Role.CUSTOMER:
        return redirect("portal")
    now = timezone.now()
    return render(request, "parcels/warnings.html",
                  {"warnings": selectors.open_warnings(request.user, now=now), "reasons": _reasons()})


def _reasons():
    return services.Reason.choices


def _act(request, pk: int, action):
    """Run `action` on the warning `pk` (404 outside the user's scope); answer the
    updated card to HTMX, else go back to the list."""
    warning = selectors.warning_access(request.user, pk)
    error = ""
    try:
        action(warning)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if is_htmx(request):
        warning = selectors.warning_access(request.user, pk, history=True)
        selectors.with_minutes_left([warning], now=timezone.now())
        return render(request, "parcels/warnings.html#card", {"w": warning, "reasons": _reasons(), "error": error},
                      status=400 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(safe_next(request) or "warnings")


@login_required
@require_POST
def warning_ack(request, pk: int):
    return _act(request, pk, lambda w: services.warning_acknowledge(warning=w, actor=request.user))


@login_required
@require_POST
def warning_report(request, pk: int):
    form = forms.ReportForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    # An unknown reason reaches the service, which refuses it with its message.
    return _act(request, pk, lambda w: services.warning_report(warning=w, actor=request.user, reason=reason))


@login_required
def warning_board(request):
    user = request.user
    permissions.require(permissions.can_view_board(user))
    now = timezone.now()
    form = forms.BoardForm(request.GET or None, today=timezone.localtime(now, selectors.SHANGHAI).date())
    first, last = form.days()
    data = selectors.board(user, first=first, last=last, now=now)
    return render(request, "parcels/board.html", {
        "form": form, "board": data, "chart": _trend_chart(data.trend),
        "can_import_scans": permissions.can_import_scans(user),
    })


def _trend_chart(trend: list[dict]) -> dict:
    """The board's trend as the chart script reads it (json_script): one list per series,
    the saved rate per day in percent (saved ÷ (saved + missed); None on a day with neither)."""
    return {
        "days": [r["day"].strftime("%m-%d") for r in trend],
        "raised": [r["raised"] for r in trend],
        "saved": [r["saved"] for r in trend],
        "missed": [r["missed"] for r in trend],
        "rate": [round(100 * r["saved"] / (r["saved"] + r["missed"]), 1) if r["saved"] + r["missed"] else None
                 for r in trend],
        "labels": {"raised": _("Raised"), "saved": _("Saved"), "missed": _("Missed"),
                   "rate": _("Saved rate"), "count": _("Warnings"), "percent": _("Saved rate (%)")},
    }


# ---- scan file uploads -------------------------------------------------------


def _require_scan_importer(user) -> None:
    permissions.require(permissions.can_import_scans(user))


@csrf_exempt  # the upload's size is checked before its body is read, the token after (upload_page)
@login_required
@require_http_methods(["GET", "POST"])
def scan_imports(request):
    """The point's scan import batches and the upload form; an upload starts a background import.
    An upload over the limit is refused before its body is read."""
    _require_scan_importer(request.user)

    def accept(form):
        try:
            batch = uploads.scan_upload_start(upload=form.cleaned_data["file"], actor=request.user,
                                              mapping=form.mapping())
        except ValidationError as exc:
            form.add_error("file", exc)
            return None
        return redirect("scan_import_detail", pk=batch.pk)

    return upload_page(request, limit=settings.KEFU_MAX_SCAN_IMPORT_BYTES, make_form=forms.ScanImportForm,
                       accept=accept, page=_scan_imports_page, invalid_status=400)


def _scan_imports_page(request, form, *, status: int):
    uploads.scan_imports_fail_stalled(point_id=request.user.point_id)
    batches = uploads.scan_batches_visible_to(request.user).select_related("created_by")[:50]
    return render(request, "parcels/scan_imports.html",
                  {"form": form, "batches": batches, "max_mb": settings.KEFU_MAX_SCAN_IMPORT_BYTES // 1048576},
                  status=status)


@login_required
def scan_import_detail(request, pk: int):
    """A scan batch: progress while it runs (HTMX polls the #status partial), then its figures."""
    _require_scan_importer(request.user)
    uploads.scan_imports_fail_stalled(point_id=request.user.point_id)
    batch = uploads.scan_batch_access(request.user, pk)
    running = batch.state == ImportBatch.State.RUNNING
    context = {"batch": batch, "running": running, "rejects": [] if running else batch.rejects.all()[:500]}
    template = "parcels/scan_import.html#status" if is_htmx(request) else "parcels/scan_import.html"
    return render(request, template, context)


@login_required
def scan_import_rejects_csv(request, pk: int):
    _require_scan_importer(request.user)
    return rejects_csv(uploads.scan_batch_access(request.user, pk))
