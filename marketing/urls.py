from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/<str:code>/", views.campaign_detail, name="campaign_detail"),
]
