"""Vouchers at checkout: the discount, the refusals, the use claimed and given back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lifecycle import services as flows
from marketing.exceptions import VoucherExhausted
from marketing.models import Voucher, VoucherUse
from orders.models import Order
from tests.factories import (
    make_category,
    make_cooperative,
    make_product,
    make_user,
    make_voucher,
)

pytestmark = pytest.mark.django_db

D = Decimal
ORDERS = "/api/v1/orders/"


def _body(address, *pairs, voucher=None):
    body = {
        "lines": [{"variant": v.pk, "quantity": q} for v, q in pairs],
        "shipping_address": address,
    }
    if voucher is not None:
        body["voucher"] = voucher
    return body


def _error(response):
    return response.json()["error"]["code"]


def test_percent_voucher_takes_its_discount_off_the_goods(buyer_client, address):
    variant = make_product(price="40.00", stock=5).variants.get()
    make_voucher("FESTIVAL10", min_spend=D("50.00"))
    response = buyer_client.post(
        ORDERS, _body(address, (variant, 2), voucher="festival10"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["discount"] == "8.00" and body["voucher"] == "FESTIVAL10"
    assert body["lines"][0]["discount"] == "8.00"
    order = Order.objects.get(number=body["number"])
    assert order.total == D("72.00") + order.shipping_fee
    use = VoucherUse.objects.get(order=order)
    assert (use.amount, use.released_at) == (D("8.00"), None)
    assert Voucher.objects.get(code="FESTIVAL10").used == 1
    # the order as listed shows it too
    listed = buyer_client.get(ORDERS).json()
    first = listed["results"][0] if isinstance(listed, dict) else listed[0]
    assert first["voucher"] == "FESTIVAL10" and first["campaign"] is None


def test_an_order_without_voucher_says_null(buyer_client, address):
    variant = make_product(price="40.00", stock=5).variants.get()
    body = buyer_client.post(ORDERS, _body(address, (variant, 1)), format="json").json()
    assert body["voucher"] is None and body["discount"] == "0.00"


def test_percent_rounds_half_up_once_per_order(buyer, address):
    # 3 x 3.35 = 10.05; 10 % = 1.005 -> 1.01 (once), not per line (0.34 x 3 = 1.02)
    coop = make_cooperative()
    variants = [make_product(cooperative=coop, price="3.35").variants.get() for _ in range(3)]
    make_voucher("HALF")
    order, _ = flows.checkout_place_marketed(
        user=buyer,
        shipping_address=address,
        lines=[{"variant": v.pk, "quantity": 1} for v in variants],
        voucher="HALF",
    )
    assert order.discount_total == D("1.01")
    assert sum(line.discount for line in order.lines.all()) == D("1.01")


@pytest.mark.parametrize(
    ("terms", "code", "status"),
    [
        ({"code": "OTHER"}, "voucher_invalid", 400),
        ({"is_active": False}, "voucher_invalid", 400),
        ({"valid_until": timezone.now() - timedelta(hours=1)}, "voucher_expired", 400),
        ({"valid_from": timezone.now() + timedelta(hours=1)}, "voucher_expired", 400),
        ({"min_spend": D("100.00")}, "voucher_min_spend", 400),
        ({"scope": "category"}, "voucher_not_applicable", 400),
        ({"total_limit": 0}, "voucher_exhausted", 409),
    ],
)
def test_refusals_have_their_codes_and_take_nothing(buyer_client, address, terms, code, status):
    variant = make_product(price="40.00", stock=5).variants.get()
    if terms.get("scope") == "category":
        terms["category"] = make_category()
    make_voucher(**{"code": "TRY", **terms})
    response = buyer_client.post(ORDERS, _body(address, (variant, 1), voucher="TRY"), format="json")
    assert response.status_code == status, response.content
    assert _error(response) == code
    assert not Order.objects.exists() and not VoucherUse.objects.exists()
    variant.refresh_from_db()
    assert variant.stock == 5


def test_a_blank_or_too_long_code_is_invalid(buyer_client, address):
    variant = make_product(price="40.00", stock=5).variants.get()
    for code in ("", "x" * 41, 12):
        response = buyer_client.post(
            ORDERS, _body(address, (variant, 1), voucher=code), format="json"
        )
        assert response.status_code == 400
        assert _error(response) in ("voucher_invalid", "invalid")


def test_per_buyer_limit_refuses_the_second_use(buyer_client, address):
    variant = make_product(price="40.00", stock=5).variants.get()
    make_voucher("ONCE", per_buyer_limit=1)
    assert (
        buyer_client.post(
            ORDERS, _body(address, (variant, 1), voucher="ONCE"), format="json"
        ).status_code
        == 201
    )
    again = buyer_client.post(ORDERS, _body(address, (variant, 1), voucher="ONCE"), format="json")
    assert again.status_code == 409 and _error(again) == "voucher_exhausted"
    assert Voucher.objects.get(code="ONCE").used == 1


def test_same_idempotency_key_replays_the_voucher_order(buyer_client, address):
    variant = make_product(price="40.00", stock=5).variants.get()
    make_voucher("KEYED", total_limit=1)
    body = _body(address, (variant, 1), voucher="KEYED")
    first = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="vk-1")
    again = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="vk-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["voucher"] == "KEYED"
    assert Voucher.objects.get(code="KEYED").used == 1


def test_scopes_pick_their_lines(buyer, address):
    one, two = make_cooperative(), make_cooperative()
    a = make_product(cooperative=one, price="30.00").variants.get()
    b = make_product(cooperative=two, price="20.00").variants.get()
    lines = [{"variant": a.pk, "quantity": 1}, {"variant": b.pk, "quantity": 1}]
    cases = {
        "SITE": ({"scope": "site"}, D("5.00")),
        "COUNTY": ({"scope": "county", "county": two.county}, D("2.00")),
        "COOP": ({"scope": "cooperative", "cooperative": one}, D("3.00")),
        "CAT": ({"scope": "category", "category": b.product.category}, D("2.00")),
        "PRODS": ({"scope": "products", "products": [a.product]}, D("3.00")),
    }
    for code, (terms, expected) in cases.items():
        make_voucher(code, **terms)
        order, _ = flows.checkout_place_marketed(
            user=make_user(), shipping_address=address, lines=lines, voucher=code
        )
        assert order.discount_total == expected, code


def test_a_cooperative_funded_voucher_only_discounts_its_own_lines(buyer, address):
    one, two = make_cooperative(), make_cooperative()
    a = make_product(cooperative=one, price="30.00").variants.get()
    b = make_product(cooperative=two, price="20.00").variants.get()
    make_voucher("OWN", kind="fixed", value=D("50.00"), funded_by=one)
    order, _ = flows.checkout_place_marketed(
        user=buyer,
        shipping_address=address,
        lines=[{"variant": a.pk, "quantity": 1}, {"variant": b.pk, "quantity": 1}],
        voucher="OWN",
    )
    by_coop = {line.cooperative_id: line for line in order.lines.all()}
    # capped at its own goods; nothing off the other cooperative, nothing platform-funded
    assert by_coop[one.pk].discount == D("30.00") and by_coop[two.pk].discount == D("0.00")
    assert by_coop[one.pk].discount_platform == D("0.00")
    assert order.total == D("20.00") + order.shipping_fee


def test_cancel_and_expiry_give_the_use_back_exactly_once(
    buyer, address, django_capture_on_commit_callbacks
):
    variant = make_product(price="40.00", stock=5).variants.get()
    make_voucher("BACK", total_limit=2, per_buyer_limit=None)
    place = lambda: flows.checkout_place_marketed(  # noqa: E731
        user=buyer,
        shipping_address=address,
        lines=[{"variant": variant.pk, "quantity": 1}],
        voucher="BACK",
    )[0]
    cancelled, expired = place(), place()
    assert Voucher.objects.get(code="BACK").used == 2
    with pytest.raises(VoucherExhausted):
        place()
    with django_capture_on_commit_callbacks(execute=True):
        flows.order_cancel(order=cancelled)
    Order.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert flows.orders_expire_overdue() == 1
        assert flows.orders_expire_overdue() == 0
    assert Voucher.objects.get(code="BACK").used == 0
    assert VoucherUse.objects.filter(released_at__isnull=False).count() == 2
    # the release runs once per order even if called again
    from marketing.services.vouchers import voucher_release

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert voucher_release(Order.objects.get(pk=cancelled.pk)) is False
    assert callbacks == [] and Voucher.objects.get(code="BACK").used == 0
    place()  # usable again
    assert Voucher.objects.get(code="BACK").used == 1


def test_a_cart_checkout_with_a_voucher(buyer, address):
    from orders import services as order_services

    variant = make_product(price="25.00", stock=5).variants.get()
    order_services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=3)
    make_voucher("CART", kind="fixed", value=D("7.50"))
    order, _ = flows.checkout_place_marketed(
        user=buyer, shipping_address=address, from_cart=True, voucher="CART"
    )
    assert order.discount_total == D("7.50") and order.subtotal == D("75.00")


def test_voucher_api_shows_terms_any_case(buyer_client, api_client):
    make_voucher("SHOWME", min_spend=D("50.00"))
    body = buyer_client.get("/api/v1/vouchers/showme/").json()
    assert body["code"] == "SHOWME" and body["kind"] == "percent"
    assert body["value"] == "10.00" and body["min_spend"] == "50.00"
    assert buyer_client.get("/api/v1/vouchers/NOPE/").status_code == 404
    assert buyer_client.get("/api/v1/vouchers/NOPE/").json()["error"]["code"] == "not_found"
    assert api_client.get("/api/v1/vouchers/SHOWME/").status_code in (401, 403)


def test_voucher_codes_are_unique_in_any_case():
    from django.db import IntegrityError, transaction

    make_voucher("UNIQUE")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_voucher("unique")


def test_recount_repairs_a_lost_decrement(buyer, address):
    from marketing.services.vouchers import voucher_used_recount

    variant = make_product(price="40.00", stock=5).variants.get()
    voucher = make_voucher("COUNT", total_limit=5, per_buyer_limit=None)
    flows.checkout_place_marketed(
        user=buyer,
        shipping_address=address,
        lines=[{"variant": variant.pk, "quantity": 1}],
        voucher="COUNT",
    )
    Voucher.objects.filter(pk=voucher.pk).update(used=3)  # drifted
    assert voucher_used_recount(voucher_id=voucher.pk) == 1
    assert Voucher.objects.get(pk=voucher.pk).used == 1
