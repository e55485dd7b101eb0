"""Payments API routes (under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "orders/<str:number>/payments/",
        views.PaymentStartView.as_view(),
        name="api-order-payment-start",
    ),
    path(
        "payments/callbacks/alipay/",
        views.AlipayCallbackView.as_view(),
        name="api-payments-callback-alipay",
    ),
    path(
        "payments/callbacks/wechat/",
        views.WechatCallbackView.as_view(),
        name="api-payments-callback-wechat",
    ),
    path(
        "payments/callbacks/sandbox/",
        views.SandboxCallbackView.as_view(),
        name="api-payments-callback-sandbox",
    ),
]
