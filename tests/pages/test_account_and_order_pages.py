"""Sign up / log in / log out, cart, checkout, pay choice, order list and detail pages."""

from __future__ import annotations

import pytest

from accounts.models import User
from orders.constants import OrderStatus
from orders.models import CartItem, Order
from orders.services import order_place
from tests.factories import ADDRESS, make_product, make_user

pytestmark = pytest.mark.django_db

# What the checkout page's selects post for Beijing › Haidian (names come from the code).
REGION = {"region_province": "110000", "region_city": "110100", "region_code": "110108"}


# --- accounts ---------------------------------------------------------------
def test_sign_up_logs_in_and_goes_next(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "ayshe", "password": "wheat-field-2026", "next": "/products/"},
    )
    assert response.status_code == 302 and response["Location"] == "/products/"
    assert User.objects.filter(username="ayshe").exists()
    assert client.get("/cart/").status_code == 200


def test_sign_up_refusals_come_from_the_service(client):
    make_user("taken")
    body = client.post("/accounts/signup/", {"username": "TAKEN", "password": "123"}).content
    text = body.decode()
    assert "A user with this username already exists." in text
    assert "This password is too short" in text
    assert User.objects.count() == 1


def test_sign_up_refuses_an_outside_next(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "bek", "password": "wheat-field-2026", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_log_in_and_log_out(client):
    make_user("buyer1", password="wheat-field-2026")
    bad = client.post("/accounts/login/", {"username": "buyer1", "password": "nope"})
    assert "Wrong username or password." in bad.content.decode()
    good = client.post("/accounts/login/", {"username": "buyer1", "password": "wheat-field-2026"})
    assert good.status_code == 302
    assert "Log out" in client.get("/").content.decode()
    assert client.get("/accounts/logout/").status_code == 405  # only a POST logs out
    client.post("/accounts/logout/")
    assert "Log in" in client.get("/").content.decode()


def test_every_form_field_has_a_label(client):
    for url in ("/accounts/signup/", "/accounts/login/"):
        body = client.get(url).content.decode()
        import re

        ids = re.findall(r'<input [^>]*id="(id_[a-z_]+)"', body)
        assert ids and all(f'for="{i}"' in body for i in ids)


# --- cart -------------------------------------------------------------------
@pytest.fixture
def buyer(client):
    user = make_user("buyer")
    client.force_login(user)
    return user


def test_cart_needs_log_in(client):
    assert client.get("/cart/")["Location"].startswith("/accounts/login/")
    variant = make_product().variants.get()
    response = client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    assert response.status_code == 302 and not CartItem.objects.exists()


def test_add_update_remove(client, buyer):
    variant = make_product(title="Flour A").variants.get()
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 2})
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    item = CartItem.objects.get(user=buyer)
    assert item.quantity == 3
    body = client.get("/cart/").content.decode()
    assert "Flour A" in body and "¥119.70" in body
    client.post(f"/cart/items/{item.pk}/", {"quantity": "5"})
    item.refresh_from_db()
    assert item.quantity == 5
    body = client.post(f"/cart/items/{item.pk}/", {"quantity": "1000"}, follow=True)
    item.refresh_from_db()
    assert item.quantity == 5 and "A quantity is from 1 to 999." in body.content.decode()
    client.post(f"/cart/items/{item.pk}/", {"remove": "1"})
    assert not CartItem.objects.exists()


def test_cart_above_stock_is_refused_saying_what_is_available(client, buyer):
    variant = make_product(title="Flour A", stock=16).variants.get()
    body = client.post(
        "/cart/add/", {"variant": variant.pk, "quantity": 50, "next": "/products/"}, follow=True
    ).content.decode()
    assert "Only 16 left: you can order up to 16." in body and not CartItem.objects.exists()
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 10})
    item = CartItem.objects.get(user=buyer)
    body = client.post(f"/cart/items/{item.pk}/", {"quantity": "50"}, follow=True)
    item.refresh_from_db()
    assert item.quantity == 10 and "Only 16 left" in body.content.decode()


def test_add_unpublished_variant_is_refused(client, buyer):
    variant = make_product(status="draft").variants.get()
    body = client.post("/cart/add/", {"variant": variant.pk, "quantity": 1}, follow=True)
    assert "not for sale" in body.content.decode() and not CartItem.objects.exists()


