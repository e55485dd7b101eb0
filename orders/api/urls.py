from django.urls import path

from . import views

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="api-cart"),
    path("cart/items/", views.CartItemCreateView.as_view(), name="api-cart-items"),
    path("cart/items/<id:item_id>/", views.CartItemDetailView.as_view(), name="api-cart-item"),
]
