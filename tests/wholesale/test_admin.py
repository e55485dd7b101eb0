"""The wholesale admin is scoped per cooperative, and its forms go through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from orders.constants import OrderStatus
from orders.models import Order
from tests.factories import make_manager, make_user
from wholesale import services
from wholesale.models import CreditAccount, Invoice, InvoicePayment, Organisation

from .test_orders import _place, _setup

pytestmark = pytest.mark.django_db


def _invoice():
    coop, variant, org, buyer, _pl = _setup(limit="10000.00")
    order, _ = _place(buyer, variant, qty=3, on_credit=True)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    return coop, org, services.invoice_issue(wholesale_order=order.wholesale)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_sees_their_cooperatives_rows_only_and_records_a_payment():
    coop, org, invoice = _invoice()
    mine, other = _client(make_manager(coop)), _client(make_manager(_setup()[0]))
    for url in (
        "/admin/wholesale/organisation/",
        "/admin/wholesale/invoice/",
        "/admin/wholesale/pricelist/",
        "/admin/wholesale/creditaccount/",
    ):
        assert mine.get(url).status_code == 200
    assert org.name in mine.get("/admin/wholesale/organisation/").content.decode()
    assert org.name not in other.get("/admin/wholesale/organisation/").content.decode()
    assert mine.get(f"/admin/wholesale/invoice/{invoice.pk}/pdf/").status_code == 200
    assert other.get(f"/admin/wholesale/invoice/{invoice.pk}/pdf/").status_code == 404
    # Another cooperative's invoice is not a choice; an overpayment is shown, not saved.
    response = other.post(
        "/admin/wholesale/invoicepayment/add/",
        {"invoice": invoice.pk, "amount": "10.00", "method": "bank_transfer", "reference": "B"},
    )
    assert response.status_code == 200 and not InvoicePayment.objects.exists()
    response = mine.post(
        "/admin/wholesale/invoicepayment/add/",
        {"invoice": invoice.pk, "amount": "9999.00", "method": "bank_transfer", "reference": "B"},
    )
    assert response.status_code == 200 and not InvoicePayment.objects.exists()
    response = mine.post(
        "/admin/wholesale/invoicepayment/add/",
        {"invoice": invoice.pk, "amount": "100.00", "method": "bank_transfer", "reference": "B"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Invoice.objects.get(pk=invoice.pk).settled == Decimal("100.00")
    response = mine.post(
        "/admin/wholesale/creditnote/add/",
        {"credits": invoice.pk, "total": "20.00", "reason": "price correction"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Invoice.objects.get(pk=invoice.pk).settled == Decimal("120.00")
    assert Invoice.objects.filter(kind="credit_note", credits=invoice).count() == 1
    assert CreditAccount.objects.get(organisation=org).used == Decimal("180.00")


def test_the_cooperative_approves_an_applicant():
    coop = _invoice()[0]
    applicant = services.organisation_apply(
        user=make_user(),
        cooperative=coop,
        name="天山面包",
        credit_code="91350100M000100Y43",
        invoice_title="天山面包有限公司",
        tax_number="91350100M000100Y43",
        address="乌鲁木齐",
    )
    assert applicant.status == "pending"
    response = _client(make_manager(coop)).post(
        "/admin/wholesale/organisation/",
        {"action": "approve", "_selected_action": [applicant.pk]},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=applicant.pk).status == "approved"


def test_contracts_and_receivables_in_the_admin_are_scoped_per_cooperative():
    from django.utils import timezone

    from tests.wholesale.test_contracts import _contract

    contract, _variant, org = _contract(dates=[timezone.localdate()])
    coop, _org2, invoice = _invoice()
    mine = _client(make_manager(org.cooperative))
    other = _client(make_manager(coop))
    page = mine.get("/admin/wholesale/contract/").content.decode()
    assert contract.number in page
    assert contract.number not in other.get("/admin/wholesale/contract/").content.decode()
    detail = mine.get(f"/admin/wholesale/contract/{contract.pk}/change/")
    assert detail.status_code == 200 and "scheduled" in detail.content.decode().lower()
    assert other.get(f"/admin/wholesale/contract/{contract.pk}/change/").status_code in (302, 403)
    receivables = other.get("/admin/payments/receivable/").content.decode()
    assert invoice.number in receivables
    assert invoice.number not in mine.get("/admin/payments/receivable/").content.decode()