def test_another_users_cart_item_is_404(client, buyer):
    other = make_user()
    item = CartItem.objects.create(user=other, variant=make_product().variants.get(), quantity=1)
    assert client.post(f"/cart/items/{item.pk}/", {"remove": "1"}).status_code == 404
    assert CartItem.objects.filter(pk=item.pk).exists()


# --- checkout and orders ------------------------------------------------------
def test_checkout_address_errors_are_the_services(client, buyer):
    variant = make_product().variants.get()
    CartItem.objects.create(user=buyer, variant=variant, quantity=1)
    body = client.post(
        "/checkout/", {**ADDRESS, **REGION, "phone": "12345", "name": "", "idempotency_key": "k1"}
    ).content.decode()
    assert "Enter a mobile number like 13800138000" in body
    assert "This field is required." in body
    assert 'for="id_phone"' in body
    assert not Order.objects.exists() and CartItem.objects.count() == 1


def test_checkout_places_the_order_once_and_goes_to_pay(client, buyer):
    variant = make_product(stock=10).variants.get()
    CartItem.objects.create(user=buyer, variant=variant, quantity=2)
    data = {**ADDRESS, **REGION, "idempotency_key": "same-key"}
    first = client.post("/checkout/", data)
    order = Order.objects.get()
    assert first["Location"] == f"/orders/{order.number}/pay/"
    assert not CartItem.objects.exists()
    variant.refresh_from_db()
    assert variant.stock == 8
    # The double-click: same key, nothing new (the cart is empty now, so it's the same order).
    CartItem.objects.create(user=buyer, variant=variant, quantity=2)
    again = client.post("/checkout/", data)
    assert Order.objects.count() == 1 or again.status_code == 200


def test_checkout_with_too_little_stock_says_which_item(client, buyer):
    variant = make_product(title="Rare honey", stock=1).variants.get()
    CartItem.objects.create(user=buyer, variant=variant, quantity=3)
    body = client.post(
        "/checkout/", {**ADDRESS, **REGION, "idempotency_key": "k2"}, follow=True
    ).content.decode()
    assert "Not enough stock left for: Rare honey" in body
    assert not Order.objects.exists()


def _order(user, stock=10):
    variant = make_product(stock=stock).variants.get()
    order, _ = order_place(
        user=user, shipping_address=ADDRESS, lines=[{"variant": variant.pk, "quantity": 1}]
    )
    return order


def test_pay_page_offers_the_sandbox_and_starts_it(client, buyer):
    order = _order(buyer)
    body = client.get(f"/orders/{order.number}/pay/").content.decode()
    assert 'value="sandbox"' in body and "Sandbox wallet" in body
    response = client.post(f"/orders/{order.number}/pay/", {"provider": "sandbox"})
    assert response.status_code == 302 and "/pay/sandbox/" in response["Location"]
    body = client.post(f"/orders/{order.number}/pay/", {"provider": "alipay"}, follow=True)
    assert "not available" in body.content.decode()


def test_order_list_and_detail(client, buyer, django_assert_max_num_queries):
    orders = [_order(buyer) for _ in range(3)]
    with django_assert_max_num_queries(12):
        body = client.get("/orders/").content.decode()
    assert all(o.number in body for o in orders)
    for _ in range(8):
        _order(buyer)
    with django_assert_max_num_queries(12):
        client.get("/orders/")
    detail = client.get(f"/orders/{orders[0].number}/").content.decode()
    assert "Awaiting payment" in detail and ADDRESS["name"] in detail and "Cancel order" in detail


def test_another_users_order_is_404(client, buyer):
    order = _order(make_user())
    assert client.get(f"/orders/{order.number}/").status_code == 404
    assert client.post(f"/orders/{order.number}/cancel/").status_code == 404
    assert client.get(f"/orders/{order.number}/pay/").status_code == 404


def test_cancel_and_confirm_receipt(client, buyer):
    order = _order(buyer)
    client.post(f"/orders/{order.number}/cancel/")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    body = client.post(f"/orders/{order.number}/confirm-receipt/", follow=True).content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and "msg-error" in body


