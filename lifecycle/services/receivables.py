"""Invoices in the payments ledger, and invoices paid online.

``receivable_record`` is registered (``lifecycle.apps``) to hear every change of what an
organisation owes (``wholesale.receivables``): an invoice issued opens its receivable in
the cooperative's ledger, a credit note reduces it, each payment settles it (a bank
transfer, or an online payment, whose money also becomes available to the cooperative).
It runs in the transaction of the change: ledger and invoice never disagree.

``invoice_pay_online`` starts paying an invoice's open amount through a provider; the
provider's callback goes through the payments machinery (inbox, unique per event; the
payment moved forward only, under its row lock), whose ``SETTLED`` outcome is carried to
the invoice by ``invoice_paid_online``, once.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from payments import services as payments
from payments.models import Payment, Receivable
from storefront.errors import NotFound
from wholesale import services as wholesale
from wholesale.constants import InvoiceKind, PaymentMethod
from wholesale.models import Invoice
from wholesale.receivables import Change, ReceivableChange

from ..selectors import debtor_key


def _receivable_for(invoice: Invoice) -> Receivable:
    """The invoice's receivable (opened now for an invoice issued before receivables
    were kept in the ledger: its total as it stands)."""
    return payments.receivable_open(
        cooperative_id=invoice.cooperative_id,
        reference=invoice.number,
        debtor=invoice.buyer.get("name") or f"organisation {invoice.organisation_id}",
        debtor_key=debtor_key(invoice.organisation_id),
        amount=invoice.total,
        due_on=invoice.due_on,
    )


def receivable_record(change: ReceivableChange) -> None:
    """Write one change of an invoice's receivable to the ledger (see the module)."""
    invoice = change.invoice
    receivable = _receivable_for(invoice)  # issued: this is the invoice's entry
    if change.change == Change.CREDITED:
        payments.receivable_credit(
            reference=receivable.reference, amount=change.amount, document=change.document
        )
    elif change.change == Change.PAID:
        payment = None
        if change.method == PaymentMethod.ONLINE:
            payment = Payment.objects.filter(
                out_trade_no=change.document, receivable=receivable
            ).first()
        payments.receivable_settle(
            reference=receivable.reference,
            amount=change.amount,
            document=change.document,
            payment=payment,
        )


def invoice_get_for_buyer(*, user, number: str) -> Invoice:
    """One of the buyer's organisation's invoices (not a credit note), or NotFound."""
    member = wholesale.buyer_for(user)
    invoice = Invoice.objects.filter(
        number=number, organisation_id=member.organisation_id, kind=InvoiceKind.INVOICE
    ).first()
    if invoice is None:
        raise NotFound()
    return invoice


def invoice_pay_online(
    *,
    user,
    number: str,
    provider: str,
    client_ip: str | None = None,
    return_url: str | None = None,
    payer_openid: str | None = None,
) -> Payment:
    """Start paying what the buyer's invoice ``number`` still owes with ``provider``.
    Another organisation's invoice is NotFound; nothing owed is 409 ``invalid_state``;
    an unknown or unconfigured provider 400 ``provider_unavailable``."""
    invoice = invoice_get_for_buyer(user=user, number=number)
    return payments.receivable_payment_start(
        receivable=_receivable_for(invoice),
        provider=provider,
        client_ip=client_ip,
        return_url=return_url,
        payer_openid=payer_openid,
    )


def invoice_paid_online(*, receivable: Receivable, payment: Payment) -> str:
    """An invoice's online payment succeeded (``Applied.SETTLED``, once per payment;
    the receivable and payment rows locked): it pays the invoice (its credit comes back
    to the credit line) and the ledger's receivable. If the invoice was meanwhile paid
    by transfer, the part more than it owed is entered as the buyer's credit (a negative
    receivable) and is available to the cooperative like the rest, for staff to settle
    or give back. Returns the note for the inbox row."""
    invoice = Invoice.objects.get(number=receivable.reference)
    with transaction.atomic():
        paid = wholesale.invoice_payment_record_online(
            invoice=invoice, amount=payment.amount, reference=payment.out_trade_no
        )
        excess = payment.amount - paid
        if excess > Decimal("0"):
            payments.receivable_settle(
                reference=receivable.reference,
                amount=excess,
                document=f"{payment.out_trade_no}:over",
                payment=payment,
            )
            return f"invoice {receivable.reference} paid {paid}; {excess} over, kept as credit"
    return f"invoice {receivable.reference} paid {paid}"
