from django.urls import path

from . import views

urlpatterns = [
    path("vouchers/<str:code>/", views.VoucherDetailView.as_view(), name="api-voucher-detail"),
    path("campaigns/", views.CampaignListView.as_view(), name="api-campaign-list"),
    path("campaigns/<str:code>/", views.CampaignDetailView.as_view(), name="api-campaign-detail"),
]