def test_partly_shipped_order_offers_no_cancel_and_says_why_in_the_buyers_words(client):
    from fulfilment import services as fulfilment_services
    from tests.factories import make_carriers, make_two_coop_order, make_user

    make_carriers()
    buyer = make_user()
    order, coop_a, _coop_b = make_two_coop_order(user=buyer)
    shipments = fulfilment_services.shipments_create_for_order(order_id=order.pk)
    first = next(s for s in shipments if s.cooperative_id == coop_a.pk)
    fulfilment_services.shipment_mark_shipped(
        shipment_id=first.pk, carrier="sf", tracking_number="SF1234567890"
    )
    client.force_login(buyer)
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert f"/orders/{order.number}/cancel/" not in page
    # A stale page still posting cancel gets a sentence, not ids.
    response = client.post(f"/orders/{order.number}/cancel/", follow=True)
    text = response.content.decode()
    assert "A shipped order cannot be cancelled." in text
    assert "cancelled. 1" not in text and f"cancelled. {first.pk}" not in text


def test_order_awaiting_a_wallet_payment_reloads_itself(client):
    from tests.factories import make_order, make_payment, make_user

    buyer = make_user()
    order = make_order(user=buyer)
    client.force_login(buyer)
    assert 'http-equiv="refresh"' not in client.get(f"/orders/{order.number}/").content.decode()
    make_payment(order=order)
    assert 'http-equiv="refresh"' in client.get(f"/orders/{order.number}/").content.decode()


# --- one true state: expired orders and late payments ------------------------
def _expired_order(buyer):
    """An order the expiry sweep cancelled while a wallet page was still open."""
    from datetime import timedelta

    from django.utils import timezone

    from lifecycle.services.expiry import orders_expire_overdue
    from tests.factories import make_payment

    order = _order(buyer)
    payment = make_payment(order=order)  # the wallet page was opened: pending
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    orders_expire_overdue()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    return order, payment


def test_expired_order_page_shows_one_true_state(client, buyer):
    order, _payment = _expired_order(buyer)
    body = client.get(f"/orders/{order.number}/").content.decode()
    assert 'data-state="expired"' in body
    assert "The time to pay ran out, so the order was cancelled. Nothing was charged." in body
    assert "getting your parcels ready" not in body and "Pay " not in body
    assert "Cancel order" not in body and 'http-equiv="refresh"' not in body
    # The wallet payment that never went through is not "pending"/"processing".
    assert "Not completed: nothing was taken" in body and ">Pending<" not in body


def test_late_payment_refund_is_explained_on_the_order_page(client, buyer):
    from django.utils import timezone

    from payments.constants import PaymentStatus, RefundStatus
    from payments.models import Refund

    order, payment = _expired_order(buyer)
    # The buyer paid on the still-open wallet page: the money is taken and given back.
    payment.status, payment.succeeded_at = PaymentStatus.SUCCEEDED, timezone.now()
    payment.save()
    refund = Refund.objects.create(
        payment=payment, out_refund_no="R-late-1", amount=payment.amount, reason="late"
    )
    body = client.get(f"/orders/{order.number}/").content.decode()
    assert 'data-state="late_refund"' in body
    assert "Your payment arrived after the time to pay had run out" in body
    assert "being returned to you in full" in body and "Refund on its way" in body
    assert "Received; being returned to you" in body and "Nothing was charged" not in body
    refund.status = RefundStatus.SUCCEEDED
    refund.save()
    payment.status = PaymentStatus.REFUNDED
    payment.save()
    body = client.get(f"/orders/{order.number}/").content.decode()
    assert "The money has been returned to you in full." in body and "Refunded:" in body
    assert "Returned to you" in body


def test_cancel_asks_first_and_says_what_will_happen(client, buyer):
    from django.utils import timezone

    from payments.constants import PaymentStatus
    from tests.factories import make_payment

    unpaid = _order(buyer)
    detail = client.get(f"/orders/{unpaid.number}/").content.decode()
    assert f'href="/orders/{unpaid.number}/cancel/"' in detail  # a link: no one-tap cancel
    page = client.get(f"/orders/{unpaid.number}/cancel/").content.decode()
    assert "Cancel this order?" in page and "You have not paid, so nothing is charged." in page
    assert "Yes, cancel the order" in page and "No, keep my order" in page
    unpaid.refresh_from_db()
    assert unpaid.status == OrderStatus.PENDING_PAYMENT  # asking changes nothing

    paid = _order(buyer)
    make_payment(order=paid, status=PaymentStatus.SUCCEEDED, succeeded_at=timezone.now())
    Order.objects.filter(pk=paid.pk).update(status=OrderStatus.PAID, paid_at=timezone.now())
    page = client.get(f"/orders/{paid.number}/cancel/").content.decode()
    assert "data-refund" in page and f"¥{paid.total}" in page and "Sandbox wallet" in page
    assert "Yes, cancel and refund" in page

    client.post(f"/orders/{unpaid.number}/cancel/")
    response = client.get(f"/orders/{unpaid.number}/cancel/", follow=True)
    assert "This order can no longer be cancelled." in response.content.decode()


