"""Forms of the warning pages: they parse input, nothing else."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.parcels.models import ParcelWarning

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
