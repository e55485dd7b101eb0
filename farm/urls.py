from django.urls import path

from . import views

app_name = "farm"

urlpatterns = [
    path("farm/", views.dashboard, name="dashboard"),
    path("farm/products/", views.product_list, name="product_list"),
    path("farm/products/new/", views.product_create, name="product_create"),
    path("farm/products/<id:pk>/", views.product_edit, name="product_edit"),
    path("farm/products/<id:pk>/submit/", views.product_submit, name="product_submit"),
    path("farm/products/<id:pk>/photos/", views.photo_upload, name="photo_upload"),
    path(
        "farm/products/<id:pk>/photos/<id:image_id>/delete/",
        views.photo_delete,
        name="photo_delete",
    ),
    path(
        "farm/products/<id:pk>/photos/<id:image_id>/move/",
        views.photo_move,
        name="photo_move",
    ),
    path("farm/products/<id:pk>/withdraw/", views.product_withdraw, name="product_withdraw"),
    path("farm/products/<id:pk>/delete/", views.product_delete, name="product_delete"),
    path("farm/products/<id:pk>/variants/", views.variant_add, name="variant_add"),
    path(
        "farm/products/<id:pk>/variants/<id:variant_id>/",
        views.variant_edit,
        name="variant_edit",
    ),
    path(
        "farm/products/<id:pk>/variants/<id:variant_id>/history/",
        views.variant_history,
        name="variant_history",
    ),
    path("farm/products/<id:pk>/approve/", views.product_approve, name="product_approve"),
    path("farm/products/<id:pk>/reject/", views.product_reject, name="product_reject"),
    path("farm/stock/", views.stock, name="stock"),
    path("farm/weigh/", views.weigh_list, name="weigh"),
    path("farm/weigh/<id:line_id>/", views.weigh_save, name="weigh_save"),
    path("farm/stock/<id:variant_id>/", views.stock_save, name="stock_save"),
    path("farm/batches/", views.batches, name="batches"),
    path("farm/batches/<id:batch_id>/", views.batch_edit, name="batch_edit"),
    path("farm/review/", views.review_list, name="review"),
]
