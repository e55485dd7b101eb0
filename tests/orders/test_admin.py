"""The orders admin: platform staff see all; a manager sees only orders with their lines,
and of those only their lines; nobody edits."""

from __future__ import annotations

import pytest

from orders import services
from tests.factories import make_cooperative, make_manager, make_product, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_coop_order(address):
    mine = make_cooperative(name="Mine Coop")
    theirs = make_cooperative(name="Their Coop")
    a = make_product(cooperative=mine, title="Mine Flour").variants.get()
    b = make_product(cooperative=theirs, title="Their Honey").variants.get()
    buyer = make_user()
    order, _ = services.order_place(
        user=buyer,
        shipping_address=address,
        lines=[{"variant": a.pk, "quantity": 1}, {"variant": b.pk, "quantity": 1}],
    )
    only_theirs, _ = services.order_place(
        user=buyer, shipping_address=address, lines=[{"variant": b.pk, "quantity": 1}]
    )
    return mine, theirs, order, only_theirs


def test_manager_sees_only_orders_and_lines_of_their_cooperative(client, two_coop_order):
    mine, _theirs, order, only_theirs = two_coop_order
    manager = make_manager(mine)
    manager.is_staff = True
    manager.save()
    client.force_login(manager)

    listing = client.get("/admin/orders/order/")
    assert listing.status_code == 200
    assert order.number in listing.text and only_theirs.number not in listing.text

    detail = client.get(f"/admin/orders/order/{order.pk}/change/")
    assert detail.status_code == 200
    assert "Mine Flour" in detail.text and "Their Honey" not in detail.text
    assert 'name="_save"' not in detail.text  # read-only

    hidden = client.get(f"/admin/orders/order/{only_theirs.pk}/change/")
    assert hidden.status_code == 302  # Django's answer for an object you cannot see
    assert client.post(f"/admin/orders/order/{order.pk}/delete/").status_code == 403
    assert client.get("/admin/orders/order/add/").status_code == 403


def test_platform_staff_see_everything(client, two_coop_order):
    _mine, _theirs, order, only_theirs = two_coop_order
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    listing = client.get("/admin/orders/order/")
    assert order.number in listing.text and only_theirs.number in listing.text
    detail = client.get(f"/admin/orders/order/{order.pk}/change/")
    assert "Mine Flour" in detail.text and "Their Honey" in detail.text


def test_buyer_without_membership_sees_nothing(client, two_coop_order):
    client.force_login(make_user(is_staff=True))
    assert client.get("/admin/orders/order/").status_code == 403


def test_the_order_list_shows_buyer_items_and_the_managers_amount(client, two_coop_order):
    """Issue 18: the admin order list had no amount, buyer or items."""
    mine, _theirs, order, _only_theirs = two_coop_order
    client.force_login(make_manager(mine))
    line = order.lines.get(cooperative=mine)
    listing = client.get("/admin/orders/order/").text
    assert order.shipping_address["name"] in listing
    assert f"{line.title} × 1" in listing and "Their Honey" not in listing
    assert f"¥{line.line_total}" in listing
