"""The sandbox wallet's pages (path fixed by the sandbox provider)."""

from django.urls import path

from ..providers import SANDBOX_PAY_PATH
from . import views

urlpatterns = [
    path(
        SANDBOX_PAY_PATH.lstrip("/").replace("{out_trade_no}", "<str:out_trade_no>"),
        views.sandbox_pay,
        name="sandbox_pay",
    ),
]
