from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.imports.services import DEFAULT_MESSAGE_MAPPING
from kefu.orgs.models import Queue

FIELD_LABELS = {
    "message_id": _("Message ID column"),
    "waybill_no": _("Waybill column"),
    "created_at": _("Time column"),
    "content": _("Text column"),
    "customer": _("Customer column"),
    "phone": _("Phone column"),
}


class PlatformMessageImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV, XLSX)"))
    queue = forms.ChoiceField(label=_("Queue"), choices=Queue.choices, initial=Queue.ARRIVAL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, default in DEFAULT_MESSAGE_MAPPING.items():
            self.fields[f"col_{field}"] = forms.CharField(
                label=FIELD_LABELS[field], required=False, max_length=50,
                widget=forms.TextInput(attrs={"placeholder": default}),
            )

    def mapping(self) -> dict[str, str]:
        return {f: self.cleaned_data[f"col_{f}"].strip() for f in DEFAULT_MESSAGE_MAPPING
                if self.cleaned_data.get(f"col_{f}", "").strip()}
