import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfilment import carriers, services
from fulfilment.models import CarrierEvent, TrackingEvent
from orders.constants import OrderStatus
from tests.factories import make_carriers, make_paid_order, make_two_coop_order, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/fulfilment/carrier-events/"
SECRETS = {"sf": "sf-test-secret", "ems": "ems-test-secret"}


@pytest.fixture(autouse=True)
def _setup(settings):
    make_carriers()
    settings.CARRIER_WEBHOOK_SECRETS = SECRETS


def _shipped_order(buyer=None):
    order, *_ = make_two_coop_order(user=buyer)
    a, b = services.shipments_create_for_order(order_id=order.pk)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF0000000001")
    services.shipment_mark_shipped(shipment_id=b.pk, carrier="ems", tracking_number="EM0000000002")
    return order, a, b


def test_the_buyer_sees_shipments_with_their_tracking_events(api_client):
    buyer = make_user()
    order, a, b = _shipped_order(buyer)
    api_client.force_authenticate(buyer)
    response = api_client.get(f"/api/v1/orders/{order.number}/shipments/")
    assert response.status_code == 200
    body = response.json()
    assert [s["cooperative"]["slug"] for s in body] == [a.cooperative.slug, b.cooperative.slug]
    first = body[0]
    assert set(first) >= {"cooperative", "status", "carrier", "tracking_number", "events"}
    assert first["status"] == "shipped" and first["tracking_number"] == "SF0000000001"
    assert first["carrier"]["code"] == "sf"
    assert first["tracking_url"].endswith("SF0000000001")
    assert [e["status"] for e in first["events"]] == ["pending", "packed", "shipped"]
    assert set(first["events"][0]) == {"at", "status", "note"}


def test_another_users_order_is_not_found(api_client):
    order, *_ = _shipped_order()
    api_client.force_authenticate(make_user())
    response = api_client.get(f"/api/v1/orders/{order.number}/shipments/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/v1/orders/{order.number}/shipments/").status_code == 401


def test_shipments_cost_the_same_queries_for_one_or_many(api_client):
    buyer = make_user()
    one = make_paid_order(user=buyer)
    services.shipments_create_for_order(order_id=one.pk)
    two, *_ = _shipped_order(buyer)
    api_client.force_authenticate(buyer)
    counts = []
    for order in (one, two):
        with CaptureQueriesContext(connection) as ctx:
            assert api_client.get(f"/api/v1/orders/{order.number}/shipments/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 6


def _post(api_client, payload, *, secret=None, timestamp=None, carrier="sf"):
    body = json.dumps(payload).encode()
    header = carriers.sign(secret or SECRETS[carrier], body, timestamp=timestamp)
    return api_client.generic(
        "POST", URL, body, content_type="application/json", HTTP_X_CARRIER_SIGNATURE=header
    )


def _event(**overrides):
    return {
        "id": "evt-1",
        "carrier": "sf",
        "tracking_number": "SF0000000001",
        "status": "delivered",
        "at": "2026-11-30T10:00:00+08:00",
        "note": "签收 signed for at the door",
        **overrides,
    }


def test_a_signed_delivery_report_delivers_and_a_replay_changes_nothing(api_client):
    order, a, _b = _shipped_order()
    response = _post(api_client, _event(status="in_transit", id="evt-0"))
    assert response.status_code == 200
    assert response.json() == {"id": "evt-0", "result": "applied", "shipment_status": "shipped"}
    response = _post(api_client, _event())
    assert response.json()["result"] == "applied"
    a.refresh_from_db()
    assert a.status == "delivered"
    events = TrackingEvent.objects.filter(shipment=a).count()
    replay = _post(api_client, _event())
    assert replay.status_code == 200 and replay.json()["result"] == "duplicate"
    assert TrackingEvent.objects.filter(shipment=a).count() == events
    assert CarrierEvent.objects.count() == 2
    # the second cooperative's parcel arrives too: the order is delivered
    _post(
        api_client,
        _event(id="e-9", carrier="ems", tracking_number="EM0000000002"),
        carrier="ems",
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"secret": "wrong"}, 401, "invalid_signature"),
        ({"timestamp": int(time.time()) - 3600}, 401, "invalid_signature"),
        ({"payload": _event(carrier="dhl"), "secret": "x"}, 401, "invalid_signature"),
        ({"payload": _event(tracking_number="SF9999999999")}, 404, "unknown_tracking_number"),
        ({"payload": _event(status="lost")}, 400, "invalid"),
    ],
)
def test_bad_carrier_reports_change_nothing(api_client, kwargs, status, code):
    _shipped_order()
    payload = kwargs.pop("payload", _event())
    before = TrackingEvent.objects.count()
    response = _post(api_client, payload, **kwargs)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert TrackingEvent.objects.count() == before and not CarrierEvent.objects.exists()


def test_a_missing_signature_is_refused(api_client):
    _shipped_order()
    response = api_client.post(URL, _event(), format="json")
    assert response.status_code == 401


def test_a_report_that_would_move_a_shipment_backwards_is_refused(api_client):
    _order, a, _b = _shipped_order()
    assert _post(api_client, _event()).status_code == 200
    response = _post(api_client, _event(id="evt-late", status="in_transit"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    a.refresh_from_db()
    assert a.status == "delivered"
    assert not CarrierEvent.objects.filter(event_id="evt-late").exists()


def test_system_tracking_notes_are_shown_in_the_readers_language():
    from django.utils import translation

    from fulfilment.api.serializers import TrackingEventSerializer

    class Event:
        at = None
        status = "pending"
        note = "order paid; waiting to be packed"

    with translation.override("zh-hans"):
        assert TrackingEventSerializer(Event()).data["note"] == "订单已付款，等待打包"
    with translation.override("en"):
        assert TrackingEventSerializer(Event()).data["note"] == "order paid; waiting to be packed"
    Event.note = "Arrived at Urumqi hub"  # a carrier's own words pass through unchanged
    with translation.override("zh-hans"):
        assert TrackingEventSerializer(Event()).data["note"] == "Arrived at Urumqi hub"
