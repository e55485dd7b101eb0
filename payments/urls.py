"""Pages of the payments app: the sandbox wallet (path fixed by the sandbox provider)."""

from django.urls import path

from . import views
from .providers import SANDBOX_PAY_PATH

urlpatterns = [
    path(
        SANDBOX_PAY_PATH.lstrip("/").replace("{out_trade_no}", "<str:out_trade_no>"),
        views.sandbox_pay,
        name="sandbox_pay",
    ),
]
