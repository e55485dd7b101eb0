from django.urls import path

from . import views

urlpatterns = [
    path("wholesale/", views.home, name="wholesale_home"),
    path("wholesale/apply/", views.apply, name="wholesale_apply"),
    path("wholesale/quotes/", views.quotes, name="wholesale_quotes"),
    path("wholesale/quotes/<int:pk>/accept/", views.quote_accept, name="wholesale_quote_accept"),
    path("wholesale/contracts/", views.contract_list, name="wholesale_contracts"),
    path(
        "wholesale/cooperative/contracts/",
        views.cooperative_contracts,
        name="wholesale_coop_contracts",
    ),
    path("wholesale/invoices/<str:number>.pdf", views.invoice_pdf, name="wholesale_invoice_pdf"),
]
