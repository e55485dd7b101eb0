from django.urls import path

from . import views

urlpatterns = [
    path("wholesale/organisation/", views.OrganisationView.as_view(), name="api-wholesale-org"),
    path("wholesale/prices/", views.PriceSheetView.as_view(), name="api-wholesale-prices"),
    path("wholesale/price/", views.PriceQuoteView.as_view(), name="api-wholesale-price"),
    path("wholesale/statement/", views.StatementView.as_view(), name="api-wholesale-statement"),
    path("wholesale/quotes/", views.QuoteListCreateView.as_view(), name="api-wholesale-quotes"),
]