def test_cart_and_checkout_show_the_shipping_fee_before_the_order_and_what_makes_it_free(
    client, buyer
):
    from decimal import Decimal

    from catalog.models import Cooperative

    variant = make_product(title="Flour A", price="85.00").variants.get()
    coop = variant.product.cooperative
    Cooperative.objects.filter(pk=coop.pk).update(
        shipping_base_fee=Decimal("8.00"),
        shipping_fee_per_kg=Decimal("1.50"),
        free_shipping_over=Decimal("199.00"),
        shipping_region_surcharges={"650000": "12.00"},
    )
    variant.weight_grams = 5000
    variant.save()
    CartItem.objects.create(user=buyer, variant=variant, quantity=1)
    # 8.00 + 5 started kg × 1.50 = 15.50; free from 199 (114 more).
    cart = client.get("/cart/").content.decode()
    assert "Subtotal" in cart and "Goods" not in cart
    assert "¥15.50" in cart and "¥100.50" in cart
    assert (
        'Free from <bdi class="money">¥199.00</bdi> at this cooperative: '
        'add <bdi class="money">¥114.00</bdi> more.' in cart
    )
    assert "remote provinces" in cart
    checkout = client.get("/checkout/").content.decode()
    assert (
        "¥15.50" in checkout
        and 'To pay: <strong><bdi class="money">¥100.50</bdi></strong>' in checkout
    )
    # Choosing a Xinjiang district (the no-JavaScript refresh) adds the surcharge.
    xinjiang = {"region_province": "650000", "region_city": "650100", "region_code": "650102"}
    page = client.post(
        "/checkout/", {**ADDRESS, **xinjiang, "region_refresh": "1", "idempotency_key": "k9"}
    ).content.decode()
    assert "¥27.50" in page and "remote provinces" not in page
    # The order is priced by the very same rule.
    client.post("/checkout/", {**ADDRESS, **REGION, "idempotency_key": "k10"})
    assert Order.objects.get().shipping_fee == Decimal("15.50")


# --- address book --------------------------------------------------------------
def test_address_book_saves_validated_addresses_with_one_default(client, buyer):
    from orders.models import SavedAddress

    page = client.post(
        "/accounts/addresses/", {**ADDRESS, **REGION, "phone": "12345"}
    ).content.decode()
    assert "Enter a mobile number" in page and not SavedAddress.objects.exists()
    client.post("/accounts/addresses/", {**ADDRESS, **REGION, "phone": "138 0013 8000"})
    first = SavedAddress.objects.get()
    assert first.is_default and first.address["phone"] == "+8613800138000"  # E.164
    assert first.address["district"] == "海淀区"  # names from the region code
    client.post("/accounts/addresses/", {**ADDRESS, **REGION, "name": "李四", "make_default": "on"})
    second = SavedAddress.objects.exclude(pk=first.pk).get()
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    client.post(f"/accounts/addresses/{first.pk}/", {})  # make default
    first.refresh_from_db()
    assert first.is_default and SavedAddress.objects.filter(is_default=True).count() == 1
    client.post(f"/accounts/addresses/{first.pk}/", {"delete": "1"})
    assert SavedAddress.objects.get().is_default  # the other one became the default
    other = make_user("someone")
    theirs = SavedAddress.objects.create(user=other, address={"name": "x"})
    assert client.post(f"/accounts/addresses/{theirs.pk}/", {"delete": "1"}).status_code == 404


def test_checkout_starts_from_the_default_address_and_saves_new_ones(client, buyer):
    from orders.models import SavedAddress

    CartItem.objects.create(user=buyer, variant=make_product().variants.get(), quantity=1)
    client.post("/checkout/", {**ADDRESS, **REGION, "save_address": "on", "idempotency_key": "a1"})
    saved = SavedAddress.objects.get(user=buyer)
    assert saved.is_default and saved.address == Order.objects.get().shipping_address
    CartItem.objects.create(user=buyer, variant=make_product().variants.get(), quantity=1)
    page = client.get("/checkout/").content.decode()
    assert f'value="{ADDRESS["name"]}"' in page and 'value="110108" selected' in page
    assert "data-saved-addresses" in page
    client.post("/checkout/", {**ADDRESS, **REGION, "save_address": "on", "idempotency_key": "a2"})
    assert Order.objects.count() == 2 and SavedAddress.objects.count() == 1  # no copy


