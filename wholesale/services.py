"""Wholesale rules: organisations, credit, the placement plan of a purchase order,
invoices, credit notes and payments. Views, the API and the admin only call these."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from catalog.models import Cooperative, Variant
from catalog.selectors import user_managed_cooperative_ids
from orders.models import Order
from orders.services import PlacementPlan
from storefront.errors import InvalidInput, InvalidState, PermissionDenied
from storefront.money import CENT, split_largest_remainder, to_fen
from storefront.text import clean_line

from . import exceptions as exc
from .constants import CHANNEL, InvoiceKind, OrgRole, OrgStatus, PaymentMethod, QuoteStatus
from .einvoice import einvoice_submit_on_commit
from .models import (
    ZERO,
    CreditAccount,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoicePayment,
    Organisation,
    OrgMember,
    PriceList,
    QuoteRequest,
    TaxRate,
    WholesaleOrder,
)
from .pricing import price_for
from .receivables import Change, ReceivableChange, receivable_changed
from .validators import credit_code_is_valid

# --- organisations ----------------------------------------------------------------


def organisation_apply(
    *,
    user,
    cooperative: Cooperative,
    name: str,
    credit_code: str,
    invoice_title: str,
    tax_number: str,
    address: str,
    bank_name: str = "",
    bank_account: str = "",
) -> Organisation:
    """A business applies to buy wholesale from ``cooperative``; ``user`` becomes its
    first buyer. It waits for approval by platform staff or the cooperative."""
    code = (credit_code or "").strip().upper()
    if not credit_code_is_valid(code):
        raise exc.BadCreditCode(details={"credit_code": ["Check the 18 characters."]})
    errors = {}
    fields = {
        "name": clean_line(name or ""),
        "invoice_title": clean_line(invoice_title or ""),
        "tax_number": clean_line(tax_number or "").upper(),
        "address": clean_line(address or ""),
    }
    for key, value in fields.items():
        if not value:
            errors[key] = ["Required."]
    if errors:
        raise InvalidInput(details=errors)
    if OrgMember.objects.filter(user=user).exists():
        raise InvalidInput(details={"user": ["Already belongs to an organisation."]})
    if Organisation.objects.filter(credit_code=code).exists():
        raise InvalidInput(details={"credit_code": ["Already registered."]})
    with transaction.atomic():
        org = Organisation.objects.create(
            cooperative=cooperative,
            credit_code=code,
            bank_name=clean_line(bank_name or ""),
            bank_account=clean_line(bank_account or ""),
            **fields,
        )
        OrgMember.objects.create(organisation=org, user=user, role=OrgRole.BUYER)
    return org


def _may_manage(user, cooperative_id: int) -> bool:
    return bool(getattr(user, "is_platform", False)) or cooperative_id in (
        user_managed_cooperative_ids(user)
    )


def organisation_decide(*, organisation: Organisation, by, approve: bool) -> Organisation:
    if not _may_manage(by, organisation.cooperative_id):
        raise PermissionDenied()
    organisation.status = OrgStatus.APPROVED if approve else OrgStatus.REJECTED
    organisation.approved_by = by
    organisation.approved_at = timezone.now()
    organisation.save(update_fields=["status", "approved_by", "approved_at"])
    return organisation


def member_add(*, organisation: Organisation, user, role: str) -> OrgMember:
    if role not in OrgRole.values:
        raise InvalidInput(details={"role": [f"One of {', '.join(OrgRole.values)}."]})
    return OrgMember.objects.create(organisation=organisation, user=user, role=role)


def buyer_for(user) -> OrgMember:
    """The user's membership of an approved organisation, or ``NotWholesaleBuyer``."""
    member = (
        OrgMember.objects.select_related("organisation")
        .filter(user_id=getattr(user, "pk", None), organisation__status=OrgStatus.APPROVED)
        .first()
    )
    if member is None:
        raise exc.NotWholesaleBuyer()
    return member


def credit_grant(
    *,
    organisation: Organisation,
    cooperative: Cooperative,
    limit: Decimal,
    terms_days: int = 30,
    approval_above: Decimal | None = None,
) -> CreditAccount:
    if limit < 0:
        raise InvalidInput(details={"limit": ["Must not be negative."]})
    account, _created = CreditAccount.objects.update_or_create(
        organisation=organisation,
        cooperative=cooperative,
        defaults={"limit": limit, "terms_days": terms_days, "approval_above": approval_above},
    )
    return account


# --- purchase orders ------------------------------------------------------------------


