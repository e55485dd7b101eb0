"""Tenants and roles: one table over every API endpoint, page, admin URL and fulfilment
action, for eight actors; each pair gets exactly the access it should.

Actors: anonymous, a buyer (owns order A), another buyer (owns order B), a farmer of
cooperative A, a farmer of B, a manager of A, a manager of B, platform staff. Order A
and shipment A belong to cooperative A, order B and shipment B to B.

Another actor's object answers 404 in the API and the pages. The Django admin answers
a missing-or-foreign object the way it always does, with a redirect to its index
(``302``), never the object. ``test_the_table_covers_every_url`` fails when a URL is
added without a row here.

A farmer's "registered poor household" flag is visible only to platform staff and
the managers of the farmer's own cooperative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import get_resolver

from catalog.constants import ProductStatus
from catalog.models import Membership
from catalog.services import membership_grant
from fulfilment import services as fulfilment_services
from fulfilment.models import Shipment
from orders.constants import OrderStatus
from orders.models import CartItem
from payments.models import Payment
from reports.constants import JobKind, JobStatus
from reports.models import Job
from tests.factories import (
    ADDRESS,
    make_batch,
    make_carriers,
    make_cooperative,
    make_manager,
    make_organisation,
    make_paid_order,
    make_product,
    make_user,
)

pytestmark = [pytest.mark.resilience, pytest.mark.django_db]

ROLES = (
    "anon",
    "buyer",
    "other_buyer",
    "farmer_a",
    "farmer_b",
    "manager_a",
    "manager_b",
    "staff",
)


@dataclass
class World:
    users: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)


def _world() -> World:
    w = World()
    make_carriers()
    coop_a, coop_b = make_cooperative(), make_cooperative()
    w.users["buyer"] = make_user("t-buyer")
    w.users["other_buyer"] = make_user("t-other")
    w.users["farmer_a"] = make_user("t-farmer-a")
    w.users["farmer_b"] = make_user("t-farmer-b")
    membership_grant(
        user=w.users["farmer_a"],
        cooperative=coop_a,
        role="farmer",
        registered_poor_household=True,
    )
    membership_grant(user=w.users["farmer_b"], cooperative=coop_b, role="farmer")
    w.users["manager_a"] = make_manager(coop_a, "t-manager-a")
    w.users["manager_b"] = make_manager(coop_b, "t-manager-b")
    w.users["staff"] = make_user("t-staff", is_staff=True, is_platform_staff=True)
    w.users["anon"] = None

    product_a = make_product(cooperative=coop_a, farmer=w.users["farmer_a"])
    product_b = make_product(cooperative=coop_b, farmer=w.users["farmer_b"])
    draft_a = make_product(cooperative=coop_a, status=ProductStatus.DRAFT)
    pending_a = make_product(cooperative=coop_a, status=ProductStatus.PENDING_REVIEW)
    batch_a = make_batch(product=product_a)
    variant_a, variant_b = product_a.variants.get(), product_b.variants.get()
    order_a = make_paid_order(user=w.users["buyer"], items=[(variant_a, 1)])
    order_b = make_paid_order(user=w.users["other_buyer"], items=[(variant_b, 1)])
    unpaid_a = make_paid_order(
        user=w.users["buyer"], items=[(variant_a, 1)], status=OrderStatus.PENDING_PAYMENT
    )
    for order in (order_a, order_b):
        fulfilment_services.shipments_create_for_order(order_id=order.pk)
    payment_a = Payment.objects.create(
        order=unpaid_a, provider="sandbox", out_trade_no="T-TENANT-A", amount=unpaid_a.total
    )
    item_a = CartItem.objects.create(user=w.users["buyer"], variant=variant_b, quantity=1)
    job_a = Job.objects.create(
        owner=w.users["manager_a"],
        token="tenant-job-a",
        kind=JobKind.EXPORT,
        status=JobStatus.DONE,
        export="lines",
        format="csv",
        scope=[coop_a.pk],
        filename="lines.csv",
        file=ContentFile(b"order\n", name="lines.csv"),
    )
    invoice_a = _wholesale_invoice(coop_a, w.users["buyer"], order_a)
    contract_a = _wholesale_contract(invoice_a.organisation, variant_a, w.users["buyer"])
    # The offline channel: the buyer is also the agent of a village station (any user
    # can be one), with one order placed there.
    from channels.models import Place
    from lifecycle.services.channels import station_order_place

    station = Place.objects.create(
        kind="station",
        name="T station",
        slug="t-station",
        county=coop_a.county,
        province="新疆维吾尔自治区",
        city="阿勒泰地区",
        district="吉木乃县",
        address="村委会旁",
        is_pickup_point=True,
    )
    station.agents.add(w.users["buyer"])
    station_order, _ = station_order_place(
        agent=w.users["buyer"],
        place_slug="t-station",
        villager_name="村民",
        villager_phone="13900139000",
        lines=[{"variant": variant_a.pk, "quantity": 1}],
        idempotency_key="tenant-station",
    )
    w.ids = {
        "contract_a": contract_a.pk,
        "quote_a": contract_a.quote_id,
        "invoice_a": invoice_a.number,
        "invoice_a_pk": invoice_a.pk,
        "station": "t-station",
        "station_order": station_order.number,
        "coop_a": coop_a.slug,
        "county_a": coop_a.county.slug,
        "coop_a_pk": coop_a.pk,
        "coop_b_pk": coop_b.pk,
        "product_a": product_a.slug,
        "product_a_pk": product_a.pk,
        "product_b_pk": product_b.pk,
        "draft_a": draft_a.slug,
        "draft_a_pk": draft_a.pk,
        "pending_a_pk": pending_a.pk,
        "variant_a": variant_a.pk,
        "variant_a_of": product_a.pk,
        "batch_a": batch_a.code,
        "batch_a_pk": batch_a.pk,
        "order_a": order_a.number,
        "order_a_pk": order_a.pk,
        "order_b_pk": order_b.pk,
        "unpaid_a": unpaid_a.number,
        "payment_a_pk": payment_a.pk,
        "trade_a": payment_a.out_trade_no,
        "item_a": item_a.pk,
        "shipment_a_pk": Shipment.objects.get(order=order_a).pk,
        "line_a_pk": order_a.lines.order_by("pk").first().pk,
        "shipment_b_pk": Shipment.objects.get(order=order_b).pk,
        "membership_a_pk": Membership.objects.get(user=w.users["farmer_a"]).pk,
        "user_buyer_pk": w.users["buyer"].pk,
        "job_a_pk": job_a.pk,
    }
    w.ids.update(_groupbuy_world(variant_a, w.users["buyer"]))
    return w


def _groupbuy_world(variant_a, leader) -> dict:
    """A team offer, an open team of 2 with a free seat and a pre-sale, all of A."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from groupbuy.models import PreSale, Team, TeamOffer

    offer = TeamOffer.objects.create(variant=variant_a, team_price=Decimal("9.00"), stock_cap=50)
    team = Team.objects.create(
        offer=offer,
        leader=leader,
        size=2,
        seats_taken=1,
        deadline=timezone.now() + timedelta(hours=2),
    )
    presale = PreSale.objects.create(
        variant=variant_a,
        title="Harvest A",
        price=Decimal("20.00"),
        quota=10,
        opens_at=timezone.now() - timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=3),
        ships_on=timezone.now().date() + timedelta(days=30),
    )
    return {"offer_a": offer.pk, "team_a": team.pk, "presale_a": presale.pk}


