from django.urls import path

from . import views

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/items/<id:item_id>/", views.cart_item, name="cart_item"),
    path("checkout/", views.checkout, name="checkout"),
    path("accounts/addresses/", views.address_book, name="address_book"),
    path("accounts/addresses/<id:address_id>/", views.address_change, name="address_change"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("orders/<str:number>/pay/", views.order_pay, name="order_pay"),
    path("orders/<str:number>/buy-again/", views.order_buy_again, name="order_buy_again"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<str:number>/confirm-receipt/", views.order_confirm, name="order_confirm"),
    path("wholesale/orders/new/", views.wholesale_order_new, name="wholesale_order_new"),
]

# Group buying and pre-sales (lifecycle/groupbuy_views.py).
from . import groupbuy_views  # noqa: E402

urlpatterns += [
    path("teams/<int:team_id>/", groupbuy_views.team_detail, name="team_detail"),
    path("team-offers/<int:offer_id>/", groupbuy_views.team_offer_start, name="team_offer"),
    path("presales/<int:presale_id>/", groupbuy_views.presale_detail, name="presale_detail"),
]

from . import channel_views  # noqa: E402  (the offline channel's pages)

urlpatterns += [
    path("checkout/pickup/", channel_views.checkout_pickup, name="checkout_pickup"),
    path("channels/", channel_views.channel_places, name="channel_places"),
    path("channels/<slug:slug>/", channel_views.channel_page, name="channel_page"),
    path(
        "channels/<slug:slug>/orders/<str:number>/receipt/",
        channel_views.channel_receipt,
        name="channel_receipt",
    ),
]

from . import wholesale_views  # noqa: E402  (wholesale pages that read the ledger)

urlpatterns += [
    path("wholesale/statement/", wholesale_views.statement, name="wholesale_statement"),
    path(
        "wholesale/invoices/<str:number>/pay/",
        wholesale_views.invoice_pay,
        name="wholesale_invoice_pay",
    ),
    path(
        "wholesale/cooperative/receivables/",
        wholesale_views.cooperative_receivables,
        name="wholesale_coop_receivables",
    ),
]
