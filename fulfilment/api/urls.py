from django.urls import path

from . import views

urlpatterns = [
    path(
        "orders/<str:number>/shipments/",
        views.OrderShipmentsView.as_view(),
        name="api-order-shipments",
    ),
    path(
        "fulfilment/carrier-events/",
        views.CarrierEventView.as_view(),
        name="api-carrier-events",
    ),
]
