"""The reports pages inside the admin (``/admin/reports/…``), mounted by
``storefront.urls`` before the admin site itself."""

from django.urls import path

from . import views

app_name = "reports_admin"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("jobs/", views.job_list_view, name="jobs"),
    path("jobs/<int:job_id>/", views.job_view, name="job"),
    path("jobs/<int:job_id>/status/", views.job_status_view, name="job_status"),
    path("jobs/<int:job_id>/download/", views.job_download_view, name="job_download"),
    path("jobs/<int:job_id>/apply/", views.import_apply_view, name="import_apply"),
    path("export/", views.export_view, name="export"),
    path("import/", views.import_view, name="import"),
    path("import/template.<str:fmt>", views.import_template_view, name="import_template"),
    path("impact/", views.impact_view, name="impact"),
    path("impact/pdf/", views.impact_pdf_view, name="impact_pdf"),
]
