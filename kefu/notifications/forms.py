from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.notifications.models import Channel, Notification


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Channel.Kind.choices)
    target = forms.CharField(
        label=_("Webhook URL or email address"), max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}),
    )
    verbs = forms.MultipleChoiceField(
        label=_("Notices (none chosen: all)"), choices=Notification.Verb.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    for_point = forms.BooleanField(label=_("Group robot of my point"), required=False)

    def __init__(self, *args, can_manage_point: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_manage_point:
            del self.fields["for_point"]
