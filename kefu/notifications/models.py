"""The in-app inbox, the channels that copy it (robots, email) and their outbox.
Every notice is rendered at read time in the reader's language from its verb and
parameters (never a stored translated string; kefu.notifications.kinds)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One notice in one user's inbox. `verb` names its kind, declared by the app that
    sends it (kefu.notifications.kinds): free text, so a new kind needs no migration."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    verb = models.CharField(max_length=30)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.verb} → {self.user_id}"


class Channel(models.Model):
    """Where a copy of a notice goes besides the in-app inbox.

    A channel belongs either to one user (their own robot or mailbox: every notice
    addressed to them whose verb matches) or to one network point (a group robot:
    one post per `notify` call that reaches anyone of that point, whatever the
    number of recipients there). Exactly one of `user` and `point` is set.
    `verbs` empty means every verb.
    """

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom robot")
        DINGTALK = "dingtalk", _("DingTalk robot")
        FEISHU = "feishu", _("Feishu robot")
        EMAIL = "email", _("Email")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="notification_channels",
    )
    point = models.ForeignKey(
        "orgs.NetworkPoint", on_delete=models.CASCADE, null=True, blank=True,
        related_name="notification_channels",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    target = models.CharField(_("target"), max_length=500)
    enabled = models.BooleanField(_("enabled"), default=True)
    verbs = models.JSONField(_("verbs"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, point__isnull=True)
                    | models.Q(user__isnull=True, point__isnull=False)
                ),
                name="notification_channel_user_xor_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target}"

    def accepts(self, verb: str) -> bool:
        return self.enabled and (not self.verbs or verb in self.verbs)


class OutboxMessage(models.Model):
    """One notice to deliver through one channel. Written with the notice, sent later
    by `outbox_send`; `claimed_until` is the lease of the worker sending it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        DEAD = "dead", _("Dead")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages")
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.notification_id} {self.state}"
