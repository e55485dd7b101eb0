from django.urls import path

from . import views

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="api-cart"),
    path("cart/items/", views.CartItemCreateView.as_view(), name="api-cart-items"),
    path("cart/items/<id:item_id>/", views.CartItemDetailView.as_view(), name="api-cart-item"),
    path("orders/", views.OrderListCreateView.as_view(), name="api-orders"),
    path("orders/<str:number>/", views.OrderDetailView.as_view(), name="api-order"),
    path("orders/<str:number>/cancel/", views.OrderCancelView.as_view(), name="api-order-cancel"),
    path(
        "orders/<str:number>/confirm-receipt/",
        views.OrderConfirmReceiptView.as_view(),
        name="api-order-confirm-receipt",
    ),
]
