"""Issue 18: farmers and managers are told, once per event, from the one service where
each event happens."""

from __future__ import annotations

import pytest
from django.db import transaction

from catalog import services as catalog_services
from catalog.constants import ProductStatus
from catalog.news import stock_tell_low
from catalog.stock import stock_take
from fulfilment import services as fulfilment_services
from lifecycle.services.news import managers_tell_paid_order_cancelled
from notifications.constants import NotificationKind
from notifications.models import Notification
from payments.services import payout_create
from tests.factories import (
    make_carriers,
    make_farmer,
    make_manager,
    make_paid_order,
    make_photo,
    make_product,
    record_sale,
)

pytestmark = pytest.mark.django_db


def _told(user, kind) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind))


@pytest.fixture
def people(coop):
    return make_farmer(coop), make_manager(coop)


def test_a_listing_to_review_then_approved(coop, people):
    farmer, manager = people
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT, farmer=farmer)
    make_photo(product=product)
    catalog_services.product_submit(product=product, actor=farmer)
    [notice] = _told(manager, NotificationKind.LISTING_TO_REVIEW)
    assert notice.context == {"title": product.title}
    assert not _told(farmer, NotificationKind.LISTING_TO_REVIEW)
    catalog_services.product_approve(product=product, by=manager)
    assert len(_told(farmer, NotificationKind.LISTING_APPROVED)) == 1


def test_a_rejection_reaches_whoever_sent_it_with_the_reason(coop, people):
    farmer, manager = people
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)  # no farmer named
    make_photo(product=product)
    catalog_services.product_submit(product=product, actor=farmer)
    catalog_services.product_reject(product=product, by=manager, reason="Photo is blurry.")
    [notice] = _told(farmer, NotificationKind.LISTING_REJECTED)
    assert notice.context["reason"] == "Photo is blurry."
    # Sent again and rejected again: a second event, a second notice.
    catalog_services.product_submit(product=product, actor=farmer)
    catalog_services.product_reject(product=product, by=manager, reason="Still blurry.")
    assert len(_told(farmer, NotificationKind.LISTING_REJECTED)) == 2
    assert len(_told(manager, NotificationKind.LISTING_TO_REVIEW)) == 2


def test_low_stock_is_told_once_per_crossing_of_the_cooperatives_threshold(coop, people):
    farmer, _manager = people
    coop.low_stock_threshold = 5
    coop.save()
    variant = make_product(cooperative=coop, farmer=farmer, stock=7).variants.get()

    def sell(n):
        with transaction.atomic():
            assert stock_take(quantities={variant.pk: n}) == []
        return variant.movements.order_by("-id").first().pk

    assert stock_tell_low(movement_ids=[sell(1)]) == 0  # 7 → 6: above
    first = sell(2)  # 6 → 4: crosses
    assert stock_tell_low(movement_ids=[first]) == 1
    assert stock_tell_low(movement_ids=[first]) == 1  # the task again: no second notice
    assert stock_tell_low(movement_ids=[sell(1)]) == 0  # 4 → 3: already below
    [notice] = _told(farmer, NotificationKind.LOW_STOCK)
    assert notice.context["stock"] == 4


def test_a_sale_enqueues_the_low_stock_check_on_commit(
    coop, people, django_capture_on_commit_callbacks
):
    farmer, _manager = people
    variant = make_product(cooperative=coop, farmer=farmer, stock=5).variants.get()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        stock_take(quantities={variant.pk: 1})
    assert len(_told(farmer, NotificationKind.LOW_STOCK)) == 1


def test_a_paid_order_tells_its_farmers_what_sold_and_its_managers_what_to_pack(coop, people):
    farmer, manager = people
    make_carriers()
    variant = make_product(cooperative=coop, farmer=farmer, title="Stone flour").variants.get()
    order = make_paid_order(items=[(variant, 2)])
    fulfilment_services.shipments_create_for_order(order_id=order.pk)
    fulfilment_services.shipments_create_for_order(order_id=order.pk)  # the task again
    [sold] = _told(farmer, NotificationKind.SOLD)
    assert "× 2" in sold.context["items"] and sold.context["number"] == order.number
    assert len(_told(manager, NotificationKind.TO_PACK)) == 1
    assert not _told(farmer, NotificationKind.TO_PACK)


def test_managers_hear_of_a_cancelled_paid_order_and_of_a_payout(coop, people, settings):
    _farmer, manager = people
    variant = make_product(cooperative=coop).variants.get()
    order = make_paid_order(items=[(variant, 1)])
    managers_tell_paid_order_cancelled(order)
    managers_tell_paid_order_cancelled(order)
    assert len(_told(manager, NotificationKind.PAID_ORDER_CANCELLED)) == 1

    from payments.models import LedgerEntry

    record_sale(order)
    LedgerEntry.objects.filter(cooperative=coop).update(account="available")
    payout = payout_create(cooperative=coop, created_by=None)
    [notice] = _told(manager, NotificationKind.PAYOUT_MADE)
    assert notice.context == {"amount": f"{payout.amount:.2f}", "reference": payout.reference}
