"""The cooperative manager's packing desk: only their shipments, pack, ship, slip."""

import pytest
from django.urls import reverse

from fulfilment import services
from fulfilment.models import Shipment
from tests.factories import make_carriers, make_manager, make_two_coop_order, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    make_carriers()
    order, coop_a, _coop_b = make_two_coop_order()
    a, b = services.shipments_create_for_order(order_id=order.pk)
    manager = make_manager(coop_a, "jeminay-manager")
    client.force_login(manager)
    return {"order": order, "a": a, "b": b, "client": client, "manager": manager}


def test_the_to_pack_list_shows_only_own_shipments(desk):
    response = desk["client"].get(reverse("admin:fulfilment_shipment_changelist"))
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows == [desk["a"]]
    services.shipment_mark_shipped(
        shipment_id=desk["a"].pk, carrier="sf", tracking_number="SF1234567890"
    )
    response = desk["client"].get(reverse("admin:fulfilment_shipment_changelist"))
    assert list(response.context["cl"].result_list) == []  # shipped: off the to-pack list
    response = desk["client"].get(reverse("admin:fulfilment_shipment_changelist") + "?state=all")
    assert list(response.context["cl"].result_list) == [desk["a"]]


def test_mark_packed_action(desk):
    url = reverse("admin:fulfilment_shipment_changelist")
    response = desk["client"].post(
        url, {"action": "mark_packed", "_selected_action": [desk["a"].pk, desk["b"].pk]}
    )
    assert response.status_code == 302
    assert Shipment.objects.get(pk=desk["a"].pk).status == "packed"
    assert Shipment.objects.get(pk=desk["b"].pk).status == "pending"  # not theirs


def test_ship_form_records_carrier_and_tracking_number(desk):
    url = reverse("admin:fulfilment_shipment_ship", args=[desk["a"].pk])
    assert desk["client"].get(url).status_code == 200
    response = desk["client"].post(url, {"carrier": "sf", "tracking_number": ""})
    assert response.status_code == 200 and Shipment.objects.get(pk=desk["a"].pk).status == "pending"
    response = desk["client"].post(url, {"carrier": "dhl", "tracking_number": "SF1234567890"})
    assert response.status_code == 200 and Shipment.objects.get(pk=desk["a"].pk).status == "pending"
    response = desk["client"].post(url, {"carrier": "sf", "tracking_number": "SF1234567890"})
    assert response.status_code == 302
    shipment = Shipment.objects.get(pk=desk["a"].pk)
    assert (shipment.status, shipment.carrier.code, shipment.tracking_number) == (
        "shipped",
        "sf",
        "SF1234567890",
    )


def test_another_cooperatives_shipment_is_not_found(desk):
    other = desk["b"].pk
    client = desk["client"]
    ship = reverse("admin:fulfilment_shipment_ship", args=[other])
    assert client.get(ship).status_code == 404
    assert (
        client.post(ship, {"carrier": "sf", "tracking_number": "SF1234567890"}).status_code == 404
    )
    assert client.get(reverse("admin:fulfilment_shipment_slip", args=[other])).status_code == 404
    assert Shipment.objects.get(pk=other).status == "pending"


def test_print_the_packing_slip(desk):
    response = desk["client"].get(reverse("admin:fulfilment_shipment_slip", args=[desk["a"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_platform_staff_see_every_shipment(client, desk):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:fulfilment_shipment_changelist"))
    assert set(response.context["cl"].result_list) == {desk["a"], desk["b"]}


def test_each_row_has_its_buttons_and_items(desk):
    """Issue 18: "packing slip · ship" fell off-screen; there was no pack or ship button."""
    body = desk["client"].get(reverse("admin:fulfilment_shipment_changelist")).content.decode()
    pack = reverse("admin:fulfilment_shipment_pack", args=[desk["a"].pk])
    ship = reverse("admin:fulfilment_shipment_ship", args=[desk["a"].pk])
    assert f'formaction="{pack}"' in body and f'href="{ship}"' in body
    line = desk["a"].lines.select_related("order_line").first().order_line
    assert f"{line.title} × {line.quantity}" in body
    # The buttons come right after the order number, before the wide columns.
    assert body.index("column-tools") < body.index("column-items") < body.index("column-status")
    assert "column-cooperative" not in body  # a one-cooperative manager


def test_the_row_pack_button_packs_and_returns_to_the_list(desk):
    url = reverse("admin:fulfilment_shipment_pack", args=[desk["a"].pk])
    assert desk["client"].get(url).status_code == 405
    response = desk["client"].post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:fulfilment_shipment_changelist")
    assert Shipment.objects.get(pk=desk["a"].pk).status == "packed"
    other = reverse("admin:fulfilment_shipment_pack", args=[desk["b"].pk])
    assert desk["client"].post(other).status_code == 404
    assert Shipment.objects.get(pk=desk["b"].pk).status == "pending"


def test_the_parcel_page_has_no_save_buttons(desk):
    """Issue 18: "save" buttons on a page with nothing to edit."""
    url = reverse("admin:fulfilment_shipment_change", args=[desk["a"].pk])
    body = desk["client"].get(url).content.decode()
    assert 'name="_save"' not in body and 'name="_continue"' not in body


def test_tracking_states_are_in_the_managers_language_and_local_time(desk):
    """Issue 18: the parcel page showed tracking states in English and times in UTC
    beside local ones."""
    from django.utils import timezone

    services.shipment_mark_packed(shipment_id=desk["a"].pk)
    event = desk["a"].events.order_by("-id").first()
    desk["client"].cookies["django_language"] = "zh-hans"
    url = reverse("admin:fulfilment_shipment_change", args=[desk["a"].pk])
    body = desk["client"].get(url).content.decode()
    assert "已打包" in body or "已包装" in body
    assert f"{timezone.localtime(event.at):%Y-%m-%d %H:%M}" in body
    if timezone.localtime(event.at).hour != event.at.hour:
        assert f"@ {event.at:%Y-%m-%d %H:%M}" not in body
