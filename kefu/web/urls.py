from django.contrib.auth import views as auth_views
from django.urls import path

from kefu.imports import views as import_views
from kefu.notifications import views as notification_views
from kefu.parcels import views as parcel_views
from kefu.tickets import views as ticket_views
from kefu.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inbox/", views.inbox, name="inbox"),
    path("notifications/channels/", notification_views.channels, name="notification_channels"),
    path("shift/", views.shift_toggle, name="shift_toggle"),
    path("queue/", ticket_views.queue, name="queue"),
    path("queue/bulk/", ticket_views.queue_bulk, name="queue_bulk"),
    path("tickets/new/", ticket_views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", ticket_views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/<str:action>/", ticket_views.ticket_action, name="ticket_action"),
    path("attachments/<int:pk>/", ticket_views.attachment_download, name="attachment_download"),
    path("portal/", ticket_views.portal, name="portal"),
    path("portal/new/", ticket_views.portal_new, name="portal_new"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/rejects.csv", import_views.import_rejects_csv, name="import_rejects_csv"),
    path("warnings/", parcel_views.warning_list, name="warnings"),
    path("warnings/board/", parcel_views.warning_board, name="warning_board"),
    path("warnings/imports/", parcel_views.scan_imports, name="scan_imports"),
    path("warnings/imports/<int:pk>/", parcel_views.scan_import_detail, name="scan_import_detail"),
    path("warnings/imports/<int:pk>/rejects.csv", parcel_views.scan_import_rejects_csv,
         name="scan_import_rejects_csv"),
    path("warnings/<int:pk>/ack/", parcel_views.warning_ack, name="warning_ack"),
    path("warnings/<int:pk>/report/", parcel_views.warning_report, name="warning_report"),
    path("healthz", views.healthz, name="healthz"),
]
