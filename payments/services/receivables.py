"""Receivables in the cooperatives' ledger: what business buyers owe on invoices.

An invoice issued opens a ``Receivable`` and writes its total to the cooperative's
``receivable`` account; a credit note and each payment (a bank transfer the cooperative
recorded, or an online payment through a provider) take theirs away. The balance of a
receivable is always the sum of its entries, and each document (invoice, credit note,
payment reference) is entered once per receivable (a unique constraint says no twice).
An invoice paid online also credits the cooperative's ``available`` account: that money
reached the platform and is paid out with the next payout (a bank transfer reached the
cooperative directly).

The app that issues invoices (wholesale) tells these functions through the lifecycle
flows; payments never imports it. Online payment of a receivable is started here
(``receivable_payment_start``) and applied by the same notification machinery as an
order's payment (``notifications.notification_apply``: outcome ``SETTLED``).
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from storefront import metrics

from ..constants import LedgerAccount, LedgerKind, PaymentStatus
from ..exceptions import PaymentInvalidState
from ..models import LedgerEntry, Payment, Receivable
from ..providers import PaymentRequest, callback_url
from .start import new_out_trade_no, provider_for_start, trade_open

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


def receivable_open(
    *,
    cooperative_id: int,
    reference: str,
    debtor: str,
    debtor_key: str,
    amount: Decimal,
    due_on: datetime.date | None,
) -> Receivable:
    """An invoice issued: its receivable, with the invoice's total as its first entry.
    Once per reference (a second call returns the first)."""
    receivable, created = Receivable.objects.get_or_create(
        reference=reference,
        defaults={
            "cooperative_id": cooperative_id,
            "debtor": debtor[:150],
            "debtor_key": debtor_key,
            "due_on": due_on,
        },
    )
    if created:
        _entry(receivable, LedgerAccount.RECEIVABLE, LedgerKind.INVOICE, amount, reference)
    return receivable


def receivable_credit(*, reference: str, amount: Decimal, document: str) -> LedgerEntry | None:
    """A credit note (``document``: its number) reduces the invoice's receivable."""
    receivable = Receivable.objects.get(reference=reference)
    return _entry(receivable, LedgerAccount.RECEIVABLE, LedgerKind.CREDIT_NOTE, -amount, document)


def receivable_settle(
    *, reference: str, amount: Decimal, document: str, payment: Payment | None = None
) -> list[LedgerEntry]:
    """A payment of ``amount`` against the invoice (``document``: the bank reference or
    the provider trade). ``payment``: the online payment of this receivable, whose money
    reached the platform: it is also credited to the cooperative's ``available``."""
    receivable = Receivable.objects.get(reference=reference)
    entries = [
        _entry(receivable, LedgerAccount.RECEIVABLE, LedgerKind.SETTLEMENT, -amount, document)
    ]
    if payment is not None and payment.receivable_id == receivable.pk:
        entries.append(
            _entry(
                receivable,
                LedgerAccount.AVAILABLE,
                LedgerKind.INVOICE_RECEIPT,
                amount,
                document,
                payment=payment,
            )
        )
    return [e for e in entries if e is not None]


def _entry(receivable, account, kind, amount, document, payment=None) -> LedgerEntry | None:
    try:
        with transaction.atomic():  # a savepoint: a document entered twice is refused
            return LedgerEntry.objects.create(
                cooperative_id=receivable.cooperative_id,
                account=account,
                kind=kind,
                amount=amount,
                receivable=receivable,
                document=document[:80],
                payment=payment,
                memo=f"{kind} {document} ({receivable.debtor})"[:255],
            )
    except IntegrityError:
        metrics.incr("receivable_document_twice")
        logger.warning("receivable %s: %s %s entered already", receivable, kind, document)
        return None


def receivable_balance(receivable: Receivable) -> Decimal:
    """What is still owed: the sum of the receivable's entries in ``receivable``."""
    got = LedgerEntry.objects.filter(
        receivable=receivable, account=LedgerAccount.RECEIVABLE
    ).aggregate(s=Sum("amount"))
    return got["s"] or ZERO


def receivable_balance_expression():
    """A receivable's balance as an annotation (the sum of its ``receivable`` entries)."""
    return Coalesce(
        Sum("ledger_entries__amount", filter=Q(ledger_entries__account=LedgerAccount.RECEIVABLE)),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def receivables_list(*, cooperative_ids=None, debtor_key: str | None = None):
    """Receivables with ``balance`` (sum of their entries) annotated, oldest due first."""
    qs = Receivable.objects.select_related("cooperative").annotate(
        balance=receivable_balance_expression()
    )
    if cooperative_ids is not None:
        qs = qs.filter(cooperative_id__in=list(cooperative_ids))
    if debtor_key is not None:
        qs = qs.filter(debtor_key=debtor_key)
    return qs.order_by("due_on", "pk")


def receivable_payment_start(
    *,
    receivable: Receivable,
    provider: str,
    client_ip: str | None = None,
    return_url: str | None = None,
    payer_openid: str | None = None,
) -> Payment:
    """Start paying what ``receivable`` still owes with ``provider``; returns the payment
    with its ``client_payload``. A pending payment of the same provider and amount is
    reused (pressing "pay" twice opens one trade). Raises
    ``PaymentProviderUnavailable`` (400), ``PaymentInvalidState`` (409: nothing owed),
    ``PaymentProviderError`` (502)."""
    impl = provider_for_start(provider)
    with transaction.atomic():
        locked = Receivable.objects.select_for_update().get(pk=receivable.pk)
        owed = receivable_balance(locked)
        if owed <= 0:
            raise PaymentInvalidState(
                "Nothing is owed on this invoice.", details={"reference": locked.reference}
            )
        payment = (
            Payment.objects.filter(
                receivable=locked, provider=provider, status=PaymentStatus.PENDING, amount=owed
            )
            .order_by("-created", "-id")
            .first()
        )
        if payment is None:
            payment = Payment.objects.create(
                receivable=locked,
                provider=provider,
                out_trade_no=new_out_trade_no(locked.reference, fallback="INV"),
                amount=owed,
            )
    request = PaymentRequest(
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        subject=f"Farmgate invoice {locked.reference}",
        notify_url=callback_url(settings.PUBLIC_BASE_URL, provider),
        return_url=return_url,
        client_ip=client_ip,
        expires_at=timezone.now() + settings.ORDER_PAYMENT_TIMEOUT,
        payer_openid=payer_openid,
    )
    return trade_open(
        impl, payment, request, extra={"return_url": return_url} if return_url else None
    )
