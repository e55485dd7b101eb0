from django.urls import path

from . import views

urlpatterns = [
    path("counties/", views.CountyListView.as_view(), name="api-county-list"),
    path("cooperatives/", views.CooperativeListView.as_view(), name="api-cooperative-list"),
    path(
        "cooperatives/<slug:slug>/",
        views.CooperativeDetailView.as_view(),
        name="api-cooperative-detail",
    ),
    path("categories/", views.CategoryListView.as_view(), name="api-category-list"),
    path("products/", views.ProductListView.as_view(), name="api-product-list"),
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="api-product-detail"),
    path("trace/<str:batch_code>/", views.TraceView.as_view(), name="api-trace"),
    path("search/suggest/", views.SearchSuggestView.as_view(), name="api-search-suggest"),
]