def test_over_stock_cart_keeps_the_typed_address_for_the_way_back(client, buyer):
    from catalog.models import Variant

    variant = make_product(title="Rare honey", stock=5).variants.get()
    CartItem.objects.create(user=buyer, variant=variant, quantity=3)
    Variant.objects.filter(pk=variant.pk).update(stock=1)  # sold elsewhere meanwhile
    typed = {**ADDRESS, **REGION, "name": "阿依古丽", "idempotency_key": "s1"}
    body = client.post("/checkout/", typed, follow=True).content.decode()
    assert "Not enough stock left for: Rare honey" in body
    CartItem.objects.filter(user=buyer).update(quantity=1)
    page = client.get("/checkout/").content.decode()
    assert 'value="阿依古丽"' in page and f'value="{ADDRESS["address"]}"' in page
    assert 'value="110108" selected' in page


# --- order list: products, tabs, buy again ---------------------------------------
def test_order_list_shows_products_with_status_tabs(client, buyer, django_assert_max_num_queries):
    from django.utils import timezone

    unpaid = _order(buyer)
    done = _order(buyer)
    Order.objects.filter(pk=done.pk).update(
        status=OrderStatus.COMPLETED, completed_at=timezone.now()
    )
    with django_assert_max_num_queries(14):
        body = client.get("/orders/").content.decode()
    line_title = unpaid.lines.get().title
    assert line_title in body and "order-thumb" in body and "Buy again" in body
    assert 'aria-current="page">All<' in body
    for _ in range(6):
        _order(buyer)
    with django_assert_max_num_queries(14):  # the same count at any page length
        client.get("/orders/")
    to_pay = client.get("/orders/?status=to_pay").content.decode()
    assert unpaid.number in to_pay and done.number not in to_pay
    completed = client.get("/orders/?status=completed").content.decode()
    assert done.number in completed and unpaid.number not in completed
    assert "No orders here." in client.get("/orders/?status=cancelled").content.decode()
    assert unpaid.number in client.get("/orders/?status=nonsense").content.decode()


def test_buy_again_puts_what_is_still_for_sale_back_in_the_cart(client, buyer):
    from catalog.models import Product, Variant

    order, _ = order_place(
        user=buyer,
        shipping_address=ADDRESS,
        lines=[
            {"variant": make_product(title="Flour", stock=10).variants.get().pk, "quantity": 3},
            {"variant": make_product(title="Honey", stock=10).variants.get().pk, "quantity": 1},
        ],
    )
    flour, honey = (line.variant for line in order.lines.order_by("title"))
    Variant.objects.filter(pk=flour.pk).update(stock=2)  # fewer left than bought then
    Product.objects.filter(pk=honey.product_id).update(status="draft")  # withdrawn
    body = client.post(f"/orders/{order.number}/buy-again/", follow=True).content.decode()
    assert list(CartItem.objects.filter(user=buyer).values_list("variant", "quantity")) == [
        (flour.pk, 2)
    ]
    assert "in your cart again" in body and "Not available any more" in body and "Honey" in body
    other = _order(make_user())
    assert client.post(f"/orders/{other.number}/buy-again/").status_code == 404


# --- forgotten password ----------------------------------------------------------
def test_password_reset_by_email_end_to_end(client):
    import re

    from django.core import mail

    user = make_user("amina", password="old-password-2026", email="amina@example.com")
    assert "/accounts/password/reset/" in client.get("/accounts/login/").content.decode()
    page = client.get("/accounts/password/reset/").content.decode()
    assert "Forgot your password?" in page and 'class="site-header"' in page
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent/" and not mail.outbox
    client.post("/accounts/password/reset/", {"email": "AMINA@example.com"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["amina@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    form_page = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "wheat-field-2027", "new_password2": "wheat-field-2027"}
    )
    assert done["Location"] == "/accounts/password/reset/done/"
    user.refresh_from_db()
    assert user.check_password("wheat-field-2027")
    again = client.get(link.group(1), follow=True).content.decode()
    assert "data-invalid-link" in again  # the link works once
