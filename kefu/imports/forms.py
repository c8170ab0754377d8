from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.imports.services import DEFAULT_MESSAGE_MAPPING, too_big_message
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
    """A platform message export, its queue and, for other layouts, the header of each column.
    Given `refused_size` (an upload refused before it was read, kefu.core.upload_limits),
    the form's only error says the file is too big."""

    file = forms.FileField(label=_("File (CSV, XLSX)"))
    queue = forms.ChoiceField(label=_("Queue"), choices=Queue.choices, initial=Queue.ARRIVAL)

    def __init__(self, *args, refused_size: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused_size = refused_size
        if refused_size is not None:
            self.fields["file"].required = False  # there is no file: it was refused
            self.fields["queue"].required = False
        for field, default in DEFAULT_MESSAGE_MAPPING.items():
            self.fields[f"col_{field}"] = forms.CharField(
                label=FIELD_LABELS[field], required=False, max_length=50,
                widget=forms.TextInput(attrs={"placeholder": default}),
            )

    def clean_file(self):
        if self.refused_size is not None:
            raise forms.ValidationError(too_big_message(self.refused_size))
        return self.cleaned_data["file"]

    def mapping(self) -> dict[str, str]:
        return {f: self.cleaned_data[f"col_{f}"].strip() for f in DEFAULT_MESSAGE_MAPPING
                if self.cleaned_data.get(f"col_{f}", "").strip()}
