"""Early-warning pages: the courier's warnings, the supervisor's board, scan imports."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem
from kefu.orgs.models import FIELD_ROLES
from kefu.parcels import views

urlpatterns = [
    path("warnings/", views.warning_list, name="warnings"),
    path("warnings/board/", views.warning_board, name="warning_board"),
    path("warnings/imports/", views.scan_imports, name="scan_imports"),
    path("warnings/imports/<int:pk>/", views.scan_import_detail, name="scan_import_detail"),
    path("warnings/imports/<int:pk>/rejects.csv", views.scan_import_rejects_csv, name="scan_import_rejects_csv"),
    path("warnings/<int:pk>/ack/", views.warning_ack, name="warning_ack"),
    path("warnings/<int:pk>/report/", views.warning_report, name="warning_report"),
]

nav = [
    NavItem(_("My warnings"), "warnings", order=20, id="nav-warnings", show=lambda user: user.role in FIELD_ROLES),
    NavItem(_("Warning board"), "warning_board", order=20, id="nav-warning-board", show=lambda user: user.is_cs),
]
