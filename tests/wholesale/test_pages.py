"""The wholesale buyer's pages in the three languages, the application and quote forms,
the purchase-order page's price preview, and the demo data the README names."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from catalog.demo import load_demo
from orders.constants import OrderStatus
from orders.models import Order
from tests.factories import make_cooperative, make_user
from wholesale.models import CreditAccount, Organisation, PriceTier, QuoteRequest

from .test_orders import _place, _setup

pytestmark = pytest.mark.django_db

PAGES = ("/wholesale/", "/wholesale/orders/new/", "/wholesale/quotes/", "/wholesale/statement/")


def _client(user, lang="zh-hans"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


@pytest.mark.parametrize("lang", ["zh-hans", "ug", "en"])
def test_the_buyer_pages_render_in_each_language(lang):
    _coop, variant, _org, buyer, _pl = _setup(limit="10000.00")
    order, _ = _place(buyer, variant, qty=2, on_credit=True)
    client = _client(buyer, lang)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{lang}"' in response.content.decode()
    assert order.wholesale.po_number in client.get("/wholesale/statement/").content.decode()


def test_a_stranger_is_sent_to_apply_and_applies():
    coop = make_cooperative()
    client = _client(make_user(), "en")
    page = client.get("/wholesale/").content.decode()
    assert "/wholesale/apply/" in page
    assert client.get("/wholesale/quotes/").status_code == 302
    assert client.get("/wholesale/orders/new/").status_code == 302
    bad = client.post(
        "/wholesale/apply/",
        {
            "cooperative": coop.pk,
            "name": "Bakery",
            "credit_code": "91350100M000100Y44",
            "invoice_title": "Bakery Ltd",
            "tax_number": "X1",
            "address": "Altay",
        },
    )
    assert bad.status_code == 400 and not Organisation.objects.exists()
    good = client.post(
        "/wholesale/apply/",
        {
            "cooperative": coop.pk,
            "name": "Bakery",
            "credit_code": "91350100M000100Y43",
            "invoice_title": "Bakery Ltd",
            "tax_number": "X1",
            "address": "Altay",
        },
    )
    assert good.status_code == 302
    assert Organisation.objects.get().status == "pending"
    assert "Waiting for approval" in client.get("/wholesale/").content.decode()


def test_the_order_page_shows_the_price_before_ordering_and_places_on_credit():
    _coop, variant, org, buyer, _pl = _setup(limit="10000.00")
    client = _client(buyer, "en")
    page = client.get(f"/wholesale/orders/new/?variant={variant.pk}&quantity=13")
    assert page.status_code == 200 and "¥90.00" in page.content.decode()
    missing_po = client.post(
        "/wholesale/orders/new/", {"variant": variant.pk, "quantity": 13, "place": "1"}
    )
    assert missing_po.status_code == 400 and not Order.objects.exists()
    placed = client.post(
        "/wholesale/orders/new/",
        {
            "variant": variant.pk,
            "quantity": 13,
            "po_number": "PO-77",
            "on_credit": "on",
            "place": "1",
        },
    )
    order = Order.objects.get()
    assert placed.status_code == 302 and placed["Location"] == f"/orders/{order.number}/"
    assert order.status == OrderStatus.PAID and order.total == Decimal("1170.00")
    assert CreditAccount.objects.get(organisation=org).used == Decimal("1170.00")
    client.post(
        "/wholesale/quotes/", {"variant": variant.pk, "quantity": 400, "schedule": "monthly"}
    )
    assert QuoteRequest.objects.get().quantity == 400


def test_invoice_pdf_is_the_buyers_own():
    _coop, variant, _org, buyer, _pl = _setup(limit="10000.00")
    order, _ = _place(buyer, variant, qty=2, on_credit=True)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    from wholesale.services import invoice_issue

    invoice = invoice_issue(wholesale_order=order.wholesale)
    url = f"/wholesale/invoices/{invoice.number}.pdf"
    assert _client(buyer).get(url)["Content-Type"] == "application/pdf"
    other = _setup()[3]
    assert _client(other).get(url).status_code == 404
    assert _client(make_user()).get(url).status_code == 404


def test_the_demo_has_the_mill_buyer_and_its_tiers():
    load_demo(with_photos=False)
    load_demo(with_photos=False)  # idempotent
    org = Organisation.objects.get(members__user__username="mill-buyer")
    assert org.status == "approved"
    tiers = PriceTier.objects.filter(variant__sku="JMN-BF-25").order_by("min_quantity")
    assert [t.min_quantity for t in tiers] == [1, 10, 100]
    user = org.members.get().user
    assert user.check_password("farmgate-demo")
    client = _client(user)
    assert "JMN-BF-25" in client.get("/wholesale/").content.decode()
    # The demo contract: 60 bags in three monthly deliveries, made once.
    from wholesale.models import Contract

    contract = Contract.objects.get(organisation=org)
    assert contract.quantity == 60 and contract.unit_price == Decimal("158.00")
    assert list(contract.deliveries.values_list("quantity", flat=True)) == [20, 20, 20]
    assert contract.number in client.get("/wholesale/contracts/").content.decode()
