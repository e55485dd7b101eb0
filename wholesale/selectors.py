"""Reads for the wholesale pages and API: a buyer's price list, statement, orders,
contracts and their deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, Sum
from django.utils import timezone

from storefront.errors import NotFound

from .constants import InvoiceKind
from .models import (
    ZERO,
    Contract,
    ContractDelivery,
    CreditAccount,
    Invoice,
    InvoicePayment,
    Organisation,
    PriceTier,
    QuoteRequest,
    WholesaleOrder,
)
from .pricing import price_for


def price_sheet(organisation: Organisation) -> list[dict]:
    """Every variant the organisation has a list price for, with each tier's price as
    ``price_for`` decides it at that tier's minimum (what the buyer will pay)."""
    today = timezone.localdate()
    tiers = (
        PriceTier.objects.filter(
            price_list__is_active=True,
            price_list__valid_from__lte=today,
        )
        .filter(Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=today))
        .filter(
            Q(price_list__organisation=organisation)
            | Q(price_list__group__organisations=organisation)
        )
        .select_related("variant__product", "price_list")
        .distinct()
    )
    by_variant: dict[int, dict] = {}
    for tier in tiers:
        v = tier.variant
        row = by_variant.setdefault(
            v.pk,
            {"variant": v, "public_price": v.price, "minimums": set(), "min_order": set()},
        )
        row["minimums"].add(tier.min_quantity)
        row["min_order"].add(tier.price_list.min_order_amount)
    out = []
    for _vid, row in sorted(by_variant.items()):
        v = row["variant"]
        row["tiers"] = [
            {
                "min_quantity": m,
                "price": price_for(organisation=organisation, variant=v, quantity=m, day=today),
            }
            for m in sorted(row["minimums"])
        ]
        row["min_order"] = max(row["min_order"])
        out.append(row)
    return out


@dataclass
class Statement:
    invoices: list[Invoice] = field(default_factory=list)
    credit_notes: list[Invoice] = field(default_factory=list)
    payments: list[InvoicePayment] = field(default_factory=list)
    invoiced: Decimal = ZERO
    credited: Decimal = ZERO
    paid: Decimal = ZERO
    receivable: Decimal = ZERO
    overdue: Decimal = ZERO
    credit: list[CreditAccount] = field(default_factory=list)


def statement(*, organisation_id: int | None = None, cooperative_ids=None) -> Statement:
    """Receivables: invoiced − credit notes − payments (== what the invoices still owe),
    and the part past its due date; for one organisation and/or some cooperatives."""
    invoices = Invoice.objects.all()
    if organisation_id is not None:
        invoices = invoices.filter(organisation_id=organisation_id)
    if cooperative_ids is not None:
        invoices = invoices.filter(cooperative_id__in=list(cooperative_ids))
    invoices = invoices.select_related("organisation", "cooperative").prefetch_related(
        "credit_notes"
    )
    s = Statement()
    s.invoices = [i for i in invoices if i.kind == InvoiceKind.INVOICE]
    s.credit_notes = [i for i in invoices if i.kind == InvoiceKind.CREDIT_NOTE]
    s.payments = list(
        InvoicePayment.objects.filter(invoice__in=[i.pk for i in s.invoices]).select_related(
            "invoice"
        )
    )
    s.invoiced = sum((i.total for i in s.invoices), ZERO)
    s.credited = sum((i.total for i in s.credit_notes), ZERO)
    s.paid = sum((p.amount for p in s.payments), ZERO)
    s.receivable = s.invoiced - s.credited - s.paid
    today = timezone.localdate()
    s.overdue = sum((i.outstanding for i in s.invoices if i.due_on and i.due_on < today), ZERO)
    accounts = CreditAccount.objects.select_related("cooperative", "organisation")
    if organisation_id is not None:
        accounts = accounts.filter(organisation_id=organisation_id)
    if cooperative_ids is not None:
        accounts = accounts.filter(cooperative_id__in=list(cooperative_ids))
    s.credit = list(accounts)
    return s


def outstanding_total(organisation_id: int) -> Decimal:
    """What the organisation's invoices still owe (one query)."""
    got = Invoice.objects.filter(
        organisation_id=organisation_id, kind=InvoiceKind.INVOICE
    ).aggregate(total=Sum("total"), settled=Sum("settled"))
    return (got["total"] or ZERO) - (got["settled"] or ZERO)


def purchase_orders(organisation_id: int):
    return (
        WholesaleOrder.objects.filter(organisation_id=organisation_id)
        .select_related("order", "cooperative")
        .prefetch_related("invoices")
    )


def quotes(organisation_id: int):
    return QuoteRequest.objects.filter(organisation_id=organisation_id).select_related(
        "variant__product", "cooperative"
    )


def contracts_for(*, organisation_id: int | None = None, cooperative_ids=None):
    """Contracts with their deliveries (and each delivery's order and batch), newest
    first: an organisation's, or those of the cooperatives a manager runs. Three queries
    whatever the number of contracts."""
    qs = Contract.objects.select_related(
        "organisation", "cooperative", "variant__product", "quote"
    ).prefetch_related(
        Prefetch(
            "deliveries",
            queryset=ContractDelivery.objects.select_related("order", "batch").order_by(
                "due_on", "seq"
            ),
        )
    )
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if cooperative_ids is not None:
        qs = qs.filter(cooperative_id__in=list(cooperative_ids))
    return qs


def contract_get(*, pk: int, organisation_id: int) -> Contract:
    """One of the organisation's contracts, or ``NotFound`` (another's too)."""
    contract = contracts_for(organisation_id=organisation_id).filter(pk=pk).first()
    if contract is None:
        raise NotFound()
    return contract


def quote_get(*, pk: int, organisation_id: int) -> QuoteRequest:
    quote = QuoteRequest.objects.filter(pk=pk, organisation_id=organisation_id).first()
    if quote is None:
        raise NotFound()
    return quote
