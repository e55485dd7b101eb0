"""Public pages of the reports app."""

from django.urls import path

from . import views

urlpatterns = [
    path("counties/<slug:slug>/impact/", views.public_impact_view, name="county_impact"),
]
