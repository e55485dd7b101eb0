"""The buyer's order API and the providers' callbacks (under /api/v1/)."""

from django.urls import path

from . import orders, payments

urlpatterns = [
    path("orders/", orders.OrderListCreateView.as_view(), name="api-orders"),
    path("orders/<str:number>/", orders.OrderDetailView.as_view(), name="api-order"),
    path("orders/<str:number>/cancel/", orders.OrderCancelView.as_view(), name="api-order-cancel"),
    path(
        "orders/<str:number>/confirm-receipt/",
        orders.OrderConfirmReceiptView.as_view(),
        name="api-order-confirm-receipt",
    ),
    path(
        "orders/<str:number>/payments/",
        payments.PaymentStartView.as_view(),
        name="api-order-payment-start",
    ),
    *(
        path(
            f"payments/callbacks/{provider}/",
            view.as_view(),
            name=f"api-payments-callback-{provider}",
        )
        for provider, view in (
            ("alipay", payments.AlipayCallbackView),
            ("wechat", payments.WechatCallbackView),
            ("sandbox", payments.SandboxCallbackView),
        )
    ),
]
