"""The order endpoints that involve shipments: detail, cancel after payment, confirm receipt."""

import pytest

from fulfilment import services
from fulfilment.models import Shipment
from lifecycle import services as flows
from orders.constants import OrderStatus
from storefront.errors import InvalidState
from tests.factories import make_carriers, make_two_coop_order, make_user, record_sale

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _carriers():
    make_carriers()


def test_order_detail_renders_its_shipments(api_client):
    buyer = make_user()
    order, coop_a, _ = make_two_coop_order(user=buyer)
    a, _b = services.shipments_create_for_order(order_id=order.pk)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890")
    api_client.force_authenticate(buyer)
    body = api_client.get(f"/api/v1/orders/{order.number}/").json()
    assert [s["status"] for s in body["shipments"]] == ["shipped", "pending"]
    assert body["shipments"][0]["cooperative"]["slug"] == coop_a.slug
    assert body["shipments"][0]["events"][-1]["status"] == "shipped"


def test_cancelling_a_paid_order_cancels_its_shipments_and_starts_the_refund():
    order, *_ = make_two_coop_order()
    record_sale(order)
    services.shipments_create_for_order(order_id=order.pk)
    flows.order_cancel(order=order)
    assert order.status == OrderStatus.REFUND_PENDING
    assert set(Shipment.objects.values_list("status", flat=True)) == {"cancelled"}


def test_an_order_with_a_shipped_parcel_cannot_be_cancelled():
    order, *_ = make_two_coop_order()
    record_sale(order)
    a, _b = services.shipments_create_for_order(order_id=order.pk)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890")
    with pytest.raises(InvalidState) as exc:
        flows.order_cancel(order=order)
    assert exc.value.code == "invalid_state"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert sorted(Shipment.objects.values_list("status", flat=True)) == ["pending", "shipped"]


def test_cancel_endpoint_answers_409_once_shipped(api_client):
    buyer = make_user()
    order, *_ = make_two_coop_order(user=buyer)
    for i, s in enumerate(services.shipments_create_for_order(order_id=order.pk)):
        services.shipment_mark_shipped(
            shipment_id=s.pk, carrier="sf", tracking_number=f"SF123456789{i}"
        )
    api_client.force_authenticate(buyer)
    response = api_client.post(f"/api/v1/orders/{order.number}/cancel/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"


def test_confirm_receipt_delivers_every_shipment(api_client):
    buyer = make_user()
    order, *_ = make_two_coop_order(user=buyer)
    shipments = services.shipments_create_for_order(order_id=order.pk)
    api_client.force_authenticate(buyer)
    url = f"/api/v1/orders/{order.number}/confirm-receipt/"
    assert api_client.post(url).status_code == 409  # not shipped yet
    for i, s in enumerate(shipments):
        services.shipment_mark_shipped(
            shipment_id=s.pk, carrier="yunda", tracking_number=f"YD123456789{i}"
        )
    response = api_client.post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "delivered"
    assert {s["status"] for s in response.json()["shipments"]} == {"delivered"}
