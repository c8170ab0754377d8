"""Forms of the warning pages: they parse input, nothing else."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kefu.imports.forms import ImportFileForm
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


class ScanImportForm(ImportFileForm):
    """A scan export and, for other layouts, the header of each column (blank: the default)."""

    columns = DEFAULT_SCAN_MAPPING
    column_labels = SCAN_FIELD_LABELS
    file = forms.FileField(label=_("File (CSV, XLSX, XLS, ODS)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(SCAN_FILE_SUFFIXES)}))

    def too_big(self, size: int) -> str:
        return too_big_message(size)

    def clean_file(self):
        upload = super().clean_file()
        name = (upload.name or "").lower()
        if "." in name and not name.endswith(SCAN_FILE_SUFFIXES):
            raise forms.ValidationError(_("Upload a CSV or Excel file (.csv, .xlsx, .xls, .ods)."))
        if upload.size > settings.KEFU_MAX_SCAN_IMPORT_BYTES:
            raise forms.ValidationError(too_big_message(upload.size))
        return upload
