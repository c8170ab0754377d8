"""Warning pages: the courier's phone page and the supervisor's board.
Parse the request, call a service or selector, render. Nothing else."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kefu.core.http import safe_next
from kefu.orgs.models import Role
from kefu.parcels import forms, selectors, services


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


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
    if _is_htmx(request):
        warning = selectors.warning_access(request.user, pk)
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
    if user.role not in selectors.BOARD_ROLES or user.point_id is None:
        raise PermissionDenied
    now = timezone.now()
    form = forms.BoardForm(request.GET or None, today=timezone.localtime(now, selectors.SHANGHAI).date())
    first, last = form.days()
    data = selectors.board(user, first=first, last=last, now=now)
    return render(request, "parcels/board.html", {"form": form, "board": data})
