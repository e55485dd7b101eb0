from django.urls import path

from . import views

urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="api-region-list"),
]
