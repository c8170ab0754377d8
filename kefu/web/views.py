from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kefu.core.http import safe_next
from kefu.notifications import selectors as notification_selectors
from kefu.notifications.services import notifications_mark_read
from kefu.orgs.models import Role
from kefu.orgs.services import user_set_on_shift


@login_required
def home(request):
    role = request.user.role
    if role == Role.CUSTOMER:
        return redirect("portal")
    if role in (Role.COURIER, Role.PICKUP, Role.DRIVER):
        return redirect("warnings")
    return redirect("queue")


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request):
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("inbox")
    items = [(n, notification_selectors.describe(n)) for n in notification_selectors.inbox(request.user)]
    return render(request, "web/inbox.html", {"items": items})


@login_required
@require_http_methods(["POST"])
def shift_toggle(request):
    user_set_on_shift(user=request.user, on_shift=not request.user.on_shift)
    return redirect(safe_next(request) or "home")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
