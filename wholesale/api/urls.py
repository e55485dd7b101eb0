from django.urls import path

from . import views

urlpatterns = [
    path("wholesale/organisation/", views.OrganisationView.as_view(), name="api-wholesale-org"),
    path("wholesale/prices/", views.PriceSheetView.as_view(), name="api-wholesale-prices"),
    path("wholesale/price/", views.PriceQuoteView.as_view(), name="api-wholesale-price"),
    path("wholesale/quotes/", views.QuoteListCreateView.as_view(), name="api-wholesale-quotes"),
    path(
        "wholesale/quotes/<int:pk>/accept/",
        views.QuoteAcceptView.as_view(),
        name="api-wholesale-quote-accept",
    ),
    path("wholesale/contracts/", views.ContractListView.as_view(), name="api-wholesale-contracts"),
    path(
        "wholesale/contracts/<int:pk>/",
        views.ContractDetailView.as_view(),
        name="api-wholesale-contract",
    ),
]
