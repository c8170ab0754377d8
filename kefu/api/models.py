"""API tokens: a user's key for the REST API, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """The raw key is shown once at creation; only its hash and first 8
    characters are kept, so a leaked database does not leak working keys."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_prefix = models.CharField(_("key prefix"), max_length=8)
    # sha256 hex of the full key; unique, so the lookup is one index probe.
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Written at most once a minute per token (see auth.py).
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name or self.key_prefix} ({self.key_prefix}…)"


def hash_key(raw_key: str) -> str:
    """sha256 hex of a raw key: what is stored and looked up."""
    return hashlib.sha256(raw_key.encode()).hexdigest()
