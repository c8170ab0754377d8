"""Import batches and the rows they rejected: nothing a file held is lost."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.orgs.models import NetworkPoint


class ImportBatch(models.Model):
    """One file (or API batch) imported. `kind` names the kind of import, declared by the
    app whose data it brings in (kefu.imports.kinds): free text, no migration per kind."""

    # A running import reports progress once per chunk (seconds apart); one silent for this
    # long has died with its process (kefu.imports.uploads fails it; the sweep stops waiting).
    STALLED_AFTER = dt.timedelta(minutes=30)

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Empty for a system import (`kefu import-scans` without --point) that may name any point.
    point = models.ForeignKey(
        NetworkPoint, on_delete=models.CASCADE, related_name="imports", null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=30)
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    # How far a running import has read into the file (bytes): the upload page's progress bar.
    bytes_read = models.BigIntegerField(_("bytes read"), default=0)
    # When a background import last showed a sign of life: one that stops moving for long is failed.
    progress_at = models.DateTimeField(null=True, blank=True)
    encoding = models.CharField(_("encoding"), max_length=30, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RUNNING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created_rows = models.PositiveIntegerField(_("created"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class RejectedRow(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rejects")
    line = models.PositiveIntegerField(_("line"))
    reason = models.CharField(_("reason"), max_length=500)
    raw = models.JSONField(default=dict)

    class Meta:
        ordering = ["line", "pk"]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"
