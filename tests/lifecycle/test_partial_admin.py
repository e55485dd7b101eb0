"""The admin pages of partial refunds: a manager weighs a parcel's by-weight lines (the
form saved three times refunds once) and gives back units of a line; another
cooperative's parcel, order or line is a 404."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from fulfilment.services import shipments_create_for_order
from payments.constants import RefundStatus
from payments.models import Refund
from tests.factories import make_cooperative, make_manager, make_product
from tests.lifecycle.weight_helpers import make_weight_variant, place_and_pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def coop():
    return make_cooperative()


@pytest.fixture
def manager(coop):
    return make_manager(coop)


def test_the_manager_weighs_a_parcel_three_times_and_the_difference_is_refunded_once(
    client, coop, manager, django_capture_on_commit_callbacks
):
    variant = make_weight_variant(cooperative=coop)
    order, payment = place_and_pay([(variant, 1)])
    (shipment,) = shipments_create_for_order(order_id=order.pk)
    line = order.lines.get()
    client.force_login(manager)
    listing = client.get("/admin/fulfilment/shipment/").content.decode()
    url = f"/admin/fulfilment/shipment/{shipment.pk}/weigh/"
    assert url in listing
    page = client.get(url)
    assert page.status_code == 200 and f'name="grams_{line.pk}"' in page.content.decode()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {f"grams_{line.pk}": "4873"})
        assert response.status_code in (200, 302)
    line.refresh_from_db()
    assert (line.final_weight_grams, line.final_amount, line.weighed_by) == (
        4873,
        D("33.14"),
        manager,
    )
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.status) == (D("0.86"), RefundStatus.SUCCEEDED)
    after = client.get(url).content.decode()
    assert "4873 g" in after and manager.username in after
    # Bad input: a clear error, nothing changes.
    other, _ = place_and_pay([(make_weight_variant(cooperative=coop), 1)])
    (other_shipment,) = shipments_create_for_order(order_id=other.pk)
    other_line = other.lines.get()
    bad = client.post(
        f"/admin/fulfilment/shipment/{other_shipment.pk}/weigh/",
        {f"grams_{other_line.pk}": "-5"},
    )
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    other_line.refresh_from_db()
    assert other_line.final_weight_grams is None


def test_another_cooperatives_parcel_and_order_are_not_found(client, manager):
    variant = make_weight_variant()  # another cooperative's
    order, payment = place_and_pay([(variant, 1)])
    (shipment,) = shipments_create_for_order(order_id=order.pk)
    line = order.lines.get()
    client.force_login(manager)
    weigh = client.post(
        f"/admin/fulfilment/shipment/{shipment.pk}/weigh/", {f"grams_{line.pk}": "4000"}
    )
    assert weigh.status_code == 404
    units = client.post(
        f"/admin/orders/order/{order.pk}/refund-units/",
        {"line": line.pk, "units": 1, "already": 0},
    )
    assert units.status_code == 404
    line.refresh_from_db()
    assert line.final_weight_grams is None
    assert not Refund.objects.filter(payment=payment).exists()


def test_the_manager_refunds_units_of_a_line_and_a_resent_form_refunds_once(
    client, coop, manager, django_capture_on_commit_callbacks
):
    variant = make_product(cooperative=coop, price="10.00", stock=20).variants.get()
    order, payment = place_and_pay([(variant, 3)])
    line = order.lines.get()
    client.force_login(manager)
    url = f"/admin/orders/order/{order.pk}/refund-units/"
    assert url in client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert client.get(url).status_code == 200
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"line": line.pk, "units": 2, "already": 0})
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.key, refund.status) == (
        D("20.00"),
        f"line:{line.pk}:1-2",
        RefundStatus.SUCCEEDED,
    )
    too_many = client.post(url, {"line": line.pk, "units": 2, "already": 2})
    assert too_many.status_code == 200 and "More units than are left" in too_many.content.decode()
    assert Refund.objects.filter(payment=payment).count() == 1


def test_a_farmer_weighs_a_line_on_the_farm_portal(
    client, coop, django_capture_on_commit_callbacks
):
    from tests.factories import make_farmer

    farmer = make_farmer(coop)
    variant = make_weight_variant(cooperative=coop)
    order, payment = place_and_pay([(variant, 1)])
    line = order.lines.get()
    elsewhere, _ = place_and_pay([(make_weight_variant(), 1)])
    client.force_login(farmer)
    page = client.get("/farm/weigh/").content.decode()
    assert f"/farm/weigh/{line.pk}/" in page
    assert f"/farm/weigh/{elsewhere.lines.get().pk}/" not in page
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/farm/weigh/{line.pk}/", {f"l{line.pk}-grams": "4873"})
    line.refresh_from_db()
    assert (line.final_amount, line.weighed_by) == (D("33.14"), farmer)
    assert Refund.objects.get(payment=payment).amount == D("0.86")
    # Another cooperative's line: 404, nothing weighed; bad input: nothing weighed.
    other = elsewhere.lines.get()
    assert (
        client.post(f"/farm/weigh/{other.pk}/", {f"l{other.pk}-grams": "4000"}).status_code == 404
    )
    mine, _ = place_and_pay([(make_weight_variant(cooperative=coop), 1)])
    mine_line = mine.lines.get()
    client.post(f"/farm/weigh/{mine_line.pk}/", {f"l{mine_line.pk}-grams": "4.5"})
    other.refresh_from_db()
    mine_line.refresh_from_db()
    assert other.final_weight_grams is None and mine_line.final_weight_grams is None


def test_the_weigh_and_refund_pages_cost_the_same_queries_for_more_lines(client, coop, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_farmer

    farmer = make_farmer(coop)

    def counts(order):
        (shipment,) = shipments_create_for_order(order_id=order.pk)
        client.force_login(manager)
        pages = (
            f"/admin/fulfilment/shipment/{shipment.pk}/weigh/",
            f"/admin/orders/order/{order.pk}/refund-units/",
        )
        out = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries))
        client.force_login(farmer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/farm/weigh/").status_code == 200
        out.append(len(queries))
        return out

    one, _ = place_and_pay([(make_weight_variant(cooperative=coop), 1)])
    small = counts(one)
    many, _ = place_and_pay(
        [(make_weight_variant(cooperative=coop, sku=f"W-{i}"), 1) for i in range(4)]
    )
    assert counts(many) == small
