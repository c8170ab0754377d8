"""The notices early warning sends (kefu.notifications.kinds)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kefu.notifications.kinds import notice_kind


def _parcel_warning(params: dict) -> str:
    count = int(params.get("count", 1))
    return ngettext(
        "%(count)s parcel is near its sign-off deadline: %(subject)s",
        "%(count)s parcels are near their sign-off deadline",
        count,
    ) % {"count": count, "subject": params.get("subject", "")}


# Params: count (the recipient's parcels in this sweep) and subject (the waybill number when one).
PARCEL_WARNING = notice_kind("parcel_warning", _("Parcels near their sign-off deadline"),
                             render=_parcel_warning)
