from django.urls import path

from . import views

urlpatterns = [path("dev/sms/", views.dev_outbox, name="dev_sms_outbox")]
