from django.urls import path

from . import views

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LogInView.as_view(), name="login"),
    path("accounts/login/sms/", views.sms_login, name="login_sms"),
    path("accounts/logout/", views.LogOutView.as_view(), name="logout"),
]
