"""Ticket pages: the queue, a ticket, evidence downloads, the customer portal, and the
imports of platform messages."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem
from kefu.tickets import permissions, views

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue_bulk"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/<str:action>/", views.ticket_action, name="ticket_action"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("portal/", views.portal, name="portal"),
    path("portal/new/", views.portal_new, name="portal_new"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/rejects.csv", views.import_rejects_csv, name="import_rejects_csv"),
]

nav = [
    NavItem(_("Queue"), "queue", order=10, show=permissions.can_use_queue),
    NavItem(_("New ticket"), "ticket_new", order=30, show=permissions.can_open_tickets),
    NavItem(_("Imports"), "import_list", order=40, show=permissions.is_cs),
    NavItem(_("My tickets"), "portal", order=10, show=permissions.is_customer_contact),
    NavItem(_("New ticket"), "portal_new", order=20, show=permissions.is_customer_contact),
]
