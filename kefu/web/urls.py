"""The shell's own pages: home (which sends each role to its page), login, the
inbox, the shift switch and the health check. Every other app has its own urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path

from kefu.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inbox/", views.inbox, name="inbox"),
    path("shift/", views.shift_toggle, name="shift_toggle"),
    path("healthz", views.healthz, name="healthz"),
]