def _overdue_exists(organisation_id: int, cooperative_id: int, today: datetime.date) -> bool:
    return Invoice.objects.filter(
        organisation_id=organisation_id,
        cooperative_id=cooperative_id,
        kind=InvoiceKind.INVOICE,
        due_on__lt=today,
        settled__lt=F("total"),
    ).exists()


def purchase_plan(
    *, member: OrgMember, lines: list[dict], po_number: str, on_credit: bool
) -> PlacementPlan:
    """The ``PlacementPlan`` of one purchase order: each line at the buyer's price
    (``pricing.price_for``), the price lists' minimum orders checked, and hooks that
    record the PO (which list and tier priced each line) and, on credit, claim the
    order's total from the credit line with one conditional UPDATE.

    Raises ``InvalidInput``, ``OneCooperativePerOrder``, ``BelowMinimumOrder``,
    ``NoCredit``, ``CreditBlockedOverdue`` here; ``DuplicatePurchaseOrder``,
    ``ApprovalRequired`` and ``CreditLimitExceeded`` from the hooks (rolled back)."""
    org = member.organisation
    po = clean_line(po_number or "")
    if not po or len(po) > 40:
        raise InvalidInput(details={"po_number": ["1 to 40 characters."]})
    if not isinstance(lines, list) or not lines:
        raise InvalidInput(details={"lines": ["At least one line."]})
    wanted: dict[int, int] = {}
    for line in lines:
        try:
            vid, qty = int(line["variant"]), int(line["quantity"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(details={"lines": ["Each line: variant and quantity."]}) from None
        if qty < 1:
            raise InvalidInput(details={"lines": ["Quantities are at least 1."]})
        wanted[vid] = wanted.get(vid, 0) + qty
    variants = Variant.objects.select_related("product").in_bulk(list(wanted))
    if len(variants) != len(wanted):
        raise InvalidInput(details={"lines": ["Unknown variant."]})
    coops = {v.product.cooperative_id for v in variants.values()}
    if len(coops) != 1:
        raise exc.OneCooperativePerOrder()
    cooperative_id = coops.pop()
    unit_prices: dict[int, Decimal] = {}
    pricing: dict[str, dict] = {}
    per_list: dict[int, Decimal] = {}
    for vid, qty in sorted(wanted.items()):
        price = price_for(organisation=org, variant=variants[vid], quantity=qty)
        unit_prices[vid] = price.unit_price
        pricing[str(vid)] = {**price.as_record(), "quantity": qty}
        if price.price_list_id is not None:
            per_list[price.price_list_id] = (
                per_list.get(price.price_list_id, ZERO) + price.unit_price * qty
            )
    for pl in PriceList.objects.filter(pk__in=list(per_list)):
        if per_list[pl.pk] < pl.min_order_amount:
            raise exc.BelowMinimumOrder(
                details={"price_list": pl.name, "minimum": f"{pl.min_order_amount:.2f}"}
            )
    terms = CreditAccount.objects.filter(organisation=org, cooperative_id=cooperative_id).first()
    account = None
    if on_credit:
        if terms is None or terms.limit <= 0:
            raise exc.NoCredit()
        if _overdue_exists(org.pk, cooperative_id, timezone.localdate()):
            raise exc.CreditBlockedOverdue()
        account = terms

    def record(order: Order, priced) -> None:
        if WholesaleOrder.objects.filter(organisation=org, po_number=po).exists():
            raise exc.DuplicatePurchaseOrder(details={"po_number": po})
        if (
            terms is not None
            and terms.approval_above is not None
            and order.total > terms.approval_above
            and member.role != OrgRole.APPROVER
        ):
            raise exc.ApprovalRequired(details={"above": f"{terms.approval_above:.2f}"})
        if account is not None:
            credit_claim(account, order.total)
        try:
            with transaction.atomic():  # a savepoint: the same PO placed at the same moment
                _wholesale_order_create(order)
        except IntegrityError:
            raise exc.DuplicatePurchaseOrder(details={"po_number": po}) from None

    def _wholesale_order_create(order: Order) -> None:
        WholesaleOrder.objects.create(
            order=order,
            organisation=org,
            cooperative_id=cooperative_id,
            po_number=po,
            on_credit=account is not None,
            credit_amount=order.total if account is not None else ZERO,
            approved_by=member.user if member.role == OrgRole.APPROVER else None,
            pricing=pricing,
        )

    return PlacementPlan(
        unit_prices=unit_prices, hooks=[record], channel=CHANNEL, placed_by=member.user
    )


def credit_claim(account: CreditAccount, amount: Decimal) -> None:
    """Take ``amount`` of ``account``'s credit with one conditional UPDATE (it never
    passes the limit, however many orders claim at once), or raise
    ``CreditLimitExceeded``. Runs in a checkout hook: the credit row is locked before
    the variant rows (the lock order, ``lifecycle.services``)."""
    claimed = CreditAccount.objects.filter(pk=account.pk, used__lte=F("limit") - amount).update(
        used=F("used") + amount
    )
    if claimed != 1:
        raise exc.CreditLimitExceeded()


def credit_release(order: Order) -> None:
    """Give back the credit an unpaid order took (``on_unpaid_release``: once per order,
    in the cancelling transaction)."""
    wo = WholesaleOrder.objects.filter(order=order, on_credit=True, credit_released=False).first()
    if wo is None:
        return
    if WholesaleOrder.objects.filter(pk=wo.pk, credit_released=False).update(credit_released=True):
        _credit_give_back(wo, wo.credit_amount)


def _credit_give_back(wo: WholesaleOrder, amount: Decimal) -> None:
    CreditAccount.objects.filter(
        organisation_id=wo.organisation_id, cooperative_id=wo.cooperative_id
    ).update(used=Greatest(F("used") - amount, Value(ZERO)))


# --- quotes ---------------------------------------------------------------------------

SPEC_FIELDS = ("protein_pct", "moisture_pct", "ash_pct", "gluten_pct")


def quote_request(
    *, member: OrgMember, variant: Variant, quantity: int, schedule: str = ""
) -> QuoteRequest:
    if not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput(details={"quantity": ["At least 1."]})
    return QuoteRequest.objects.create(
        organisation=member.organisation,
        cooperative_id=variant.product.cooperative_id,
        variant=variant,
        quantity=quantity,
        schedule=clean_line(schedule or "")[:255],
        requested_by=member.user,
    )


def clean_spec(spec: dict) -> dict:
    out = {}
    for key, bounds in (spec or {}).items():
        if key not in SPEC_FIELDS:
            raise InvalidInput(details={"spec": [f"Unknown figure {key}."]})
        try:
            low, high = bounds
            low = None if low is None else str(Decimal(str(low)))
            high = None if high is None else str(Decimal(str(high)))
        except Exception:
            raise InvalidInput(details={"spec": [f"{key}: [min, max]."]}) from None
        out[key] = [low, high]
    return out


def quote_answer(
    *,
    quote: QuoteRequest,
    by,
    unit_price: Decimal,
    valid_until: datetime.date,
    delivery_dates: Iterable[str] = (),
    spec: dict | None = None,
) -> QuoteRequest:
    if not _may_manage(by, quote.cooperative_id):
        raise PermissionDenied()
    if quote.status not in (QuoteStatus.REQUESTED, QuoteStatus.QUOTED):
        raise InvalidState()
    quote.unit_price = Decimal(unit_price).quantize(CENT)
    quote.valid_until = valid_until
    quote.delivery_dates = [str(d) for d in delivery_dates]
    quote.spec = clean_spec(spec or {})
    quote.status = QuoteStatus.QUOTED
    quote.save()
    return quote


def batch_meets_spec(spec: dict, batch) -> list[str]:
    """The figures of ``batch`` outside the ranges of ``spec`` (a missing figure fails)."""
    failed = []
    for key, (low, high) in (spec or {}).items():
        value = getattr(batch, key, None)
        if value is None:
            failed.append(key)
            continue
        if (low is not None and value < Decimal(low)) or (
            high is not None and value > Decimal(high)
        ):
            failed.append(key)
    return failed


def spec_batch_check(spec: dict, product_id: int, batch) -> None:
    """Refuse ``batch`` for goods of ``product_id`` sold under ``spec`` (a quote's or a
    contract's): another product's batch, or a figure outside its range or missing,
    raises ``BatchOffSpec`` with the figures that failed."""
    if batch.product_id != product_id:
        raise exc.BatchOffSpec(details={"batch": batch.code, "figures": ["product"]})
    failed = batch_meets_spec(spec, batch)
    if failed:
        raise exc.BatchOffSpec(details={"batch": batch.code, "figures": failed})


def quote_batch_check(quote: QuoteRequest, batch) -> None:
    """Refuse to fulfil ``quote`` from ``batch`` when it misses the specification."""
    spec_batch_check(quote.spec, quote.variant.product_id, batch)


# --- invoices -------------------------------------------------------------------------


def _next_seq(cooperative_id: int) -> int:
    """The cooperative's next invoice number, under its counter's row lock (held to the
    end of the transaction: gapless, and a rollback gives the number back)."""
    InvoiceCounter.objects.bulk_create(
        [InvoiceCounter(cooperative_id=cooperative_id)], ignore_conflicts=True
    )
    counter = InvoiceCounter.objects.select_for_update().get(cooperative_id=cooperative_id)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def invoice_number(cooperative_id: int, seq: int) -> str:
    return f"FG{cooperative_id:04d}-{seq:08d}"


def _seller(coop: Cooperative) -> dict:
    return {"name": coop.name, "phone": coop.contact_phone, "county": str(coop.county)}


def _buyer(org: Organisation) -> dict:
    return {
        "name": org.invoice_title,
        "credit_code": org.credit_code,
        "tax_number": org.tax_number,
        "address": org.address,
        "bank": f"{org.bank_name} {org.bank_account}".strip(),
    }


def split_tax(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """A tax-inclusive amount as (net, tax), to the fen; net + tax == gross."""
    net = (gross / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return net, gross - net


def invoice_issue(*, wholesale_order: WholesaleOrder, batches: list[dict] | None = None) -> Invoice:
    """The invoice of a delivered purchase order: one line per order line (its tax rate
    from ``TaxRate``, exempt when none), shipping as a line, numbered gapless per
    cooperative; due after the credit terms (or at once). ``batches``: what was shipped
    with its quality figures (the delivery's batch certificate). One per order."""
    with transaction.atomic():
        wo = (
            WholesaleOrder.objects.select_for_update(of=("self",))
            .select_related("order", "organisation", "cooperative")
            .get(pk=wholesale_order.pk)
        )
        existing = wo.invoices.filter(kind=InvoiceKind.INVOICE).first()
        if existing is not None:
            return existing
        order = wo.order
        lines = [ln for ln in order.lines.all() if ln.cooperative_id == wo.cooperative_id]
        rates = dict(
            TaxRate.objects.filter(variant_id__in=[ln.variant_id for ln in lines]).values_list(
                "variant_id", "rate"
            )
        )
        account = CreditAccount.objects.filter(
            organisation=wo.organisation, cooperative=wo.cooperative
        ).first()
        today = timezone.localdate()
        due = today + datetime.timedelta(
            days=account.terms_days if (account and wo.on_credit) else 0
        )
        seq = _next_seq(wo.cooperative_id)
        invoice = Invoice.objects.create(
            cooperative=wo.cooperative,
            organisation=wo.organisation,
            wholesale_order=wo,
            kind=InvoiceKind.INVOICE,
            seq=seq,
            number=invoice_number(wo.cooperative_id, seq),
            due_on=due,
            net_total=ZERO,
            tax_total=ZERO,
            total=ZERO,
            seller=_seller(wo.cooperative),
            buyer=_buyer(wo.organisation),
            batches=batches or [],
        )
        rows = []
        for ln in lines:
            gross = ln.line_total - ln.discount
            rate = rates.get(ln.variant_id, ZERO)
            net, tax = split_tax(gross, rate)
            rows.append(
                InvoiceLine(
                    invoice=invoice,
                    description=ln.title,
                    sku=ln.sku,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                    net=net,
                    tax_rate=rate,
                    tax=tax,
                )
            )
        fee = sum(
            (s.fee for s in order.shipping_parts.all() if s.cooperative_id == wo.cooperative_id),
            ZERO,
        )
        if fee:
            rows.append(
                InvoiceLine(
                    invoice=invoice,
                    description="运费 Shipping",
                    quantity=1,
                    unit_price=fee,
                    net=fee,
                    tax_rate=ZERO,
                    tax=ZERO,
                )
            )
        InvoiceLine.objects.bulk_create(rows)
        invoice.net_total = sum((r.net for r in rows), ZERO)
        invoice.tax_total = sum((r.tax for r in rows), ZERO)
        invoice.total = invoice.net_total + invoice.tax_total
        invoice.save(update_fields=["net_total", "tax_total", "total"])
        receivable_changed(
            ReceivableChange(Change.ISSUED, invoice, invoice.total, document=invoice.number)
        )
        einvoice_submit_on_commit(invoice.pk)
        return invoice


def _lock_invoice(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("wholesale_order")
        .get(pk=invoice.pk)
    )


def _settle(inv: Invoice, amount: Decimal) -> None:
    Invoice.objects.filter(pk=inv.pk).update(settled=F("settled") + amount)
    inv.settled += amount
    wo = inv.wholesale_order
    if wo is not None and wo.on_credit:
        _credit_give_back(wo, amount)


def _check_amount(amount) -> Decimal:
    if not isinstance(amount, Decimal) or amount <= 0:
        raise InvalidInput(details={"amount": ["A positive amount."]})
    try:
        to_fen(amount)
    except ValueError:
        raise InvalidInput(details={"amount": ["At most two decimal places."]}) from None
    return amount


def credit_note_issue(*, invoice: Invoice, amount: Decimal, reason: str, by=None) -> Invoice:
    """A red invoice for a return or a price correction: ``amount`` (tax included)
    spread over the invoice's lines by largest remainder, each at its line's tax rate;
    it settles that much of the invoice. Numbered in the same gapless series."""
    amount = _check_amount(amount)
    reason = clean_line(reason or "")
    if not reason:
        raise InvalidInput(details={"reason": ["Required."]})
    with transaction.atomic():
        inv = _lock_invoice(invoice)
        if inv.kind != InvoiceKind.INVOICE:
            raise InvalidInput(details={"invoice": ["Only an invoice can be credited."]})
        if by is not None and not _may_manage(by, inv.cooperative_id):
            raise PermissionDenied()
        if amount > inv.outstanding:
            raise exc.CreditNoteTooLarge(details={"outstanding": f"{inv.outstanding:.2f}"})
        lines = list(inv.lines.all())
        parts = split_largest_remainder(amount, [to_fen(ln.net + ln.tax) for ln in lines])
        seq = _next_seq(inv.cooperative_id)
        note = Invoice.objects.create(
            cooperative_id=inv.cooperative_id,
            organisation_id=inv.organisation_id,
            wholesale_order=inv.wholesale_order,
            kind=InvoiceKind.CREDIT_NOTE,
            credits=inv,
            seq=seq,
            number=invoice_number(inv.cooperative_id, seq),
            net_total=ZERO,
            tax_total=ZERO,
            total=amount,
            seller=inv.seller,
            buyer=inv.buyer,
            reason=reason,
        )
        rows = []
        for ln, part in zip(lines, parts, strict=True):
            if not part:
                continue
            net, tax = split_tax(part, ln.tax_rate)
            rows.append(
                InvoiceLine(
                    invoice=note,
                    description=ln.description,
                    sku=ln.sku,
                    quantity=0,
                    unit_price=ZERO,
                    net=net,
                    tax_rate=ln.tax_rate,
                    tax=tax,
                )
            )
        InvoiceLine.objects.bulk_create(rows)
        note.net_total = sum((r.net for r in rows), ZERO)
        note.tax_total = sum((r.tax for r in rows), ZERO)
        note.save(update_fields=["net_total", "tax_total"])
        _settle(inv, amount)
        receivable_changed(ReceivableChange(Change.CREDITED, inv, amount, document=note.number))
        einvoice_submit_on_commit(note.pk)
        return note


def invoice_payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    reference: str,
    method: str = PaymentMethod.BANK_TRANSFER,
    by=None,
) -> InvoicePayment:
    """A payment against an invoice (a bank transfer the cooperative saw, with its
    reference, or an online payment): at most what is still owed; the same reference
    twice is refused. Gives the credit it repays back to the credit line."""
    amount = _check_amount(amount)
    reference = clean_line(reference or "")
    if not reference:
        raise InvalidInput(details={"reference": ["Required."]})
    if method not in PaymentMethod.values:
        raise InvalidInput(details={"method": [f"One of {', '.join(PaymentMethod.values)}."]})
    with transaction.atomic():
        inv = _lock_invoice(invoice)
        if inv.kind != InvoiceKind.INVOICE:
            raise InvalidInput(details={"invoice": ["Payments go against an invoice."]})
        if by is not None and not _may_manage(by, inv.cooperative_id):
            raise PermissionDenied()
        if amount > inv.outstanding:
            raise exc.InvoiceOverpaid(details={"outstanding": f"{inv.outstanding:.2f}"})
        if inv.payments.filter(reference=reference).exists():
            raise InvalidInput(details={"reference": ["Already recorded."]})
        payment = InvoicePayment.objects.create(
            invoice=inv, amount=amount, method=method, reference=reference, recorded_by=by
        )
        _settle(inv, amount)
        receivable_changed(
            ReceivableChange(Change.PAID, inv, amount, document=reference, method=method)
        )
        return payment


def invoice_payment_record_online(*, invoice: Invoice, amount: Decimal, reference: str) -> Decimal:
    """An online payment of ``amount`` arrived for ``invoice`` (applied once by the
    payments machinery): it pays what is still owed, at most; returns how much it paid
    (the rest, if the invoice was meanwhile paid by transfer, is the caller's to keep
    as the buyer's credit). Locks the invoice."""
    with transaction.atomic():
        inv = _lock_invoice(invoice)
        take = min(amount, inv.outstanding)
        if take > 0:
            invoice_payment_record(
                invoice=inv, amount=take, reference=reference, method=PaymentMethod.ONLINE
            )
        return take
