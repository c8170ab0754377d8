"""Forms of the warning pages: they parse input, nothing else."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kefu.imports.readers import EXCEL_SUFFIXES
from kefu.parcels.ingest import DEFAULT_SCAN_MAPPING
from kefu.parcels.models import ParcelWarning
from kefu.parcels.uploads import too_big_message

MAX_BOARD_DAYS = 92


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ParcelWarning.Reason.choices)


class BoardForm(forms.Form):
    """The day range of the board, Asia/Shanghai days, both ends included; today by default."""

    first = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        last = data.get("last") or self.today
        first = data.get("first") or last
        if first > last:
            raise forms.ValidationError(_("The first day is after the last day."))
        if (last - first).days >= MAX_BOARD_DAYS:
            raise forms.ValidationError(_("Choose at most %(n)s days.") % {"n": MAX_BOARD_DAYS})
        data["first"], data["last"] = first, last
        return data

    def days(self) -> tuple[dt.date, dt.date]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["first"], self.cleaned_data["last"]
        return self.today, self.today


SCAN_FIELD_LABELS = {
    "waybill_no": _("Waybill column"),
    "scan_type": _("Scan type column"),
    "scanned_at": _("Scan time column"),
    "point_code": _("Point code column"),
    "employee_no": _("Employee number column"),
    "product": _("Product column"),
    "promised_at": _("Sign-off deadline column"),
    "area_code": _("Area column"),
    "customer_code": _("Customer code column"),
}
SCAN_FILE_SUFFIXES = (".csv", ".txt", *EXCEL_SUFFIXES)


class ScanImportForm(forms.Form):
    """A scan export and, for other layouts, the header of each column (blank: the default).
    Given `refused_size` (an upload refused before it was read, kefu.core.upload_limits),
    the form's only error says the file is too big."""

    file = forms.FileField(label=_("File (CSV, XLSX, XLS, ODS)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(SCAN_FILE_SUFFIXES)}))

    def __init__(self, *args, refused_size: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused_size = refused_size
        if refused_size is not None:
            self.fields["file"].required = False  # there is no file: it was refused
        for field, default in DEFAULT_SCAN_MAPPING.items():
            self.fields[f"col_{field}"] = forms.CharField(
                label=SCAN_FIELD_LABELS[field], required=False, max_length=50,
                widget=forms.TextInput(attrs={"placeholder": default}),
            )

    def clean_file(self):
        if self.refused_size is not None:
            raise forms.ValidationError(too_big_message(self.refused_size))
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if "." in name and not name.endswith(SCAN_FILE_SUFFIXES):
            raise forms.ValidationError(_("Upload a CSV or Excel file (.csv, .xlsx, .xls, .ods)."))
        if upload.size > settings.KEFU_MAX_SCAN_IMPORT_BYTES:
            raise forms.ValidationError(too_big_message(upload.size))
        return upload

    def mapping_fields(self):
        return [self[f"col_{f}"] for f in DEFAULT_SCAN_MAPPING]

    def mapping_given(self) -> bool:
        """Whether any column name was filled in (the page then shows them open)."""
        return self.is_bound and any((self.data.get(f"col_{f}") or "").strip() or self.errors.get(f"col_{f}")
                                     for f in DEFAULT_SCAN_MAPPING)

    def mapping(self) -> dict[str, str]:
        return {f: self.cleaned_data[f"col_{f}"].strip() for f in DEFAULT_SCAN_MAPPING
                if self.cleaned_data.get(f"col_{f}", "").strip()}
