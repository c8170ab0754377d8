from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.notifications import kinds
from kefu.notifications.channels import ROBOT_HOSTS, webhook_url_error
from kefu.notifications.models import Channel


class ChannelForm(forms.Form):
    """A channel to add. A robot's webhook URL must not lead into our own network
    (`channels.webhook_url_error`); the send checks the address again."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Channel.Kind.choices)
    target = forms.CharField(
        label=_("Webhook URL or email address"), max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}),
    )
    verbs = forms.MultipleChoiceField(
        label=_("Notices (none chosen: all)"), choices=kinds.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    for_point = forms.BooleanField(label=_("Group robot of my point"), required=False)

    def __init__(self, *args, can_manage_point: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_manage_point:
            del self.fields["for_point"]

    def clean(self):
        data = super().clean()
        kind, target = data.get("kind"), data.get("target")
        if kind in ROBOT_HOSTS and target:
            error = webhook_url_error(kind, target)
            if error:
                self.add_error("target", error)
        return data
