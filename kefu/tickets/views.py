"""Ticket pages: parse the request, call a service or selector, render. Nothing else."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.http import is_htmx, safe_next
from kefu.imports import selectors as import_selectors
from kefu.imports.views import rejects_csv, upload_page
from kefu.orgs import selectors as org_selectors
from kefu.tickets import attachments, forms, message_import, permissions, selectors, services, sla
from kefu.tickets.importers import PLATFORM_MESSAGES
from kefu.tickets.models import Channel, FollowUp, Status

PRIMARY_FILTERS = ("q", "status", "queue", "sla", "assignee")
SECONDARY_FILTERS = ("category", "tier", "area", "sort")


@login_required
def queue(request):
    user = request.user
    if not permissions.can_use_queue(user):
        return redirect("portal")
    form = forms.QueueFilterForm(request.GET or None, choices=forms.QueueChoices(user.point_id))
    filters = form.filters()
    cursor = form.cleaned_data.get("cursor") if form.is_bound and form.is_valid() else None
    visible = selectors.tickets_visible_to(user)  # the scope, read once for the page and the counts
    page = selectors.queue_page(user, filters, cursor=cursor, visible=visible)
    context = {"form": form, "page": page, "statuses": Status.choices,
               "query": _query_without_cursor(request), "primary_filters": PRIMARY_FILTERS,
               "secondary_filters": SECONDARY_FILTERS,
               "more_filters_used": any(request.GET.get(n) for n in SECONDARY_FILTERS)}
    if is_htmx(request):
        template = "tickets/queue.html#rows" if cursor else "tickets/queue.html#results"
        return render(request, template, context)
    context["counts"] = selectors.open_count_by_status(user, visible=visible)
    return render(request, "tickets/queue.html", context)


def _query_without_cursor(request) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    return params.urlencode()


@login_required
@require_POST
def queue_bulk(request):
    permissions.require(permissions.is_cs(request.user))
    data = request.POST.copy()
    data["ids"] = ",".join(request.POST.getlist("ids"))
    form = forms.BulkForm(data)
    if not form.is_valid():
        messages.error(request, _("Choose tickets and an action."))
        return redirect("queue")
    tickets = list(selectors.tickets_visible_to(request.user).filter(pk__in=form.ticket_ids()))
    try:
        if form.cleaned_data["action"] == "assign":
            assignee = (org_selectors.user_access(request.user, form.cleaned_data["assignee"])
                        if form.cleaned_data.get("assignee") else None)
            n = services.tickets_bulk_assign(tickets=tickets, assignee=assignee, actor=request.user)
        else:
            n = services.tickets_bulk_status(tickets=tickets, status=form.cleaned_data["status"],
                                             actor=request.user)
        messages.success(request, _("%(n)s tickets updated.") % {"n": n})
    except (ValidationError, Http404) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(safe_next(request) or "queue")


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    permissions.require(permissions.can_open_tickets(request.user))
    form = forms.TicketForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():  # a rejected file must not leave a ticket behind
                ticket = services.ticket_create(
                    point=request.user.point, actor=request.user, channel=Channel.WEB,
                    subject=d["subject"], description=d["description"], waybill_no=d["waybill_no"],
                    queue=d["queue"], kind=d["kind"], category=d["category"], customer=d["customer"],
                    contact_name=d["contact_name"], contact_phone=d["contact_phone"], area=d["area"],
                )
                for f in d["files"]:
                    attachments.attachment_add(ticket=ticket, actor=request.user, upload=f)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(ref)s created.") % {"ref": ticket.reference})
            return redirect("ticket_detail", pk=ticket.pk)
    return render(request, "tickets/ticket_new.html", {"form": form})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


@login_required
def ticket_detail(request, pk: int):
    user = request.user
    ticket = selectors.ticket_access(user, pk)
    is_staff = permissions.is_cs(user)
    context = {
        "ticket": ticket,
        "is_staff": is_staff,
        "is_customer": user.is_customer,
        "sla_state": sla.state_of(ticket, timezone.now()),
        "timeline": selectors.ticket_timeline(ticket, include_notes=not user.is_customer),
        "followups": selectors.ticket_followups(ticket) if not user.is_customer else [],
    }
    if not user.is_customer:
        context["events"] = selectors.ticket_events(ticket)
    if is_staff:
        context.update(
            reply_form=forms.MessageForm(),
            assign_form=forms.AssignForm(point_id=ticket.point_id, initial={"assignee": ticket.assignee_id}),
            status_form=forms.StatusForm(initial={"status": ticket.status}),
            classify_form=forms.ClassifyForm(point_id=ticket.point_id, initial={
                "category": ticket.category_id, "kind": ticket.kind, "queue": ticket.queue,
                "priority": ticket.priority, "area": ticket.area_id, "waybill_no": ticket.waybill_no,
            }),
            escalate_form=forms.EscalateForm(),
            followup_form=forms.FollowUpForm(point_id=ticket.point_id),
            duplicates=list(selectors.duplicates_of(ticket, user)[:10]),
        )
    if user.is_customer:
        context.update(message_form=forms.MessageForm(), rate_form=forms.RateForm())
    context["done_form"] = forms.FollowUpDoneForm()
    return render(request, "tickets/ticket_detail.html", context)


@login_required
@require_POST
def ticket_action(request, pk: int, action: str):
    user = request.user
    ticket = selectors.ticket_access(user, pk)
    handler = _ACTIONS.get(action)
    permissions.require(handler is not None and permissions.can_act(user, action))
    try:
        notice = handler(request, ticket)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        if notice:
            messages.success(request, notice)
        if not selectors.tickets_visible_to(user).filter(pk=ticket.pk).exists():
            # e.g. a supervisor handed the ticket to another team: it left their scope.
            return redirect("queue")
    return redirect("ticket_detail", pk=ticket.pk)


def _valid(form):
    if not form.is_valid():
        raise ValidationError([f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}"
                               for f, e in form.errors.items()])
    return form.cleaned_data


def _reply(request, ticket):
    d = _valid(forms.MessageForm(request.POST, request.FILES))
    services.ticket_reply(ticket=ticket, actor=request.user, body=d["body"], files=d["files"],
                          status=d["status"] or None)
    return _("Reply sent.")


def _note(request, ticket):
    d = _valid(forms.MessageForm(request.POST, request.FILES))
    services.ticket_add_note(ticket=ticket, actor=request.user, body=d["body"], files=d["files"])
    return _("Note added.")


def _message(request, ticket):
    d = _valid(forms.MessageForm(request.POST, request.FILES))
    services.ticket_customer_message(ticket=ticket, actor=request.user, body=d["body"], files=d["files"])
    return _("Message sent.")


def _assign(request, ticket):
    d = _valid(forms.AssignForm(request.POST, point_id=ticket.point_id))
    services.ticket_assign(ticket=ticket, assignee=d["assignee"], actor=request.user)
    return _("Assigned.")


def _classify(request, ticket):
    d = _valid(forms.ClassifyForm(request.POST, point_id=ticket.point_id))
    d["waybill_no"] = d["waybill_no"].strip().upper()
    services.ticket_update(ticket=ticket, actor=request.user, **d)
    return _("Ticket updated.")


def _status(request, ticket):
    d = _valid(forms.StatusForm(request.POST))
    services.ticket_set_status(ticket=ticket, status=d["status"], actor=request.user)
    return _("Status changed.")


def _resolve(request, ticket):
    services.ticket_resolve(ticket=ticket, actor=request.user, resolution=request.POST.get("body", ""))
    return _("Ticket resolved.")


def _reopen(request, ticket):
    services.ticket_reopen(ticket=ticket, actor=request.user)
    return _("Ticket reopened.")


def _escalate(request, ticket):
    d = _valid(forms.EscalateForm(request.POST))
    services.ticket_escalate(ticket=ticket, actor=request.user, reason=d["reason"])
    return _("Escalated to the supervisor.")


def _followup(request, ticket):
    d = _valid(forms.FollowUpForm(request.POST, point_id=ticket.point_id))
    services.followup_request(ticket=ticket, actor=request.user, assigned_to=d["assigned_to"],
                              instructions=d["instructions"], due_at=d["due_at"])
    return _("Vertical follow-up requested.")


def _followup_done(request, ticket):
    d = _valid(forms.FollowUpDoneForm(request.POST))
    try:
        followup = FollowUp.objects.get(pk=d["followup"], ticket=ticket)
    except FollowUp.DoesNotExist:
        raise Http404 from None
    permissions.check_followup_done(request.user, followup)
    services.followup_complete(followup=followup, actor=request.user, result=d["result"])
    return _("Follow-up completed.")


def _merge(request, ticket):
    d = _valid(forms.MergeForm(request.POST))
    target = selectors.ticket_access(request.user, d["target"])
    services.ticket_merge(source=ticket, target=target, actor=request.user)
    return _("Merged into %(ref)s.") % {"ref": target.reference}


def _rate(request, ticket):
    d = _valid(forms.RateForm(request.POST))
    services.ticket_rate(ticket=ticket, actor=request.user, score=d["score"], comment=d["comment"])
    return _("Thank you for your rating.")


_ACTIONS = {
    "reply": _reply, "note": _note, "message": _message, "assign": _assign, "status": _status, "classify": _classify,
    "resolve": _resolve, "reopen": _reopen, "escalate": _escalate, "followup": _followup,
    "followup_done": _followup_done, "merge": _merge, "rate": _rate,
}


@login_required
def attachment_download(request, pk: int):
    attachment = selectors.attachment_access(request.user, pk)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=not attachment.content_type.startswith("image/"),
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@login_required
def portal(request):
    if not permissions.is_customer_contact(request.user):
        return redirect("queue")
    tickets = selectors.tickets_visible_to(request.user).select_related("category").order_by("-id")[:100]
    return render(request, "tickets/portal.html", {"tickets": tickets})


@login_required
@require_http_methods(["GET", "POST"])
def portal_new(request):
    user = request.user
    permissions.require(permissions.can_open_as_customer(user))
    form = forms.PortalTicketForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = user.customer
        try:
            with transaction.atomic():  # a rejected file must not leave a ticket behind
                ticket = services.ticket_create(
                    point=customer.point, actor=user, channel=Channel.PORTAL, subject=d["subject"],
                    description=d["description"], waybill_no=d["waybill_no"], kind=d["kind"],
                    category=d["category"], customer=customer, queue=_portal_queue(customer),
                    contact_name=str(user), contact_phone=user.phone,
                )
                for f in d["files"]:
                    attachments.attachment_add(ticket=ticket, actor=user, upload=f)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(ref)s created.") % {"ref": ticket.reference})
            return redirect("ticket_detail", pk=ticket.pk)
    return render(request, "tickets/portal_new.html", {"form": form})


def _portal_queue(customer) -> str:
    # Shops send parcels: their questions are about departures.
    from kefu.customers.models import Customer
    from kefu.orgs.models import Queue

    return Queue.DEPARTURE if customer.kind == Customer.Kind.ECOMMERCE else Queue.ARRIVAL


# ---- platform-message imports ------------------------------------------------


def _message_batch(user, pk: int):
    # Scan imports have their own pages (/warnings/imports/), open to other roles.
    batch = import_selectors.batch_access(user, pk)
    if batch.kind != PLATFORM_MESSAGES:
        raise Http404
    return batch


@csrf_exempt  # the upload's size is checked before its body is read, the token after (upload_page)
@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    """The point's message imports and the upload form. An upload over the limit is
    refused before its body is read; nothing is stored."""
    permissions.require(permissions.can_import_messages(request.user))

    def accept(form):
        upload = form.cleaned_data["file"]
        batch = message_import.platform_messages_import(
            point=request.user.point, fileobj=upload, file_name=upload.name, actor=request.user,
            mapping=form.mapping(), queue=form.cleaned_data["queue"],
        )
        return redirect("import_detail", pk=batch.pk)

    return upload_page(request, limit=settings.KEFU_MAX_IMPORT_BYTES, make_form=forms.PlatformMessageImportForm,
                       accept=accept, page=_import_list_page)


def _import_list_page(request, form, *, status: int):
    batches = import_selectors.batches_visible_to(request.user).filter(kind=PLATFORM_MESSAGES)[:50]
    return render(request, "tickets/message_imports.html", {"form": form, "batches": batches}, status=status)


@login_required
def import_detail(request, pk: int):
    permissions.require(permissions.can_import_messages(request.user))
    batch = _message_batch(request.user, pk)
    rejects = batch.rejects.all()[:500]
    return render(request, "tickets/message_import.html", {"batch": batch, "rejects": rejects})


@login_required
def import_rejects_csv(request, pk: int):
    permissions.require(permissions.can_import_messages(request.user))
    return rejects_csv(_message_batch(request.user, pk))
