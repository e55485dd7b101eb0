from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from fulfilment import services
from fulfilment.constants import ShipmentStatus
from fulfilment.exceptions import (
    DuplicateTrackingNumber,
    ShipmentInvalidState,
    ShipmentNotFound,
    TrackingNumberRequired,
    UnknownCarrier,
)
from fulfilment.models import Shipment, ShipmentLine, TrackingEvent
from lifecycle import services as flows
from orders.constants import OrderStatus
from orders.exceptions import OrderInvalidState
from orders.models import Order
from tests.factories import (
    balances,
    make_batch,
    make_carriers,
    make_manager,
    make_paid_order,
    make_two_coop_order,
    make_user,
    record_sale,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def carriers():
    return make_carriers()


def _snapshot():
    return (
        list(Shipment.objects.order_by("pk").values_list("pk", "status", "updated")),
        ShipmentLine.objects.count(),
        TrackingEvent.objects.count(),
    )


def test_an_order_over_two_cooperatives_makes_two_shipments_with_their_lines():
    order, coop_a, coop_b = make_two_coop_order()
    shipments = services.shipments_create_for_order(order_id=order.pk)
    assert [s.cooperative_id for s in shipments] == sorted([coop_a.pk, coop_b.pk])
    for shipment in shipments:
        lines = list(shipment.lines.select_related("order_line"))
        assert len(lines) == 1
        assert lines[0].order_line.cooperative_id == shipment.cooperative_id
        assert lines[0].batch is not None
        assert shipment.status == ShipmentStatus.PENDING
        assert list(shipment.events.values_list("status", flat=True)) == ["pending"]


def test_the_line_gets_the_products_most_recent_batch():
    order = make_paid_order()
    product = order.lines.get().variant.product
    from datetime import date

    make_batch(product=product, code="OLD-1", harvested_on=date(2025, 7, 1), milled_on=None)
    newest = make_batch(
        product=product, code="NEW-1", harvested_on=date(2026, 7, 1), milled_on=None
    )
    (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    assert shipment.lines.get().batch == newest


def test_creating_twice_creates_nothing_the_second_time():
    order, *_ = make_two_coop_order()
    first = services.shipments_create_for_order(order_id=order.pk)
    before = _snapshot()
    second = services.shipments_create_for_order(order_id=order.pk)
    assert [s.pk for s in second] == [s.pk for s in first]
    assert _snapshot() == before


def test_an_unpaid_order_cannot_get_shipments():
    order = make_paid_order(status=OrderStatus.PENDING_PAYMENT)
    with pytest.raises(OrderInvalidState):
        services.shipments_create_for_order(order_id=order.pk)
    assert not Shipment.objects.exists()


def test_an_order_cancelled_before_the_task_ran_gets_no_shipments():
    order = make_paid_order(status=OrderStatus.REFUND_PENDING)
    assert services.shipments_create_for_order(order_id=order.pk) == []
    assert not Shipment.objects.exists()


def test_order_follows_its_shipments_through_shipped_and_delivered(carriers):
    order, _coop_a, _coop_b = make_two_coop_order()
    a, b = services.shipments_create_for_order(order_id=order.pk)
    services.shipment_mark_packed(shipment_id=a.pk)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # b has not shipped yet
    # b goes straight from pending to shipped: it is recorded packed on the way
    services.shipment_mark_shipped(shipment_id=b.pk, carrier="ems", tracking_number="ems-000111")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.shipped_at is not None
    b.refresh_from_db()
    assert b.tracking_number == "EMS-000111"
    assert list(b.events.values_list("status", flat=True)) == ["pending", "packed", "shipped"]
    assert b.tracking_url == "https://www.ems.com.cn/qps/yjcx?mailNum=EMS-000111"

    services.shipment_mark_delivered(shipment_id=a.pk, by="carrier")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    services.shipment_mark_delivered(shipment_id=b.pk, by="cooperative")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivered_at is not None


@pytest.mark.parametrize(
    ("carrier", "number", "error"),
    [
        ("sf", "", TrackingNumberRequired),
        ("sf", "   ", TrackingNumberRequired),
        ("sf", "bad number!", TrackingNumberRequired),
        ("dhl", "SF1234567890", UnknownCarrier),
        ("", "SF1234567890", UnknownCarrier),
    ],
)
def test_shipping_needs_a_known_carrier_and_a_tracking_number(carrier, number, error):
    order = make_paid_order()
    (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    before = _snapshot()
    with pytest.raises(error) as exc:
        services.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier=carrier, tracking_number=number
        )
    assert exc.value.status_code == 400
    assert _snapshot() == before


def test_an_inactive_carrier_is_unknown(carriers):
    carriers["yto"].is_active = False
    carriers["yto"].save()
    order = make_paid_order()
    (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    with pytest.raises(UnknownCarrier):
        services.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier="yto", tracking_number="YT1234567890"
        )


def test_a_tracking_number_cannot_be_used_twice_with_one_carrier():
    order, *_ = make_two_coop_order()
    a, b = services.shipments_create_for_order(order_id=order.pk)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890")
    with pytest.raises(DuplicateTrackingNumber):
        services.shipment_mark_shipped(
            shipment_id=b.pk, carrier="sf", tracking_number="sf1234567890"
        )
    b.refresh_from_db()
    assert b.status == ShipmentStatus.PENDING


def test_another_cooperatives_manager_cannot_touch_the_shipment():
    order, coop_a, _coop_b = make_two_coop_order()
    a, b = services.shipments_create_for_order(order_id=order.pk)
    manager_a = make_manager(coop_a)
    services.shipment_mark_packed(shipment_id=a.pk, actor=manager_a)
    with pytest.raises(ShipmentNotFound) as exc:
        services.shipment_mark_packed(shipment_id=b.pk, actor=manager_a)
    assert exc.value.status_code == 404
    with pytest.raises(ShipmentNotFound):
        services.shipment_mark_shipped(
            shipment_id=b.pk, actor=manager_a, carrier="sf", tracking_number="SF1234567890"
        )
    with pytest.raises(ShipmentNotFound):
        services.shipment_mark_packed(shipment_id=999999, actor=manager_a)
    b.refresh_from_db()
    assert b.status == ShipmentStatus.PENDING


def test_steps_only_go_forward():
    order = make_paid_order()
    (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    with pytest.raises(ShipmentInvalidState):
        services.shipment_mark_delivered(shipment_id=shipment.pk)
    services.shipment_mark_packed(shipment_id=shipment.pk)
    with pytest.raises(ShipmentInvalidState):
        services.shipment_mark_packed(shipment_id=shipment.pk)
    services.shipment_mark_shipped(
        shipment_id=shipment.pk, carrier="zto", tracking_number="ZT1234567890"
    )
    with pytest.raises(ShipmentInvalidState):
        services.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier="zto", tracking_number="ZT1234567891"
        )


def test_cancelling_before_shipping_cancels_every_shipment():
    order, *_ = make_two_coop_order()
    a, _b = services.shipments_create_for_order(order_id=order.pk)
    services.shipment_mark_packed(shipment_id=a.pk)
    assert services.shipments_cancel_for_order(order=order) == 2
    assert set(Shipment.objects.values_list("status", flat=True)) == {"cancelled"}
    assert services.shipments_cancel_for_order(order=order) == 0  # nothing left to cancel


def test_a_shipped_order_cannot_be_cancelled():
    order, *_ = make_two_coop_order()
    a, b = services.shipments_create_for_order(order_id=order.pk)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890")
    with pytest.raises(ShipmentInvalidState) as exc:
        services.shipments_cancel_for_order(order=order)
    assert exc.value.code == "invalid_state"
    b.refresh_from_db()
    assert b.status == ShipmentStatus.PENDING


def test_buyer_confirming_receipt_delivers_every_shipment_and_the_order():
    order, *_ = make_two_coop_order()
    a, b = services.shipments_create_for_order(order_id=order.pk)
    with pytest.raises(OrderInvalidState):  # not shipped yet
        services.shipments_mark_delivered_for_order(order=order)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890")
    services.shipment_mark_shipped(shipment_id=b.pk, carrier="sf", tracking_number="SF1234567891")
    order.refresh_from_db()
    assert services.shipments_mark_delivered_for_order(order=order, by="buyer") == 2
    assert order.status == OrderStatus.DELIVERED
    assert set(Shipment.objects.values_list("status", flat=True)) == {"delivered"}
    assert TrackingEvent.objects.filter(status="delivered", note__icontains="buyer").count() == 2


def _ship_all(order):
    for i, shipment in enumerate(services.shipments_create_for_order(order_id=order.pk)):
        services.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier="jd", tracking_number=f"JD{order.pk:06d}{i:04d}"
        )


def test_shipments_are_delivered_automatically_after_the_delivery_period(settings):
    settings.AUTO_DELIVER_DAYS = 15
    order = make_paid_order()
    _ship_all(order)
    assert services.shipments_auto_deliver_due() == 0
    later = timezone.now() + timedelta(days=15, minutes=1)
    assert services.shipments_auto_deliver_due(now=later) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert services.shipments_auto_deliver_due(now=later) == 0


def test_completion_after_the_return_window_releases_the_ledger(settings):
    settings.RETURN_WINDOW_DAYS = 7
    order, coop_a, coop_b = make_two_coop_order()
    record_sale(order)
    _ship_all(order)
    services.shipments_mark_delivered_for_order(order=order)
    assert balances(coop_a).get("available") is None

    assert flows.orders_complete_due() == 0  # inside the return window
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED

    later = timezone.now() + timedelta(days=7, minutes=1)
    assert flows.orders_complete_due(now=later) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    for coop in (coop_a, coop_b):
        b = balances(coop)
        assert b["pending"] == Decimal("0.00")
        assert b["available"] > 0
    assert flows.orders_complete_due(now=later) == 0
    assert flows.order_complete(order_id=order.pk, now=later) is False


def test_an_order_with_a_refund_pending_is_never_completed(settings):
    order = make_paid_order(status=OrderStatus.REFUND_PENDING)
    later = timezone.now() + timedelta(days=60)
    assert flows.order_complete(order_id=order.pk, now=later) is False
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUND_PENDING


def test_managers_are_emailed_once_in_their_language(settings, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "zh-hans"
    order = make_paid_order()
    coop = order.lines.get().cooperative
    manager = make_manager(coop)
    manager.email = "manager@example.com"
    manager.save()
    make_manager(coop)  # no address: skipped
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # tasks run eagerly on commit
        (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["manager@example.com"]
    assert order.number in message.subject and order.number in message.body
    assert message.extra_headers["Content-Language"] == "zh-hans"
    html = message.alternatives[0][0]
    assert 'lang="zh-hans"' in html and order.lines.get().sku in html
    assert services.shipment_notify_managers(shipment_id=shipment.pk) == 0
    assert len(mail.outbox) == 1


def test_the_buyer_gets_the_tracking_link_once_shipped(django_capture_on_commit_callbacks):
    buyer = make_user(email="buyer@example.com")
    order = make_paid_order(user=buyer)
    (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier="sf", tracking_number="SF1234567890"
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@example.com"]
    link = "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890"
    assert link in message.body and "SF1234567890" in message.subject + message.body
    assert services.shipment_notify_buyer_shipped(shipment_id=shipment.pk) is False
    assert len(mail.outbox) == 1
