from django.urls import path

from kefu.notifications import views

urlpatterns = [
    path("notifications/channels/", views.channels, name="notification_channels"),
]
