from django.urls import path

from . import views

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/items/<id:item_id>/", views.cart_item, name="cart_item"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("orders/<str:number>/pay/", views.order_pay, name="order_pay"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<str:number>/confirm-receipt/", views.order_confirm, name="order_confirm"),
]

from . import channel_views  # noqa: E402  (the offline channel's pages)

urlpatterns += [
    path("channels/", channel_views.channel_places, name="channel_places"),
    path("channels/<slug:slug>/", channel_views.channel_page, name="channel_page"),
    path(
        "channels/<slug:slug>/orders/<str:number>/receipt/",
        channel_views.channel_receipt,
        name="channel_receipt",
    ),
]
