"""Receivables in the payments ledger, and invoices paid online through the providers.

An invoice issued is a receivable entry of the cooperative, a credit note reduces it,
each payment (bank transfer or online) settles it; the statement and the cooperative's
receivables read the ledger. An invoice's online payment goes through the same callback
path as an order's: a replayed or forged notification changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from lifecycle.selectors import wholesale_statement
from payments.constants import InboxStatus, LedgerAccount, LedgerKind, PaymentStatus
from payments.models import LedgerEntry, Payment, PaymentNotification, Receivable
from tests.factories import make_manager, make_organisation
from tests.payments.signers import sandbox_body, sandbox_headers
from wholesale import services
from wholesale.constants import PaymentMethod
from wholesale.models import CreditAccount, Invoice, TaxRate

from .test_invoices import _delivered
from .test_orders import _setup

pytestmark = pytest.mark.django_db

SANDBOX_URL = "/api/v1/payments/callbacks/sandbox/"


def _ledger(**filters) -> dict:
    rows = (
        LedgerEntry.objects.filter(**filters)
        .values("account", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(r["account"], r["kind"]): r["total"] for r in rows}


def _invoice(price="33.33", qty=7, shipping="12.34", po="PO-A"):
    _coop, variant, org, buyer, _pl = _setup(
        price=price, limit="100000.00", shipping=shipping, terms_days=30
    )
    TaxRate.objects.create(variant=variant, rate=Decimal("0.09"))
    wo = _delivered(buyer, variant, qty, po)
    return services.invoice_issue(wholesale_order=wo), org, buyer


def test_an_invoice_a_credit_note_and_a_partial_payment_leave_the_ledger_receivable_right():
    invoice, org, _buyer = _invoice()
    assert invoice.total == Decimal("245.65")
    receivable = Receivable.objects.get(reference=invoice.number)
    assert receivable.cooperative_id == invoice.cooperative_id
    assert receivable.due_on == invoice.due_on
    services.credit_note_issue(invoice=invoice, amount=Decimal("10.01"), reason="2 bags wet")
    services.invoice_payment_record(invoice=invoice, amount=Decimal("100.00"), reference="ICBC-1")
    assert _ledger(receivable=receivable) == {
        (LedgerAccount.RECEIVABLE, LedgerKind.INVOICE): Decimal("245.65"),
        (LedgerAccount.RECEIVABLE, LedgerKind.CREDIT_NOTE): Decimal("-10.01"),
        (LedgerAccount.RECEIVABLE, LedgerKind.SETTLEMENT): Decimal("-100.00"),
    }
    s = wholesale_statement(organisation_id=org.pk)
    assert (s.invoiced, s.credited, s.paid, s.receivable) == (
        Decimal("245.65"),
        Decimal("10.01"),
        Decimal("100.00"),
        Decimal("135.64"),
    )
    # The ledger and the invoice agree to the fen; a bank transfer adds nothing to
    # the cooperative's available balance (the money went straight to its bank).
    assert s.invoices[0].balance == Invoice.objects.get(pk=invoice.pk).outstanding
    assert not LedgerEntry.objects.filter(account=LedgerAccount.AVAILABLE).exists()
    assert s.overdue == 0
    later = timezone.localdate() + datetime.timedelta(days=31)
    Receivable.objects.filter(pk=receivable.pk).update(due_on=later - datetime.timedelta(days=62))
    s = wholesale_statement(organisation_id=org.pk)
    assert s.overdue == Decimal("135.64") and s.invoices[0].overdue


def test_the_cooperative_receivables_page_and_api_read_the_ledger_scoped():
    invoice, org, _buyer = _invoice()
    Receivable.objects.filter(reference=invoice.number).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    manager = make_manager(org.cooperative)
    for lang in ("zh-hans", "ug", "en"):
        client = Client()
        client.force_login(manager)
        client.cookies["django_language"] = lang
        page = client.get("/wholesale/cooperative/receivables/").content.decode()
        assert invoice.number in page and "245.65" in page
        assert f'lang="{lang}"' in page
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get("/api/v1/wholesale/cooperative/receivables/").json()
    assert body["receivable"] == "245.65" and body["overdue"] == "245.65"
    assert body["receivables"][0]["overdue"] is True
    other = make_manager(make_organisation().cooperative)
    api.force_authenticate(other)
    assert api.get("/api/v1/wholesale/cooperative/receivables/").json()["receivables"] == []
    api.force_authenticate(org.members.get().user)
    assert api.get("/api/v1/wholesale/cooperative/receivables/").status_code == 403


def _notify(client, payment, *, event_id=None, amount=None):
    extra = {"id": event_id} if event_id else {}
    body = sandbox_body(payment.out_trade_no, f"{amount or payment.amount}", **extra)
    headers = sandbox_headers(body)
    return client.post(SANDBOX_URL, data=body, content_type="application/json", **headers)


def test_an_invoice_paid_online_through_the_sandbox_callback_is_paid_once(
    client, django_capture_on_commit_callbacks
):
    invoice, org, buyer = _invoice()
    services.invoice_payment_record(invoice=invoice, amount=Decimal("45.65"), reference="ICBC-1")
    api = APIClient()
    api.force_authenticate(buyer)
    started = api.post(
        f"/api/v1/wholesale/invoices/{invoice.number}/payments/", {"provider": "sandbox"}
    )
    assert started.status_code == 201, started.content
    assert started.json()["amount"] == "200.00"  # the open amount
    assert started.json()["client_payload"]["pay_url"]
    payment = Payment.objects.get(out_trade_no=started.json()["out_trade_no"])
    assert payment.order_id is None and payment.receivable.reference == invoice.number
    # Pressing pay twice opens one trade.
    url = f"/api/v1/wholesale/invoices/{invoice.number}/payments/"
    again = api.post(url, {"provider": "sandbox"})
    assert again.json()["out_trade_no"] == payment.out_trade_no

    # A forged notification (bad signature) and one for another amount change nothing.
    body = sandbox_body(payment.out_trade_no, "200.00")
    forged = client.post(
        SANDBOX_URL,
        data=body,
        content_type="application/json",
        **sandbox_headers(body, secret="not-the-secret"),
    )
    assert forged.status_code >= 400
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(client, payment, amount="1.00").status_code == 204
    assert PaymentNotification.objects.get().status == InboxStatus.REJECTED
    assert Invoice.objects.get(pk=invoice.pk).outstanding == Decimal("200.00")

    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(client, payment, event_id="evt-1").status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client, payment, event_id="evt-1")  # replayed: the same event
        _notify(client, payment, event_id="evt-2")  # duplicated: another event id
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    inv = Invoice.objects.get(pk=invoice.pk)
    assert inv.outstanding == 0
    assert list(inv.payments.values_list("method", "reference", "amount")) == [
        (PaymentMethod.BANK_TRANSFER, "ICBC-1", Decimal("45.65")),
        (PaymentMethod.ONLINE, payment.out_trade_no, Decimal("200.00")),
    ]
    receivable = payment.receivable
    assert _ledger(receivable=receivable) == {
        (LedgerAccount.RECEIVABLE, LedgerKind.INVOICE): Decimal("245.65"),
        (LedgerAccount.RECEIVABLE, LedgerKind.SETTLEMENT): Decimal("-245.65"),
        (LedgerAccount.AVAILABLE, LedgerKind.INVOICE_RECEIPT): Decimal("200.00"),
    }
    assert CreditAccount.objects.get(organisation=org).used == 0
    statuses = sorted(PaymentNotification.objects.values_list("status", flat=True))
    assert statuses == [InboxStatus.APPLIED, InboxStatus.APPLIED, InboxStatus.REJECTED]
    # Nothing is owed any more: no new payment.
    done = api.post(url, {"provider": "sandbox"})
    assert done.status_code == 409 and done.json()["error"]["code"] == "invalid_state"


def test_a_payment_arriving_after_a_bank_transfer_paid_the_invoice_is_kept_as_credit(
    client, django_capture_on_commit_callbacks
):
    invoice, _org, buyer = _invoice()
    api = APIClient()
    api.force_authenticate(buyer)
    out = api.post(
        f"/api/v1/wholesale/invoices/{invoice.number}/payments/", {"provider": "sandbox"}
    ).json()["out_trade_no"]
    payment = Payment.objects.get(out_trade_no=out)
    services.invoice_payment_record(invoice=invoice, amount=Decimal("245.00"), reference="ICBC-9")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client, payment)
    assert Invoice.objects.get(pk=invoice.pk).outstanding == 0
    row = PaymentNotification.objects.get()
    assert row.status == InboxStatus.APPLIED and "245.00 over" in row.reason
    # Owed 0.65, paid 245.65 online: the receivable is 245.00 in the buyer's favour and
    # the whole payment is available to the cooperative, to the fen.
    totals = _ledger(receivable=payment.receivable)
    assert sum(v for (acc, _k), v in totals.items() if acc == LedgerAccount.RECEIVABLE) == Decimal(
        "-245.00"
    )
    assert totals[(LedgerAccount.AVAILABLE, LedgerKind.INVOICE_RECEIPT)] == Decimal("245.65")


def test_another_organisations_invoice_cannot_be_paid_and_bad_input_changes_nothing():
    invoice, org, _buyer = _invoice()
    stranger = make_organisation(cooperative=org.cooperative).members.get().user
    api = APIClient()
    api.force_authenticate(stranger)
    url = f"/api/v1/wholesale/invoices/{invoice.number}/payments/"
    assert api.post(url, {"provider": "sandbox"}).status_code == 404
    api.force_authenticate(org.members.get().user)
    bad = api.post(url, {"provider": "cash"})
    assert bad.status_code == 400
    nope = api.post("/api/v1/wholesale/invoices/NOPE/payments/", {"provider": "sandbox"})
    assert nope.status_code == 404
    assert not Payment.objects.exists()


def test_pay_online_on_the_statement_page_goes_to_the_wallet():
    invoice, _org, buyer = _invoice()
    client = Client()
    client.force_login(buyer)
    page = client.get("/wholesale/statement/").content.decode()
    assert f"/wholesale/invoices/{invoice.number}/pay/" in page
    response = client.post(f"/wholesale/invoices/{invoice.number}/pay/", {"provider": "sandbox"})
    assert response.status_code == 302 and "/sandbox/" in response["Location"]
    payment = Payment.objects.get()
    wallet = client.get(response["Location"]).content.decode()
    assert invoice.number in wallet and "245.65" in wallet
    assert payment.amount == Decimal("245.65")


def test_an_order_paid_at_checkout_gets_an_invoice_born_settled():
    from lifecycle.services.wholesale import wholesale_invoice_issue
    from orders.constants import OrderStatus
    from orders.models import Order
    from tests.factories import make_payment

    from .test_orders import _place

    _coop, variant, _org, buyer, _pl = _setup(limit="1000.00")
    order, _ = _place(buyer, variant, qty=3, po="PO-PAID")
    payment = make_payment(order=order, amount=order.total, status=PaymentStatus.SUCCEEDED)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    order.refresh_from_db()
    invoice = wholesale_invoice_issue(wholesale_order=order.wholesale)
    assert invoice.outstanding == 0
    assert invoice.payments.get().reference == payment.out_trade_no
    receivable = Receivable.objects.get(reference=invoice.number)
    assert _ledger(receivable=receivable) == {
        (LedgerAccount.RECEIVABLE, LedgerKind.INVOICE): invoice.total,
        (LedgerAccount.RECEIVABLE, LedgerKind.SETTLEMENT): -invoice.total,
    }
    assert wholesale_invoice_issue(wholesale_order=order.wholesale) == invoice  # once
    assert invoice.payments.count() == 1
