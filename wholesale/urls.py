from django.urls import path

from . import views

urlpatterns = [
    path("wholesale/", views.home, name="wholesale_home"),
    path("wholesale/apply/", views.apply, name="wholesale_apply"),
    path("wholesale/quotes/", views.quotes, name="wholesale_quotes"),
    path("wholesale/statement/", views.statement, name="wholesale_statement"),
    path("wholesale/invoices/<str:number>.pdf", views.invoice_pdf, name="wholesale_invoice_pdf"),
]
