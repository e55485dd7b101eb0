"""The portal's stock: changes relative to what a page showed, the result where the person
looks, and each variant's history of movements."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import transaction

from catalog.models import StockMovement, Variant
from catalog.stock import stock_take
from orders.services import order_place
from tests.factories import (
    ADDRESS,
    assert_stock_ledger_consistent,
    make_product,
    make_user,
)
from tests.forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(coop) -> Variant:
    return make_product(cooperative=coop, title="Stone flour", stock=12).variants.get()


def _row(html: str, variant_id: int) -> str:
    """The stock page's card of one variant."""
    match = re.search(
        rf'<li class="card stock-card" id="variant-{variant_id}">(.*?)</li>', html, re.S
    )
    assert match, "no row for the variant"
    return match.group(1)


def test_saved_message_shows_the_figure_after_the_save(farmer_client, variant):
    """Issue 18: the message said the old number ("stock is now 12" after typing 15)."""
    url = f"/farm/stock/{variant.pk}/"
    shown = form_data(farmer_client.get("/farm/stock/").content.decode(), action=url)
    response = farmer_client.post(url, {**shown, f"v{variant.pk}-stock_0": "15"})
    assert response.status_code == 302 and response["Location"].endswith(f"#variant-{variant.pk}")
    row = _row(farmer_client.get(response["Location"]).content.decode(), variant.pk)
    # In the row the person saved, not at the top of a long page.
    assert "Stone flour — 5 kg: stock is now 15." in row
    assert 'value="15"' in row


def test_received_goods_add_to_what_is_on_the_shelf_now(farmer_client, variant):
    url = f"/farm/stock/{variant.pk}/"
    shown = form_data(farmer_client.get("/farm/stock/").content.decode(), action=url)
    with transaction.atomic():
        stock_take(quantities={variant.pk: 2})  # a sale while the page is open
    farmer_client.post(
        url,
        {**shown, f"v{variant.pk}-stock_delta": "20", f"v{variant.pk}-stock_note": "new harvest"},
    )
    variant.refresh_from_db()
    assert variant.stock == 12 - 2 + 20
    movement = variant.movements.first()
    assert (movement.delta, movement.reason, movement.note) == (20, "receipt", "new harvest")
    row = _row(farmer_client.get("/farm/stock/").content.decode(), variant.pk)
    assert "stock is now 30" in row
    assert_stock_ledger_consistent()


def test_damaged_goods_are_a_correction_and_cannot_go_below_zero(farmer_client, farmer, variant):
    url, p = f"/farm/stock/{variant.pk}/", f"v{variant.pk}"
    farmer_client.post(
        url, {f"{p}-stock_1": "12", f"{p}-stock_delta": "-3", f"{p}-stock_note": "rain"}
    )
    movement = StockMovement.objects.filter(variant=variant).first()
    assert (movement.delta, movement.reason, movement.actor_id) == (-3, "correction", farmer.pk)
    farmer_client.post(url, {f"{p}-stock_1": "9", f"{p}-stock_delta": "-10"})
    variant.refresh_from_db()
    assert variant.stock == 9
    row = _row(farmer_client.get("/farm/stock/").content.decode(), variant.pk)
    assert "Only 9 are in stock" in row
    assert_stock_ledger_consistent()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stock_0": "15", "stock_1": "12", "stock_delta": "3"}, "not both"),
        ({"stock_0": "15"}, "Reload the page"),
        ({"stock_0": "abc", "stock_1": "12"}, "Enter a whole number"),
        ({"stock_0": "2000000", "stock_1": "12"}, "less than or equal to 1000000"),
        ({"stock_1": "12", "stock_delta": "99999999999999999999"}, "less than or equal to"),
        ({"stock_0": "12", "stock_1": "12"}, "Nothing to change"),
    ],
)
def test_bad_or_empty_input_changes_nothing_and_says_why(farmer_client, variant, data, message):
    p = f"v{variant.pk}"
    farmer_client.post(f"/farm/stock/{variant.pk}/", {f"{p}-{k}": v for k, v in data.items()})
    variant.refresh_from_db()
    assert variant.stock == 12 and variant.movements.count() == 1
    assert message in _row(farmer_client.get("/farm/stock/").content.decode(), variant.pk)


