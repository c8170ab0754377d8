from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.notifications import kinds, selectors, services
from kefu.notifications.forms import ChannelForm


@login_required
@require_http_methods(["GET", "POST"])
def channels(request):
    """List, add, enable/disable and delete the user's notification channels.
    POST `action` is add, enable, disable or delete (with `pk`)."""
    can_manage_point = selectors.can_manage_point_channels(request.user)
    form = ChannelForm(can_manage_point=can_manage_point)
    if request.method == "POST":
        action = request.POST.get("action", "add")
        if action == "add":
            form = ChannelForm(request.POST, can_manage_point=can_manage_point)
            if form.is_valid():
                try:
                    services.channel_add(user=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    messages.success(request, _("Channel added."))
                    return redirect("notification_channels")
        elif action in ("enable", "disable", "delete"):
            pk = _int(request.POST.get("pk"))
            if action == "delete":
                services.channel_delete(user=request.user, channel_id=pk)
                messages.success(request, _("Channel deleted."))
            else:
                services.channel_set_enabled(user=request.user, channel_id=pk, enabled=action == "enable")
            return redirect("notification_channels")
    rows = [(c, [kinds.label(v) for v in c.verbs]) for c in selectors.channels_of(request.user)]
    return render(request, "notifications/channels.html", {"rows": rows, "form": form})


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
