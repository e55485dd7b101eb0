from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="api-notification-list"),
    path(
        "me/notifications/",
        views.NotificationSettingsView.as_view(),
        name="api-notification-settings",
    ),
]