def test_variant_card_price_change_never_touches_stock(farmer_client, variant):
    product_url = f"/farm/products/{variant.product_id}/"
    action = f"{product_url}variants/{variant.pk}/"
    shown = form_data(farmer_client.get(product_url).content.decode(), action=action)
    with transaction.atomic():
        stock_take(quantities={variant.pk: 4})
    response = farmer_client.post(action, {**shown, f"v{variant.pk}-price": "41.00"})
    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.price, variant.stock) == (Decimal("41.00"), 8)
    assert variant.movements.count() == 2  # the opening receipt and the sale: no correction
    assert "stock is now 8" in farmer_client.get(response["Location"]).content.decode()


def test_variant_card_save_message_is_in_the_card_with_the_new_figure(farmer_client, variant):
    """Issue 18: the product page's message said the old figure and landed at the top,
    off-screen, while the page opened at the sizes: the save looked failed."""
    product_url = f"/farm/products/{variant.product_id}/"
    action = f"{product_url}variants/{variant.pk}/"
    shown = form_data(farmer_client.get(product_url).content.decode(), action=action)
    response = farmer_client.post(action, {**shown, f"v{variant.pk}-stock_0": "15"})
    assert response["Location"].endswith(f"#variant-{variant.pk}")
    html = farmer_client.get(response["Location"]).content.decode()
    card = re.search(rf'<form [^>]*id="variant-{variant.pk}">(.*?)</form>', html, re.S).group(1)
    assert "Saved. 5 kg: stock is now 15." in card
    assert html.count("stock is now") == 1


def test_variant_card_invalid_input_comes_back_with_the_error(farmer_client, variant):
    product_url = f"/farm/products/{variant.product_id}/"
    action = f"{product_url}variants/{variant.pk}/"
    shown = form_data(farmer_client.get(product_url).content.decode(), action=action)
    response = farmer_client.post(action, {**shown, f"v{variant.pk}-price": "0"})
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0.01" in response.content.decode()
    variant.refresh_from_db()
    assert variant.price == Decimal("39.90")


def test_history_lists_every_movement_with_who_and_which_order(farmer_client, farmer, variant):
    farmer_client.post(
        f"/farm/stock/{variant.pk}/",
        {
            f"v{variant.pk}-stock_1": "12",
            f"v{variant.pk}-stock_delta": "5",
            f"v{variant.pk}-stock_note": "mill",
        },
    )
    order, _ = order_place(
        user=make_user(), shipping_address=ADDRESS, lines=[{"variant": variant.pk, "quantity": 3}]
    )
    url = f"/farm/products/{variant.product_id}/variants/{variant.pk}/history/"
    body = farmer_client.get(url).content.decode()
    assert "In stock now <strong>14</strong>" in body
    assert body.index(order.number) < body.index("mill")  # newest first
    assert "+5" in body and "-3" in body and "+12" in body
    assert "Goods received" in body and "Sold" in body
    assert farmer.username in body


def test_history_is_paged_with_a_fixed_number_of_queries(
    farmer_client, variant, django_assert_max_num_queries
):
    for _ in range(60):
        farmer_client.post(
            f"/farm/stock/{variant.pk}/",
            {f"v{variant.pk}-stock_1": "0", f"v{variant.pk}-stock_delta": "1"},
        )
    url = f"/farm/products/{variant.product_id}/variants/{variant.pk}/history/"
    with django_assert_max_num_queries(12):
        first = farmer_client.get(url).content.decode()
    assert first.count('class="card movement"') == 50
    second = farmer_client.get(url + "?page=2").content.decode()
    assert second.count('class="card movement"') == variant.movements.count() - 50


def test_another_cooperatives_variant_is_not_found(farmer_client, coop):
    other = make_product().variants.get()
    assert (
        farmer_client.get(
            f"/farm/products/{other.product_id}/variants/{other.pk}/history/"
        ).status_code
        == 404
    )
    mine = make_product(cooperative=coop).variants.get()
    # A variant of another product under my product's URL is not found either.
    assert (
        farmer_client.get(
            f"/farm/products/{mine.product_id}/variants/{other.pk}/history/"
        ).status_code
        == 404
    )


def test_stock_page_lists_own_variants_in_a_fixed_number_of_queries(
    farmer_client, coop, django_assert_max_num_queries
):
    for _ in range(8):
        make_product(cooperative=coop, variants=2)
    make_product(title="Theirs")
    with django_assert_max_num_queries(8):
        body = farmer_client.get("/farm/stock/").content.decode()
    assert body.count('class="card stock-card"') == 16
    assert "Theirs" not in body