def _wholesale_invoice(coop, buyer, order):
    """The buyer belongs to an approved organisation of cooperative A; order A is its
    purchase order, invoiced."""
    from wholesale.models import WholesaleOrder
    from wholesale.services import invoice_issue

    org = make_organisation(cooperative=coop, user=buyer)
    wo = WholesaleOrder.objects.create(
        order=order, organisation=org, cooperative=coop, po_number="PO-A"
    )
    return invoice_issue(wholesale_order=wo)


def _wholesale_contract(org, variant, buyer):
    """An accepted quote of the buyer's organisation and its contract, one delivery."""
    from datetime import date
    from decimal import Decimal

    from wholesale.models import Contract, ContractDelivery, QuoteRequest

    quote = QuoteRequest.objects.create(
        organisation=org,
        cooperative=org.cooperative,
        variant=variant,
        quantity=10,
        status="accepted",
        unit_price=Decimal("9.00"),
        valid_until=date(2030, 1, 1),
        delivery_dates=["2030-01-01"],
    )
    contract = Contract.objects.create(
        quote=quote,
        organisation=org,
        cooperative=org.cooperative,
        variant=variant,
        quantity=10,
        unit_price=Decimal("9.00"),
        accepted_by=buyer,
    )
    ContractDelivery.objects.create(contract=contract, seq=1, due_on=date(2030, 1, 1), quantity=10)
    return contract


def row(method, path, expected, data=None, *, covers=None):
    """``expected``: {role: status} with ``"*"`` for every other role."""
    return pytest.param(method, path, expected, data, id=f"{method} {path}"), covers or path


# The shorthands of the table.
API_AUTH = {"anon": 401}  # an authenticated API endpoint: anonymous gets 401
LOGIN = 302  # a page or the admin sends anonymous (or non-staff) users to log in
A_MEMBERS = ("farmer_a", "manager_a")
NON_STAFF = ("anon", "buyer", "other_buyer", "farmer_a", "farmer_b")


def only(status: int, roles, default: int, **others) -> dict:
    return {"*": default, **dict.fromkeys(roles, status), **others}


