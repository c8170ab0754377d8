"""Forms parse and validate input for the ticket views; they never write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.orgs.models import Area, Customer, Queue, Role, User
from kefu.tickets.models import Category, Kind, Priority, SLAState, Status
from kefu.tickets.selectors import QueueFilters


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.mp3,.wav,.amr,.mp4"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _categories(point_id):
    from django.db.models import Q

    return Category.objects.filter(Q(point__isnull=True) | Q(point_id=point_id), active=True)


class QueueFilterForm(forms.Form):
    queue = forms.ChoiceField(label=_("Queue"), required=False, choices=[("", _("All queues"))] + Queue.choices)
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("open", _("All open")), ("all", _("Any status"))] + Status.choices,
    )
    sla = forms.ChoiceField(label=_("SLA"), required=False, choices=[("", _("Any SLA state"))] + SLAState.choices)
    category = forms.ModelChoiceField(label=_("Category"), required=False, queryset=Category.objects.none(),
                                      empty_label=_("All categories"))
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All tiers"))] + Customer.Tier.choices)
    area = forms.ModelChoiceField(label=_("Area"), required=False, queryset=Area.objects.none(),
                                  empty_label=_("All areas"))
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Order"), required=False,
                             choices=[("priority", _("Work order")), ("newest", _("Newest first"))])
    cursor = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, user: User, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories(user.point_id)
        self.fields["area"].queryset = Area.objects.filter(point_id=user.point_id)
        self.fields["assignee"].choices = [("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))] + [
            (str(a.pk), str(a)) for a in agents
        ]

    def filters(self) -> QueueFilters:
        d = self.cleaned_data if self.is_valid() else {}
        return QueueFilters(
            queue=d.get("queue") or "", status=d.get("status") or "open", sla=d.get("sla") or "",
            category=d["category"].pk if d.get("category") else None, tier=d.get("tier") or "",
            area=d["area"].pk if d.get("area") else None, assignee=d.get("assignee") or "",
            q=d.get("q") or "", sort=d.get("sort") or "priority",
        )


class TicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    waybill_no = forms.CharField(label=_("Waybill number"), max_length=40, required=False)
    queue = forms.ChoiceField(label=_("Queue"), choices=Queue.choices, initial=Queue.ARRIVAL)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.INQUIRY)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none(), required=False)
    contact_name = forms.CharField(label=_("Contact"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    files = MultipleFileField(label=_("Evidence"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories(user.point_id)
        self.fields["customer"].queryset = Customer.objects.filter(point_id=user.point_id).order_by("name")
        self.fields["area"].queryset = Area.objects.filter(point_id=user.point_id)


class PortalTicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    waybill_no = forms.CharField(label=_("Waybill number"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.FEEDBACK)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("Evidence"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories(user.point_id)


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(
        label=_("Then set status"), required=False,
        choices=[("", _("Keep status")), (Status.WAITING_CUSTOMER, Status.WAITING_CUSTOMER.label),
                 (Status.WAITING_INTERNAL, Status.WAITING_INTERNAL.label), (Status.RESOLVED, Status.RESOLVED.label)],
    )
    files = MultipleFileField(label=_("Evidence"))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False,
                                      empty_label=_("Unassigned"))

    def __init__(self, *args, point_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            point_id=point_id, is_active=True,
            role__in=[Role.AGENT, Role.TEAM_LEAD, Role.SUPERVISOR, Role.MANAGER],
        ).order_by("display_name")


class ClassifyForm(forms.Form):
    """What the agent corrects after reading the ticket: category, kind, queue, priority, area."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    queue = forms.ChoiceField(label=_("Queue"), choices=Queue.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=Priority.choices)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    waybill_no = forms.CharField(label=_("Waybill number"), max_length=40, required=False)

    def __init__(self, *args, point_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories(point_id)
        self.fields["area"].queryset = Area.objects.filter(point_id=point_id)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class EscalateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    assigned_to = forms.ModelChoiceField(label=_("Follow-up by"), queryset=User.objects.none())
    instructions = forms.CharField(label=_("What is asked"), widget=forms.Textarea(attrs={"rows": 2}))
    due_at = forms.DateTimeField(label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                 input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def __init__(self, *args, point_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = User.objects.filter(
            point_id=point_id, is_active=True,
            role__in=[Role.DEPT_HEAD, Role.SUPERVISOR, Role.TEAM_LEAD, Role.MANAGER, Role.OWNER],
        ).order_by("role", "display_name")


class FollowUpDoneForm(forms.Form):
    followup = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into ticket"), widget=forms.HiddenInput)


class RateForm(forms.Form):
    score = forms.TypedChoiceField(label=_("Satisfaction"), coerce=int,
                                   choices=[(i, str(i)) for i in range(5, 0, -1)])
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class BulkForm(forms.Form):
    ids = forms.CharField()
    action = forms.ChoiceField(choices=[("assign", "assign"), ("status", "status")])
    assignee = forms.IntegerField(required=False)
    status = forms.ChoiceField(choices=Status.choices, required=False)

    def ticket_ids(self) -> list[int]:
        return [int(x) for x in self.cleaned_data["ids"].split(",") if x.strip().isdigit()][:200]
