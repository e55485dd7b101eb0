from django.urls import path

from . import views

urlpatterns = [
    path(
        "accounts/notifications/",
        views.notification_settings,
        name="notification_settings",
    ),
]
