from django.urls import path
from django.utils.translation import gettext_lazy as _

from kefu.core.nav import NavItem
from kefu.imports import views

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/rejects.csv", views.import_rejects_csv, name="import_rejects_csv"),
]

nav = [NavItem(_("Imports"), "import_list", order=40, show=lambda user: user.is_cs)]