ROWS = [
    # --- API: accounts -----------------------------------------------------------
    row("GET", "/api/v1/me/", {**API_AUTH, "*": 200}),
    row("POST", "/api/v1/auth/token/", {"*": 400}, {"username": "t-buyer", "password": "x"}),
    row("POST", "/api/v1/auth/register/", {"*": 400}, {"username": "", "password": "x"}),
    row("POST", "/api/v1/auth/sms/code/", {"*": 400}, {"phone": "12"}),
    # No code was sent to this number: nobody gets in.
    row("POST", "/api/v1/auth/sms/token/", {"*": 400}, {"phone": "13800138000", "code": "1"}),
    row("GET", "/api/v1/notifications/", {**API_AUTH, "*": 200}),
    row("GET", "/api/v1/me/notifications/", {**API_AUTH, "*": 200}),
    row("PATCH", "/api/v1/me/notifications/", {**API_AUTH, "*": 200}, {"sms": False}),
    row("GET", "/api/v1/regions/", {"*": 200}),
    # --- API: catalogue (public; drafts and pending products exist for nobody) -------
    row("GET", "/api/v1/counties/", {"*": 200}),
    row("GET", "/api/v1/cooperatives/", {"*": 200}),
    row("GET", "/api/v1/cooperatives/{coop_a}/", {"*": 200}),
    row("GET", "/api/v1/categories/", {"*": 200}),
    row("GET", "/api/v1/products/", {"*": 200}),
    row("GET", "/api/v1/products/{product_a}/", {"*": 200}),
    row(
        "GET",
        "/api/v1/products/{draft_a}/",
        {"*": 404},
        covers="/api/v1/products/<slug:slug>/ (draft)",
    ),
    row("GET", "/api/v1/trace/{batch_a}/", {"*": 200}),
    row("GET", "/api/v1/search/suggest/", {"*": 200}),
    # --- API: marketing (an unknown code is a 404 for everybody allowed to ask) ---------
    row("GET", "/api/v1/vouchers/NOPE/", {**API_AUTH, "*": 404}),
    row("GET", "/api/v1/campaigns/", {"*": 200}),
    row("GET", "/api/v1/campaigns/nope/", {"*": 404}),
    row("GET", "/campaigns/nope/", {"*": 404}),
    # --- API: cart ------------------------------------------------------------------
    row("GET", "/api/v1/cart/", {**API_AUTH, "*": 200}),
    row(
        "POST",
        "/api/v1/cart/items/",
        {**API_AUTH, "*": 201},
        {"variant": "{variant_a}", "quantity": 1},
    ),
    row(
        "PATCH",
        "/api/v1/cart/items/{item_a}/",
        {**API_AUTH, "buyer": 200, "*": 404},
        {"quantity": 2},
    ),
    row(
        "DELETE",
        "/api/v1/cart/items/{item_a}/",
        {**API_AUTH, "buyer": 204, "*": 404},
        covers="/api/v1/cart/items/<id:item_id>/ (delete)",
    ),
    # --- API: orders ----------------------------------------------------------------
    row("GET", "/api/v1/orders/", {**API_AUTH, "*": 200}),
    row(
        "POST",
        "/api/v1/orders/",
        {**API_AUTH, "*": 201},
        {"lines": [{"variant": "{variant_a}", "quantity": 1}], "shipping_address": ADDRESS},
        covers="/api/v1/orders/ (create)",
    ),
    row("GET", "/api/v1/orders/{order_a}/", {**API_AUTH, "buyer": 200, "*": 404}),
    row("POST", "/api/v1/orders/{order_a}/cancel/", {**API_AUTH, "buyer": 200, "*": 404}),
    row("POST", "/api/v1/orders/{order_a}/confirm-receipt/", {**API_AUTH, "buyer": 409, "*": 404}),
    row(
        "POST",
        "/api/v1/orders/{unpaid_a}/payments/",
        {**API_AUTH, "buyer": 201, "*": 404},
        {"provider": "sandbox"},
    ),
    row("GET", "/api/v1/orders/{order_a}/shipments/", {**API_AUTH, "buyer": 200, "*": 404}),
    # --- API: callbacks (no user authentication: an unsigned call is refused for all) ---
    # Alipay and WeChat Pay are not configured in tests: their callbacks do not exist (404).
    row("POST", "/api/v1/payments/callbacks/alipay/", {"*": 404}, {"out_trade_no": "{trade_a}"}),
    row("POST", "/api/v1/payments/callbacks/wechat/", {"*": 404}, {"id": "x"}),
    row("POST", "/api/v1/payments/callbacks/sandbox/", {"*": 401}, {"out_trade_no": "{trade_a}"}),
    row("POST", "/api/v1/fulfilment/carrier-events/", {"*": 401}, {"carrier": "sf"}),
    # --- storefront pages (public) ------------------------------------------------------
    row("GET", "/", {"*": 200}),
    row("GET", "/products/", {"*": 200}),
    row("GET", "/products/{product_a}/", {"*": 200}),
    row("GET", "/products/{draft_a}/", {"*": 404}, covers="/products/<slug:slug>/ (draft)"),
    row("GET", "/cooperatives/{coop_a}/", {"*": 200}),
    row("GET", "/counties/{county_a}/", {"*": 200}),
    row("GET", "/trace/{batch_a}/", {"*": 200}),
    row("GET", "/counties/{county_a}/impact/", {"*": 200}),
    # Signed-in users are sent on from the log-in and sign-up pages.
    row("GET", "/accounts/login/", {"anon": 200, "*": 302}),
    row("GET", "/accounts/signup/", {"anon": 200, "*": 302}),
    row("GET", "/accounts/login/sms/", {"anon": 200, "*": 302}),
    # A forgotten password: anyone may ask; the answer never says whether the address exists.
    row("GET", "/accounts/password/reset/", {"*": 200}),
    row("POST", "/accounts/password/reset/", {"*": 200}, {"email": ""}),
    row("GET", "/accounts/password/reset/sent/", {"*": 200}),
    row("GET", "/accounts/password/reset/MQ/bad-token/", {"*": 200}),
    row("GET", "/accounts/password/reset/done/", {"*": 200}),
    # The development SMS outbox exists only with DEBUG on (off here, as in production).
    row("GET", "/dev/sms/", {"*": 404}),
    # --- buyer pages ----------------------------------------------------------------
    row("GET", "/cart/", {"anon": LOGIN, "*": 200}),
    row("POST", "/cart/add/", {"anon": LOGIN, "*": 302}, {"variant": "{variant_a}", "quantity": 1}),
    row("POST", "/cart/items/{item_a}/", {"anon": LOGIN, "buyer": 302, "*": 404}, {"quantity": 2}),
    row("GET", "/checkout/", {"anon": LOGIN, "buyer": 200, "*": 302}),
    row("GET", "/orders/", {"anon": LOGIN, "*": 200}),
    row("GET", "/accounts/notifications/", {"anon": LOGIN, "*": 200}),
    row("POST", "/accounts/notifications/", {"anon": LOGIN, "*": 302}, {"language": "ug"}),
    row("GET", "/accounts/addresses/", {"anon": LOGIN, "*": 200}),
    row("POST", "/accounts/addresses/", {"anon": LOGIN, "*": 200}, {"name": ""}),
    # Someone's saved address answers 404 to anyone else (the world has none: 404 to all).
    row("POST", "/accounts/addresses/999999/", {"anon": LOGIN, "*": 404}, {"delete": "1"}),
    row("GET", "/orders/{order_a}/", {"anon": LOGIN, "buyer": 200, "*": 404}),
    row("GET", "/orders/{unpaid_a}/pay/", {"anon": LOGIN, "buyer": 200, "*": 404}),
    row("POST", "/orders/{order_a}/buy-again/", {"anon": LOGIN, "buyer": 302, "*": 404}),
    row("GET", "/orders/{order_a}/cancel/", {"anon": LOGIN, "buyer": 200, "*": 404}),
    row("POST", "/orders/{order_a}/cancel/", {"anon": LOGIN, "buyer": 302, "*": 404}),
    row("POST", "/orders/{order_a}/confirm-receipt/", {"anon": LOGIN, "buyer": 302, "*": 404}),
    # The sandbox wallet's pay page is a payment code: whoever holds the link may pay.
    row("GET", "/pay/sandbox/{trade_a}/", {"*": 200}),
    # --- farmer portal ----------------------------------------------------------------
    row("GET", "/farm/", only(200, (*A_MEMBERS, "farmer_b", "manager_b"), 403, anon=LOGIN)),
    row(
        "GET", "/farm/products/", only(200, (*A_MEMBERS, "farmer_b", "manager_b"), 403, anon=LOGIN)
    ),
    row(
        "GET",
        "/farm/products/new/",
        only(200, (*A_MEMBERS, "farmer_b", "manager_b"), 403, anon=LOGIN),
    ),
    row("GET", "/farm/stock/", only(200, (*A_MEMBERS, "farmer_b", "manager_b"), 403, anon=LOGIN)),
    row("GET", "/farm/batches/", only(200, (*A_MEMBERS, "farmer_b", "manager_b"), 403, anon=LOGIN)),
    row("GET", "/farm/weigh/", only(200, (*A_MEMBERS, "farmer_b", "manager_b"), 403, anon=LOGIN)),
    row(
        "POST",
        "/farm/weigh/{line_a_pk}/",
        only(302, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row("GET", "/farm/review/", only(200, ("manager_a", "manager_b"), 403, anon=LOGIN)),
    row(
        "GET",
        "/farm/batches/{batch_a_pk}/",
        only(200, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "GET",
        "/farm/products/{draft_a_pk}/",
        only(200, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "POST",
        "/farm/products/{draft_a_pk}/submit/",
        only(302, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "POST",
        "/farm/products/{draft_a_pk}/photos/",
        only(302, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "POST",
        "/farm/products/{draft_a_pk}/photos/999999/delete/",
        only(404, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "POST",
        "/farm/products/{draft_a_pk}/photos/999999/move/",
        only(404, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
        {"to": "cover"},
    ),
    # A draft is not waiting for review: taking it back is refused with a message.
    row(
        "POST",
        "/farm/products/{draft_a_pk}/withdraw/",
        only(302, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    # The live product cannot be deleted (archived instead): refused with a message.
    row(
        "POST",
        "/farm/products/{product_a_pk}/delete/",
        only(302, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "POST",
        "/farm/products/{variant_a_of}/variants/",
        only(302, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    # An empty card is shown again with what is missing (400), never saved.
    row(
        "POST",
        "/farm/products/{variant_a_of}/variants/{variant_a}/",
        only(400, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "GET",
        "/farm/products/{variant_a_of}/variants/{variant_a}/history/",
        only(200, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "POST",
        "/farm/stock/{variant_a}/",
        only(302, A_MEMBERS, 404, anon=LOGIN, buyer=403, other_buyer=403, staff=403),
    ),
    row(
        "POST",
        "/farm/products/{pending_a_pk}/approve/",
        only(
            302,
            ("manager_a",),
            404,
            anon=LOGIN,
            buyer=403,
            other_buyer=403,
            staff=403,
            farmer_a=403,
        ),
    ),
    row(
        "POST",
        "/farm/products/{pending_a_pk}/reject/",
        only(
            302,
            ("manager_a",),
            404,
            anon=LOGIN,
            buyer=403,
            other_buyer=403,
            staff=403,
            farmer_a=403,
        ),
        {"reason": "Too wet"},
    ),
    # --- admin: index and scoped objects (managers of A see A's, never B's) -----------
    row("GET", "/admin/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    row("GET", "/admin/orders/order/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    row(
        "GET",
        "/admin/orders/order/{order_a_pk}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    row(
        "GET",
        "/admin/catalog/product/{product_a_pk}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    # The product page's review buttons (a rejection without a reason changes nothing).
    row(
        "POST",
        "/admin/catalog/product/{pending_a_pk}/review/",
        only(302, ("manager_a", "staff"), LOGIN, manager_b=404),
        {"decision": "reject", "reason": ""},
    ),
    row(
        "GET",
        "/admin/catalog/batch/{batch_a_pk}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    row(
        "GET",
        "/admin/catalog/cooperative/{coop_a_pk}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    row(
        "GET",
        "/admin/catalog/membership/{membership_a_pk}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    row(
        "GET",
        "/admin/payments/payment/{payment_a_pk}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    row(
        "GET",
        "/admin/fulfilment/shipment/{shipment_a_pk}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    # Read-only records: each manager sees their own cooperative's (scoped lists).
    row(
        "GET",
        "/admin/catalog/stockmovement/",
        only(200, ("manager_a", "manager_b", "staff"), LOGIN),
    ),
    row("GET", "/admin/catalog/auditevent/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    # --- fulfilment actions in the admin ---------------------------------------------
    row(
        "GET",
        "/admin/fulfilment/shipment/{shipment_a_pk}/ship/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=404),
    ),
    row(
        "GET",
        "/admin/fulfilment/shipment/{shipment_a_pk}/slip/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=404),
    ),
    row(
        "POST",
        "/admin/fulfilment/shipment/{shipment_a_pk}/pack/",
        only(302, ("manager_a", "staff"), LOGIN, manager_b=404),
    ),
    row(
        "GET",
        "/admin/fulfilment/shipment/{shipment_a_pk}/weigh/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=404),
    ),
    row(
        "GET",
        "/admin/orders/order/{order_a_pk}/refund-units/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=404),
    ),
    # --- reports: dashboards, jobs (their owner's only), import, impact ------------------
    row("GET", "/admin/reports/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    row(
        "GET",
        "/admin/reports/?cooperative={coop_a_pk}",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=404),
        covers="/admin/reports/ (another cooperative)",
    ),
    row("GET", "/admin/reports/jobs/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    row(
        "GET",
        "/admin/reports/jobs/{job_a_pk}/",
        only(200, ("manager_a",), LOGIN, manager_b=404, staff=404),
    ),
    row(
        "GET",
        "/admin/reports/jobs/{job_a_pk}/status/",
        only(200, ("manager_a",), LOGIN, manager_b=404, staff=404),
    ),
    row(
        "GET",
        "/admin/reports/jobs/{job_a_pk}/download/",
        only(200, ("manager_a",), LOGIN, manager_b=404, staff=404),
    ),
    row(
        "POST",
        "/admin/reports/jobs/{job_a_pk}/apply/",
        only(302, ("manager_a",), LOGIN, manager_b=404, staff=404),
    ),
    row(
        "GET",
        "/admin/reports/export/?source=orders.Order&export=lines",
        only(200, ("manager_a", "manager_b", "staff"), LOGIN),
    ),
    row("GET", "/admin/reports/import/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    row(
        "GET",
        "/admin/reports/import/template.csv",
        only(200, ("manager_a", "manager_b", "staff"), LOGIN),
    ),
    row("GET", "/admin/reports/impact/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    row(
        "GET",
        "/admin/reports/impact/?cooperative={coop_a_pk}",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=404),
        covers="/admin/reports/impact/ (another cooperative)",
    ),
    row("GET", "/admin/reports/impact/pdf/", only(200, ("manager_a", "manager_b", "staff"), LOGIN)),
    # --- platform-only admin ------------------------------------------------------------
    # User accounts are managed by superusers only (Django's own model permissions):
    # platform staff without that permission are refused like managers.
    row("GET", "/admin/accounts/user/", only(403, ("staff", "manager_a", "manager_b"), LOGIN)),
    row(
        "GET",
        "/admin/accounts/user/{user_buyer_pk}/change/",
        only(403, ("staff", "manager_a", "manager_b"), LOGIN),
    ),
    row(
        "GET", "/admin/catalog/county/", only(200, ("staff",), LOGIN, manager_a=403, manager_b=403)
    ),
    # --- group buying and pre-sales (issue 13) ------------------------------------------
    row("GET", "/api/v1/team-offers/", {"*": 200}),
    row(
        "POST",
        "/api/v1/team-offers/{offer_a}/teams/",
        {**API_AUTH, "*": 201},
        {"shipping_address": ADDRESS},
    ),
    row("GET", "/api/v1/teams/{team_a}/", {"*": 200}),
    row(
        "POST",
        "/api/v1/teams/{team_a}/join/",
        {**API_AUTH, "*": 201},
        {"shipping_address": ADDRESS},
    ),
    row("GET", "/api/v1/presales/", {"*": 200}),
    row("GET", "/api/v1/presales/{presale_a}/", {"*": 200}),
    row(
        "POST",
        "/api/v1/presales/{presale_a}/orders/",
        {**API_AUTH, "*": 201},
        {"quantity": 1, "shipping_address": ADDRESS},
    ),
    row(
        "POST",
        "/api/v1/presales/{presale_a}/convert/",
        only(200, ("manager_a", "staff"), 403, anon=401),
        {"shortfall": 0},
    ),
    row("GET", "/teams/{team_a}/", {"*": 200}),
    row("GET", "/team-offers/{offer_a}/", {"*": 200}),
    row("GET", "/presales/{presale_a}/", {"*": 200}),
    row(
        "GET",
        "/admin/groupbuy/teamoffer/{offer_a}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    row(
        "GET",
        "/admin/groupbuy/team/{team_a}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    row(
        "GET",
        "/admin/groupbuy/presale/{presale_a}/change/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=302),
    ),
    # --- wholesale: the buyer belongs to cooperative A's business buyer ------------------
    row("GET", "/api/v1/wholesale/organisation/", {**API_AUTH, "buyer": 200, "*": 404}),
    row("GET", "/api/v1/wholesale/prices/", {**API_AUTH, "buyer": 200, "*": 403}),
    # Without ?variant=&quantity= a member gets 400; nobody else gets that far.
    row("GET", "/api/v1/wholesale/price/", {**API_AUTH, "buyer": 400, "*": 403}),
    row("GET", "/api/v1/wholesale/statement/", {**API_AUTH, "buyer": 200, "*": 403}),
    row("GET", "/api/v1/wholesale/quotes/", {**API_AUTH, "buyer": 200, "*": 403}),
    row("GET", "/api/v1/wholesale/orders/", {**API_AUTH, "buyer": 200, "*": 403}),
    row("GET", "/wholesale/", {"anon": LOGIN, "*": 200}),
    row("GET", "/wholesale/apply/", {"anon": LOGIN, "buyer": 302, "*": 200}),
    row("GET", "/wholesale/quotes/", {"anon": LOGIN, "buyer": 200, "*": 302}),
    row("GET", "/wholesale/statement/", {"anon": LOGIN, "buyer": 200, "*": 302}),
    row("GET", "/wholesale/orders/new/", {"anon": LOGIN, "buyer": 200, "*": 302}),
    row("GET", "/wholesale/invoices/{invoice_a}.pdf", {"anon": LOGIN, "buyer": 200, "*": 404}),
    # Contracts, receivables and paying an invoice online (issue 15).
    row("GET", "/api/v1/wholesale/contracts/", {**API_AUTH, "buyer": 200, "*": 403}),
    row("GET", "/api/v1/wholesale/contracts/{contract_a}/", {**API_AUTH, "buyer": 200, "*": 403}),
    # The buyer's quote is accepted already: 409; nobody else is a wholesale buyer.
    row("POST", "/api/v1/wholesale/quotes/{quote_a}/accept/", {**API_AUTH, "buyer": 409, "*": 403}),
    row(
        "POST",
        "/api/v1/wholesale/invoices/{invoice_a}/payments/",
        {**API_AUTH, "buyer": 201, "*": 403},
        {"provider": "sandbox"},
    ),
    row(
        "GET",
        "/api/v1/wholesale/cooperative/receivables/",
        {**API_AUTH, "manager_a": 200, "manager_b": 200, "staff": 200, "*": 403},
    ),
    row("GET", "/wholesale/contracts/", {"anon": LOGIN, "buyer": 200, "*": 302}),
    # The buyer's refusal (accepted already) and everyone else's go back to a page.
    row("POST", "/wholesale/quotes/{quote_a}/accept/", {"*": 302}),
    row(
        "POST",
        "/wholesale/invoices/{invoice_a}/pay/",
        {"anon": LOGIN, "buyer": 302, "*": 404},
        {"provider": "sandbox"},
    ),
    row(
        "GET",
        "/wholesale/cooperative/contracts/",
        {"anon": LOGIN, "manager_a": 200, "manager_b": 200, "staff": 200, "*": 403},
    ),
    row(
        "GET",
        "/wholesale/cooperative/receivables/",
        {"anon": LOGIN, "manager_a": 200, "manager_b": 200, "staff": 200, "*": 403},
    ),
    row(
        "GET",
        "/admin/wholesale/invoice/{invoice_a_pk}/pdf/",
        only(200, ("manager_a", "staff"), LOGIN, manager_b=404),
    ),
    # --- the offline channel: a station's agent (here the buyer) only ----------------------
    row("GET", "/channels/", {"anon": LOGIN, "*": 200}),
    row("GET", "/channels/{station}/", {"anon": LOGIN, "buyer": 200, "*": 403}),
    row("GET", "/api/v1/channels/{station}/orders/", {**API_AUTH, "buyer": 200, "*": 403}),
    row(
        "GET",
        "/channels/{station}/orders/{station_order}/receipt/",
        {"anon": LOGIN, "buyer": 200, "*": 403},
    ),
    row(
        "POST",
        "/api/v1/channels/{station}/orders/",
        {**API_AUTH, "buyer": 201, "*": 403},
        {
            "lines": [{"variant": "{variant_a}", "quantity": 1}],
            "villager": {"name": "村民", "phone": "13900139001"},
        },
    ),
    row(
        "POST",
        "/api/v1/channels/{station}/orders/{station_order}/cash/",
        {**API_AUTH, "buyer": 200, "*": 403},
    ),
    row(
        "POST",
        "/api/v1/channels/{station}/orders/{station_order}/wallet/",
        {**API_AUTH, "buyer": 200, "*": 403},
    ),
    row(
        "POST",
        "/api/v1/channels/{station}/orders/{station_order}/pay-link/",
        {**API_AUTH, "buyer": 202, "*": 403},
    ),
    row(
        "POST",
        "/api/v1/channels/{station}/orders/{station_order}/arrived/",
        {**API_AUTH, "buyer": 409, "*": 403},
    ),
    row(
        "POST",
        "/api/v1/channels/{station}/pickup/",
        {**API_AUTH, "buyer": 400, "*": 403},
        {"code": "000000"},
    ),
    row("GET", "/api/v1/channels/{station}/lookup/", {**API_AUTH, "buyer": 200, "*": 403}),
    row("GET", "/api/v1/channels/{station}/cash-report/", {**API_AUTH, "buyer": 200, "*": 403}),
    row(
        "POST",
        "/api/v1/channels/{station}/cash-close/",
        {**API_AUTH, "buyer": 201, "*": 403},
        {"day": "2026-01-05"},
    ),
    # No one here manages the station's cash: a clerk or a stranger is refused alike.
    row(
        "POST",
        "/api/v1/channels/{station}/cash-handover/",
        {**API_AUTH, "*": 403},
        {"clerk": "x", "day": "2026-01-05"},
    ),
    # Stations and pickup (API.md): the public list; the buyer's pickup checkout page
    # (only the buyer has a cart here; an empty cart goes back to the cart page).
    row("GET", "/api/v1/stations/", {"*": 200}),
    row("GET", "/checkout/pickup/", {"anon": LOGIN, "buyer": 200, "*": 302}),
    row(
        "GET", "/admin/channels/place/", only(200, ("staff",), LOGIN, manager_a=403, manager_b=403)
    ),
    row(
        "GET",
        "/admin/channels/channelorder/",
        only(200, ("staff",), LOGIN, manager_a=403, manager_b=403),
    ),
    row(
        "GET",
        "/admin/channels/storecashentry/",
        only(200, ("staff",), LOGIN, manager_a=403, manager_b=403),
    ),
]


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if re.fullmatch(r"\{\w+\}", value) and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _request(client: Client, method: str, path: str, data):
    if path.startswith("/api/"):
        return client.generic(
            method,
            path,
            data="" if data is None else __import__("json").dumps(data),
            content_type="application/json",
        )
    if method == "GET":
        return client.get(path)
    return client.post(path, data or {})


@pytest.mark.parametrize(("method", "path", "expected", "data"), [r[0] for r in ROWS])
def test_access(method, path, expected, data, settings, tmp_path):
    """One world per row; each actor's request runs in a savepoint rolled back after it,
    so every actor meets the same state (a cancel by one does not hide it from the next)."""
    settings.MEDIA_ROOT = str(tmp_path)
    world = _world()
    url = _fill(path, world.ids)
    got = {}
    for role in ROLES:
        with transaction.atomic():
            response = _request(_client(world.users[role]), method, url, _fill(data, world.ids))
            got[role] = response.status_code
            if response.status_code == LOGIN and (
                role == "anon" or (url.startswith("/admin/") and role in NON_STAFF)
            ):
                assert "login" in response["Location"], (role, response["Location"])
            transaction.set_rollback(True)
    want = {role: expected.get(role, expected["*"]) for role in ROLES}
    assert got == want, (method, url)


def _patterns():
    out = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                out.append("/" + prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    return out


# URLs that are not about anyone's objects: health checks, the language switch, the
# schema and docs, Django admin's own machinery and every generic model-admin URL,
# which the admin's scoping (tests/catalog/test_admin.py and the rows above) covers.
# /metrics holds no one's objects; who may read it: tests/storefront/test_metrics.py.
_UNSCOPED = re.compile(
    r"^/(healthz|readyz|metrics|i18n/|api/schema/|api/docs/|accounts/logout/|media/|bench/)"
    r"|^/admin/(login|logout|password_change|autocomplete|jsi18n|r/|\^|\(\?P<url>)"
    r"|^/admin/\w+/\w+/(add/|<path:object_id>/(history/|delete/|change/)?)?$"
    r"|^/admin/accounts/user/<id>/password/$"
)


def _as_regex(pattern: str) -> re.Pattern:
    rx = re.sub(r"<(?:\w+:)?\w+>", "[^/]+", pattern)
    return re.compile("^" + rx + "$")


def test_the_table_covers_every_url():
    world_like = dict.fromkeys(
        (
            "coop_a",
            "county_a",
            "product_a",
            "draft_a",
            "batch_a",
            "order_a",
            "unpaid_a",
            "trade_a",
            "invoice_a",
            "station",
            "station_order",
        ),
        "x1",
    )
    numeric = dict.fromkeys(
        (
            "line_a_pk",
            "coop_a_pk",
            "coop_b_pk",
            "product_a_pk",
            "product_b_pk",
            "draft_a_pk",
            "pending_a_pk",
            "variant_a",
            "variant_a_of",
            "batch_a_pk",
            "order_a_pk",
            "order_b_pk",
            "payment_a_pk",
            "item_a",
            "shipment_a_pk",
            "shipment_b_pk",
            "membership_a_pk",
            "user_buyer_pk",
            "job_a_pk",
            "offer_a",
            "team_a",
            "presale_a",
            "invoice_a_pk",
            "contract_a",
            "quote_a",
        ),
        "1",
    )
    tested = [r[0].values[1].format(**world_like, **numeric) for r in ROWS]
    missing = []
    for pattern in _patterns():
        if _UNSCOPED.search(pattern):
            continue
        rx = _as_regex(pattern)
        if not any(rx.match(path) for path in tested):
            missing.append(pattern)
    assert missing == [], "URLs without a row in the access table"


def test_poor_household_flag_is_seen_only_by_staff_and_own_managers():
    world = _world()
    membership = world.ids["membership_a_pk"]
    label = "registered poor household"
    for role in ROLES:
        client = _client(world.users[role])
        pages = [
            client.get("/admin/catalog/membership/"),
            client.get(f"/admin/catalog/membership/{membership}/change/"),
            client.get("/farm/"),
            client.get("/api/v1/me/"),
            client.get(f"/cooperatives/{world.ids['coop_a']}/"),
            client.get(f"/api/v1/cooperatives/{world.ids['coop_a']}/"),
        ]
        seen = any(
            label in r.content.decode(errors="replace").lower()
            and "t-farmer-a" in r.content.decode(errors="replace")
            for r in pages
            if r.status_code == 200
        )
        assert seen == (role in ("manager_a", "staff")), role
