"""Contracts on the API (accept, list, detail; another organisation's is 404; in the
schema) and on the pages (the buyer's and the cooperative's, in the three languages)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape
from rest_framework.test import APIClient

from lifecycle.services.contracts import contract_deliveries_sweep
from tests.factories import make_manager, make_organisation, make_user
from wholesale import services
from wholesale.constants import QuoteStatus
from wholesale.models import Contract
from wholesale.templatetags.wholesale_text import waiting_reason

from .test_contracts import SPEC, _contract

pytestmark = pytest.mark.django_db


def _quoted(org, variant, dates, quantity=30):
    quote = services.quote_request(member=org.members.get(), variant=variant, quantity=quantity)
    services.quote_answer(
        quote=quote,
        by=make_manager(org.cooperative),
        unit_price=Decimal("150.00"),
        valid_until=timezone.localdate() + timedelta(days=7),
        delivery_dates=[str(d) for d in dates],
        spec=SPEC,
    )
    return quote


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_accept_a_quote_on_the_api_then_list_and_read_the_contract():
    _c, variant, org = _contract(dates=[timezone.localdate()])
    today = timezone.localdate()
    quote = _quoted(org, variant, [today + timedelta(days=10), today + timedelta(days=40)])
    api = _api(org.members.get().user)
    bad = api.post(
        f"/api/v1/wholesale/quotes/{quote.pk}/accept/", {"quantities": [10, 10]}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    made = api.post(
        f"/api/v1/wholesale/quotes/{quote.pk}/accept/", {"quantities": [20, 10]}, format="json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["unit_price"] == "150.00" and body["quantity"] == 30
    assert [(d["quantity"], d["status"]) for d in body["deliveries"]] == [
        (20, "scheduled"),
        (10, "scheduled"),
    ]
    again = api.post(f"/api/v1/wholesale/quotes/{quote.pk}/accept/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    contract_deliveries_sweep()  # the first contract's delivery, due today
    with CaptureQueriesContext(connection) as queries:
        listed = api.get("/api/v1/wholesale/contracts/").json()
    assert len(listed) == 2
    assert len(queries) <= 6, [q["sql"] for q in queries]
    placed = [d for c in listed for d in c["deliveries"] if d["status"] == "placed"]
    assert len(placed) == 1 and placed[0]["order"] and placed[0]["batch"]
    one = api.get(f"/api/v1/wholesale/contracts/{body['id']}/")
    assert one.status_code == 200 and one.json()["number"] == f"C{body['id']}"


def test_another_organisations_quote_and_contract_are_404():
    contract, variant, org = _contract(dates=[timezone.localdate()])
    other = make_organisation(cooperative=org.cooperative)
    quote = _quoted(org, variant, [timezone.localdate()])
    api = _api(other.members.get().user)
    assert api.post(f"/api/v1/wholesale/quotes/{quote.pk}/accept/", {}).status_code == 404
    assert api.get(f"/api/v1/wholesale/contracts/{contract.pk}/").status_code == 404
    assert api.get("/api/v1/wholesale/contracts/").json() == []
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.QUOTED
    assert _api(make_user()).get("/api/v1/wholesale/contracts/").status_code == 403


def test_the_contract_endpoints_are_in_the_schema():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("quotes/{id}/accept/", "contracts/", "contracts/{id}/"):
        assert f"/api/v1/wholesale/{path}" in schema["paths"], path


@pytest.mark.parametrize("lang", ["zh-hans", "ug", "en"])
def test_the_contract_pages_render_for_buyer_and_cooperative(lang):
    contract, _variant, org = _contract(dates=[timezone.localdate()], stock=10)
    contract_deliveries_sweep()  # short of stock: waits with the reason
    buyer = Client()
    buyer.force_login(org.members.get().user)
    buyer.cookies["django_language"] = lang
    page = buyer.get("/wholesale/contracts/").content.decode()
    assert f'lang="{lang}"' in page and contract.number in page
    # The waiting reason in the reader's language, not the machine record.
    assert "insufficient_stock" not in page
    with translation.override(lang):
        assert escape(waiting_reason(contract.deliveries.get().reason)) in page
    manager = Client()
    manager.force_login(make_manager(org.cooperative))
    manager.cookies["django_language"] = lang
    coop_page = manager.get("/wholesale/cooperative/contracts/").content.decode()
    assert contract.number in coop_page and org.name in coop_page
    stranger = Client()
    stranger.force_login(make_manager(make_organisation().cooperative))
    assert contract.number not in stranger.get("/wholesale/cooperative/contracts/").content.decode()
    assert Client().get("/wholesale/cooperative/contracts/").status_code == 302


def test_the_buyer_accepts_a_quote_on_the_quotes_page():
    _c, variant, org = _contract(dates=[timezone.localdate()])
    quote = _quoted(org, variant, [timezone.localdate() + timedelta(days=3)])
    client = Client()
    client.force_login(org.members.get().user)
    assert "Accept" in client.get("/wholesale/quotes/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post(f"/wholesale/quotes/{quote.pk}/accept/")
    assert response.status_code == 302 and response["Location"] == "/wholesale/contracts/"
    assert Contract.objects.filter(quote=quote).exists()
    other = make_organisation(cooperative=org.cooperative)
    client.force_login(other.members.get().user)
    assert client.post(f"/wholesale/quotes/{quote.pk}/accept/").status_code == 404
