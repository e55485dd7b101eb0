from django.urls import path

from . import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="api-register"),
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/sms/code/", views.SmsCodeView.as_view(), name="api-sms-code"),
    path("auth/sms/token/", views.SmsTokenView.as_view(), name="api-sms-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
]
