"""The upload form every import page shares: the file and, for other layouts, the header
of each field (blank: the default header)."""

from __future__ import annotations

from django import forms


class ImportFileForm(forms.Form):
    """A subclass names its fields' default headers and labels (`columns`, `column_labels`)
    and how a file over the limit is refused (`too_big`). Given `refused_size` (an upload
    refused before it was read, kefu.core.upload_limits) the form's only error says the
    file is too big."""

    columns: dict[str, str] = {}  # field → default header
    column_labels: dict[str, str] = {}

    def __init__(self, *args, refused_size: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused_size = refused_size
        if refused_size is not None:
            for field in self.fields.values():  # there is no file: it was refused
                field.required = False
        for name, default in self.columns.items():
            self.fields[f"col_{name}"] = forms.CharField(
                label=self.column_labels[name], required=False, max_length=50,
                widget=forms.TextInput(attrs={"placeholder": default}),
            )

    def too_big(self, size: int) -> str:
        raise NotImplementedError

    def clean_file(self):
        if self.refused_size is not None:
            raise forms.ValidationError(self.too_big(self.refused_size))
        return self.cleaned_data["file"]

    def mapping_fields(self):
        return [self[f"col_{name}"] for name in self.columns]

    def mapping_given(self) -> bool:
        """Whether any column name was filled in (the page then shows them open)."""
        return self.is_bound and any((self.data.get(f"col_{n}") or "").strip() or self.errors.get(f"col_{n}")
                                     for n in self.columns)

    def mapping(self) -> dict[str, str]:
        """Field → the header given for it (only those given)."""
        return {n: self.cleaned_data[f"col_{n}"].strip() for n in self.columns
                if self.cleaned_data.get(f"col_{n}", "").strip()}
