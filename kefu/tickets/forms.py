"""Forms parse and validate input for the ticket views; they never write."""

from __future__ import annotations

from functools import cached_property

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Customer
from kefu.imports.forms import ImportFileForm
from kefu.orgs import selectors as org_selectors
from kefu.orgs.models import Area, Queue, Role, User
from kefu.tickets.message_import import DEFAULT_MESSAGE_MAPPING, too_big_message
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


class FastSelect(forms.Select):
    """A Select whose HTML is built in Python, the same as Django's templates write it.
    The template renderer includes one template per option, and the queue's filters
    have dozens of options: that was a large part of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(format_html('<optgroup label="{}">', group_name))
            html.extend(format_html('<option value="{}"{}>{}</option>', o["value"], flatatt(o["attrs"]), o["label"])
                        for o in options)
            if group_name:
                html.append("</optgroup>")
        html.append("</select>")
        return mark_safe("".join(html))  # every part went through format_html


class QueueChoices:
    """The queue filter's lists of a point (agents, categories, areas) as
    (value, label) pairs: read when first needed (a "More" request that filters
    on none of them reads none), then once per request for the filters and the
    bulk-assign list alike."""

    def __init__(self, point_id: int | None):
        self.point_id = point_id

    @cached_property
    def agents(self) -> list[tuple[str, str]]:
        if self.point_id is None:
            return []
        rows = (org_selectors.agents_of_point(self.point_id).order_by("display_name")
                .values_list("pk", "display_name", "username"))
        return [(str(pk), display or username) for pk, display, username in rows]  # User.__str__

    @cached_property
    def categories(self) -> list[tuple[int, str]]:
        english = (get_language() or "").startswith("en")  # Category.__str__
        rows = _categories(self.point_id).values_list("pk", "name", "name_en")
        return [(pk, name_en if english and name_en else name) for pk, name, name_en in rows]

    @cached_property
    def areas(self) -> list[tuple[int, str]]:
        return list(Area.objects.filter(point_id=self.point_id).order_by("pk").values_list("pk", "name"))


class QueueFilterForm(forms.Form):
    queue = forms.ChoiceField(label=_("Queue"), required=False, choices=[("", _("All queues"))] + Queue.choices,
                              widget=FastSelect)
    status = forms.ChoiceField(
        label=_("Status"), required=False, widget=FastSelect,
        choices=[("open", _("All open")), ("all", _("Any status"))] + Status.choices,
    )
    sla = forms.ChoiceField(label=_("SLA"), required=False, choices=[("", _("Any SLA state"))] + SLAState.choices,
                            widget=FastSelect)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None,
                                      widget=FastSelect)
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All tiers"))] + Customer.Tier.choices,
                             widget=FastSelect)
    area = forms.TypedChoiceField(label=_("Area"), required=False, coerce=int, empty_value=None, widget=FastSelect)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=FastSelect)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Order"), required=False, widget=FastSelect,
                             choices=[("priority", _("Work order")), ("newest", _("Newest first"))])
    cursor = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, choices: QueueChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = choices
        # Callables: evaluated when the field is rendered or a value is checked, not before.
        self.fields["category"].choices = lambda: [("", _("All categories"))] + choices.categories
        self.fields["area"].choices = lambda: [("", _("All areas"))] + choices.areas
        self.fields["assignee"].choices = lambda: [
            ("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned")), *choices.agents,
        ]

    def filters(self) -> QueueFilters:
        d = self.cleaned_data if self.is_valid() else {}
        return QueueFilters(
            queue=d.get("queue") or "", status=d.get("status") or "open", sla=d.get("sla") or "",
            category=d.get("category"), tier=d.get("tier") or "", area=d.get("area"),
            assignee=d.get("assignee") or "", q=d.get("q") or "", sort=d.get("sort") or "priority",
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


# ---- platform-message imports ------------------------------------------------

MESSAGE_FIELD_LABELS = {
    "message_id": _("Message ID column"),
    "waybill_no": _("Waybill column"),
    "created_at": _("Time column"),
    "content": _("Text column"),
    "customer": _("Customer column"),
    "phone": _("Phone column"),
}


class PlatformMessageImportForm(ImportFileForm):
    """A platform message export, its queue and, for other layouts, the header of each column."""

    columns = DEFAULT_MESSAGE_MAPPING
    column_labels = MESSAGE_FIELD_LABELS
    file = forms.FileField(label=_("File (CSV, XLSX)"))
    queue = forms.ChoiceField(label=_("Queue"), choices=Queue.choices, initial=Queue.ARRIVAL)

    def too_big(self, size: int) -> str:
        return too_big_message(size)
