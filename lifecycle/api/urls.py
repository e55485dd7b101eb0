"""The buyer's order API and the providers' callbacks (under /api/v1/)."""

from django.urls import path

from . import groupbuy, orders, payments, wholesale

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
    path(
        "wholesale/orders/",
        wholesale.PurchaseOrderListCreateView.as_view(),
        name="api-wholesale-orders",
    ),
    path("wholesale/statement/", wholesale.StatementView.as_view(), name="api-wholesale-statement"),
    path(
        "wholesale/invoices/<str:number>/payments/",
        wholesale.InvoicePaymentStartView.as_view(),
        name="api-wholesale-invoice-payment-start",
    ),
    path(
        "wholesale/cooperative/receivables/",
        wholesale.CooperativeReceivablesView.as_view(),
        name="api-wholesale-receivables",
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
    # Group buying and pre-sales (lifecycle/api/groupbuy.py).
    path("team-offers/", groupbuy.TeamOfferListView.as_view(), name="api-team-offers"),
    path(
        "team-offers/<int:offer_id>/teams/",
        groupbuy.TeamStartView.as_view(),
        name="api-team-offer-start",
    ),
    path("teams/<int:team_id>/", groupbuy.TeamDetailView.as_view(), name="api-team"),
    path("teams/<int:team_id>/join/", groupbuy.TeamJoinView.as_view(), name="api-team-join"),
    path("presales/", groupbuy.PreSaleListView.as_view(), name="api-presales"),
    path("presales/<int:presale_id>/", groupbuy.PreSaleDetailView.as_view(), name="api-presale"),
    path(
        "presales/<int:presale_id>/orders/",
        groupbuy.PreSaleOrderView.as_view(),
        name="api-presale-order",
    ),
    path(
        "presales/<int:presale_id>/convert/",
        groupbuy.PreSaleConvertView.as_view(),
        name="api-presale-convert",
    ),
]

from . import channels  # noqa: E402  (the offline channel's endpoints)

urlpatterns += [
    path(
        "channels/<slug:slug>/orders/",
        channels.ChannelOrdersView.as_view(),
        name="api-channel-orders",
    ),
    path(
        "channels/<slug:slug>/orders/<str:number>/cash/",
        channels.ChannelCashView.as_view(),
        name="api-channel-order-cash",
    ),
    path(
        "channels/<slug:slug>/orders/<str:number>/wallet/",
        channels.ChannelWalletView.as_view(),
        name="api-channel-order-wallet",
    ),
    path(
        "channels/<slug:slug>/orders/<str:number>/pay-link/",
        channels.ChannelPayLinkView.as_view(),
        name="api-channel-order-pay-link",
    ),
    path(
        "channels/<slug:slug>/orders/<str:number>/arrived/",
        channels.ChannelArrivedView.as_view(),
        name="api-channel-order-arrived",
    ),
    path(
        "channels/<slug:slug>/pickup/",
        channels.ChannelPickupView.as_view(),
        name="api-channel-pickup",
    ),
    path(
        "channels/<slug:slug>/lookup/",
        channels.ChannelLookupView.as_view(),
        name="api-channel-lookup",
    ),
    path(
        "channels/<slug:slug>/cash-report/",
        channels.ChannelCashReportView.as_view(),
        name="api-channel-cash-report",
    ),
]

urlpatterns += [
    path(
        "channels/<slug:slug>/cash-close/",
        channels.ChannelCashCloseView.as_view(),
        name="api-channel-cash-close",
    ),
    path(
        "channels/<slug:slug>/cash-handover/",
        channels.ChannelCashHandoverView.as_view(),
        name="api-channel-cash-handover",
    ),
    path("stations/", channels.StationListView.as_view(), name="api-stations"),
]
