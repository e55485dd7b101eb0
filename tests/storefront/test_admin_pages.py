"""Every admin page opens: for each registered model, the list, the add form and an
existing row's page, as platform staff and as a cooperative's manager, on the demo data
plus a paid order with its shipment, payment, ledger and notices. A page that answers
500 (as the dividend form once did) fails here before a manager meets it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.demo import load_demo
from catalog.models import Variant
from fulfilment.services import shipments_create_for_order
from lifecycle import services as flows
from tests.factories import ADDRESS, make_notification, make_payment, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    load_demo(with_photos=False)
    variant = Variant.objects.filter(
        product__cooperative__slug__startswith="jeminay", stock__gt=0, is_active=True
    ).first()
    order, _created = flows.checkout_place(
        user=make_user(), shipping_address=ADDRESS, lines=[{"variant": variant.pk, "quantity": 1}]
    )
    payment = make_payment(order=order, provider="alipay")
    with django_capture_on_commit_callbacks(execute=False):
        flows.payment_notification_apply(inbox_id=make_notification(payment).pk)
    shipments_create_for_order(order_id=order.pk)


def _open_all(user: User) -> list[str]:
    client = Client()
    client.force_login(user)
    request = type("R", (), {"user": user, "GET": {}, "method": "GET"})()
    broken, opened = [], 0
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        if not model_admin.has_module_permission(request):
            continue
        urls = []
        if model_admin.has_view_permission(request):
            urls.append(reverse(f"admin:{label}_changelist"))
            row = model_admin.get_queryset(request).order_by("pk").first()
            if row is not None:
                urls.append(reverse(f"admin:{label}_change", args=[row.pk]))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{label}_add"))
        for url in urls:
            status = client.get(url).status_code
            opened += 1
            if status != 200:
                broken.append(f"{url} → {status}")
    assert opened > 30, opened
    return broken


def test_every_admin_page_opens_for_platform_staff(world):
    staff = make_user(is_staff=True, is_superuser=True, is_platform_staff=True)
    assert _open_all(staff) == []


def test_every_admin_page_a_manager_may_see_opens_for_the_manager(world):
    assert _open_all(User.objects.get(username="jeminay-manager")) == []
