from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("products/", views.product_list, name="product_list"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path("counties/<slug:slug>/", views.county_detail, name="county_detail"),
    path("cooperatives/<slug:slug>/", views.cooperative_detail, name="cooperative_detail"),
    path("trace/<str:code>/", views.trace, name="trace"),
]
