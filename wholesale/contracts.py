"""Contracts: an accepted quote becomes a contract with scheduled deliveries.

Each delivery, once due, is placed as a purchase order through checkout by the flow
``lifecycle.services.contracts`` (the beat sweep). This module holds the contract's
rules: the schedule made at acceptance, the claim (one conditional UPDATE, so a delivery
is placed exactly once however many sweeps run), the batch a delivery is fulfilled from
(it must meet the contract's quality specification: the quote's off-spec refusal), the
placement plan (the contract price, credit when the organisation has terms) and what a
delivery becomes (placed, or waiting with the reason).
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Batch
from orders.models import Order
from orders.services import PlacementPlan
from storefront.errors import InvalidInput, InvalidState, NotFound

from . import exceptions as exc
from .constants import CHANNEL, DELIVERY_OPEN, ContractStatus, DeliveryStatus, QuoteStatus
from .models import (
    ZERO,
    Contract,
    ContractDelivery,
    CreditAccount,
    OrgMember,
    OrgRole,
    QuoteRequest,
    WholesaleOrder,
)
from .services import _overdue_exists, credit_claim, spec_batch_check


def split_quantity(total: int, parts: int) -> list[int]:
    """``total`` units over ``parts`` deliveries, as even as whole units allow (the
    first deliveries take the remainder); the parts add up to ``total``."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _schedule(quote: QuoteRequest, quantities: list | None) -> list[tuple[datetime.date, int]]:
    try:
        dates = sorted(datetime.date.fromisoformat(str(d)) for d in quote.delivery_dates)
    except ValueError:
        raise InvalidState(details={"delivery_dates": quote.delivery_dates}) from None
    if not dates:
        raise InvalidState(details={"delivery_dates": ["The quote has no delivery dates."]})
    if quantities is None:
        amounts = split_quantity(quote.quantity, len(dates))
    else:
        try:
            amounts = [int(q) for q in quantities]
        except (TypeError, ValueError):
            raise InvalidInput(details={"quantities": ["Whole numbers."]}) from None
        if len(amounts) != len(dates):
            raise InvalidInput(details={"quantities": [f"One per delivery date ({len(dates)})."]})
        if any(q < 1 for q in amounts) or sum(amounts) != quote.quantity:
            raise InvalidInput(
                details={"quantities": [f"At least 1 each, adding up to {quote.quantity}."]}
            )
    if min(amounts) < 1:
        raise InvalidInput(details={"quantities": ["More delivery dates than units."]})
    return list(zip(dates, amounts, strict=True))


def quote_accept(
    *, quote: QuoteRequest, member: OrgMember, quantities: list | None = None
) -> Contract:
    """The buyer accepts a quote: it becomes a contract at the quoted price and
    specification, with one delivery per quoted date (``quantities``, one per date and
    adding up to the quote's quantity; by default the quantity split evenly).

    Another organisation's quote is ``NotFound``; one not quoted, expired or accepted
    already is ``InvalidState``; bad quantities ``InvalidInput``. Nothing is written
    unless the whole contract is."""
    if quote.organisation_id != member.organisation_id:
        raise NotFound()
    with transaction.atomic():
        locked = QuoteRequest.objects.select_for_update().get(pk=quote.pk)
        if locked.status != QuoteStatus.QUOTED or locked.valid_until < timezone.localdate():
            raise InvalidState(details={"status": locked.status})
        schedule = _schedule(locked, quantities)
        locked.status = QuoteStatus.ACCEPTED
        locked.save(update_fields=["status"])
        contract = Contract.objects.create(
            quote=locked,
            organisation_id=locked.organisation_id,
            cooperative_id=locked.cooperative_id,
            variant_id=locked.variant_id,
            quantity=locked.quantity,
            unit_price=locked.unit_price,
            spec=locked.spec,
            accepted_by=member.user,
        )
        ContractDelivery.objects.bulk_create(
            ContractDelivery(contract=contract, seq=i, due_on=day, quantity=qty)
            for i, (day, qty) in enumerate(schedule, start=1)
        )
    quote.status = locked.status
    return contract


# --- the delivery sweep's steps -----------------------------------------------------


def deliveries_due_ids(*, today: datetime.date, after_id: int = 0, limit: int = 100) -> list[int]:
    """Open deliveries due on or before ``today`` of active contracts, by id."""
    return list(
        ContractDelivery.objects.filter(
            status__in=DELIVERY_OPEN,
            due_on__lte=today,
            contract__status=ContractStatus.ACTIVE,
            pk__gt=after_id,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def delivery_claim(*, delivery_id: int, today: datetime.date) -> ContractDelivery | None:
    """Claim a due delivery for placing, with one conditional UPDATE: it holds the row
    until the caller's transaction ends, and a second sweep's UPDATE waits for it and
    then finds the delivery no longer open. Returns the delivery (with its contract,
    organisation and variant) or None when it is not (or no longer) due and open.
    Precondition: inside the caller's ``transaction.atomic()``; first lock of it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("delivery_claim runs inside the placing transaction")
    # Only the row's own columns in the WHERE: PostgreSQL re-checks them on the row
    # version it waited for (a condition through a join would be a sub-select, read
    # before the wait, and a second sweep would claim a delivery placed meanwhile).
    claimed = ContractDelivery.objects.filter(
        pk=delivery_id, status__in=DELIVERY_OPEN, due_on__lte=today
    ).update(attempts=F("attempts") + 1, last_tried_at=timezone.now())
    if claimed != 1:
        return None
    delivery = ContractDelivery.objects.select_related(
        "contract__organisation", "contract__variant__product", "contract__accepted_by"
    ).get(pk=delivery_id)
    if delivery.contract.status != ContractStatus.ACTIVE:
        raise InvalidState(details={"contract": delivery.contract.status})
    return delivery


def delivery_batch(delivery: ContractDelivery) -> Batch:
    """The batch the delivery ships from: the product's most recent batch (what
    fulfilment packs), which must meet the contract's specification. Raises
    ``BatchOffSpec`` (the quote's refusal) when it does not, or there is none."""
    contract = delivery.contract
    product_id = contract.variant.product_id
    batch = (
        Batch.objects.filter(product_id=product_id)
        .order_by("-harvested_on", "-created", "-id")
        .first()
    )
    if batch is None:
        raise exc.BatchOffSpec(
            "No batch of this product is recorded, so none can meet the specification.",
            details={"batch": None, "figures": list(contract.spec)},
        )
    spec_batch_check(contract.spec, product_id, batch)
    return batch


def delivery_buyer(delivery: ContractDelivery):
    """Who the delivery's order is placed for: the buyer who accepted the contract, or
    (if they left) the organisation's first buyer."""
    contract = delivery.contract
    user = contract.accepted_by
    if (
        user is not None
        and OrgMember.objects.filter(user=user, organisation_id=contract.organisation_id).exists()
    ):
        return user
    member = (
        OrgMember.objects.select_related("user")
        .filter(organisation_id=contract.organisation_id, role=OrgRole.BUYER)
        .order_by("pk")
        .first()
    )
    if member is None:
        raise InvalidState(details={"organisation": ["No buyer left to order for."]})
    return member.user


def delivery_po_number(delivery: ContractDelivery) -> str:
    return f"{delivery.contract.number}-{delivery.seq}"


def delivery_plan(delivery: ContractDelivery, *, user) -> PlacementPlan:
    """The checkout plan of one delivery: the contract's unit price; a hook that records
    the purchase order (its pricing names the contract) and, when the organisation has
    credit terms, claims the order's total from its credit line with the one
    conditional UPDATE of every credit order. Raises ``CreditBlockedOverdue`` (here) and
    ``CreditLimitExceeded`` (from the hook, rolled back): the delivery waits."""
    contract = delivery.contract
    org = contract.organisation
    account = CreditAccount.objects.filter(
        organisation=org, cooperative_id=contract.cooperative_id, limit__gt=0
    ).first()
    if account is not None and _overdue_exists(
        org.pk, contract.cooperative_id, timezone.localdate()
    ):
        raise exc.CreditBlockedOverdue()
    po = delivery_po_number(delivery)
    pricing = {
        str(contract.variant_id): {
            "contract": contract.pk,
            "delivery": delivery.seq,
            "unit_price": f"{contract.unit_price:.2f}",
            "quantity": delivery.quantity,
        }
    }

    def record(order: Order, priced) -> None:
        if account is not None:
            credit_claim(account, order.total)
        try:
            with transaction.atomic():
                WholesaleOrder.objects.create(
                    order=order,
                    organisation=org,
                    cooperative_id=contract.cooperative_id,
                    po_number=po,
                    on_credit=account is not None,
                    credit_amount=order.total if account is not None else ZERO,
                    pricing=pricing,
                )
        except IntegrityError:
            raise exc.DuplicatePurchaseOrder(details={"po_number": po}) from None

    return PlacementPlan(
        unit_prices={contract.variant_id: contract.unit_price},
        hooks=[record],
        channel=CHANNEL,
        placed_by=user,
    )


def delivery_mark_waiting(*, delivery: ContractDelivery, reason: str) -> None:
    """The delivery could not be placed now: it waits, with the reason, for the next
    sweep. Precondition: claimed in the current transaction."""
    ContractDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.WAITING, reason=reason[:255]
    )
    delivery.status, delivery.reason = DeliveryStatus.WAITING, reason[:255]


def delivery_mark_placed(*, delivery: ContractDelivery, order: Order, batch: Batch) -> None:
    """The delivery's order is placed; the contract completes with its last delivery.
    Precondition: claimed in the current transaction."""
    now = timezone.now()
    ContractDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PLACED, order=order, batch=batch, reason="", placed_at=now
    )
    delivery.status, delivery.order, delivery.batch, delivery.reason = (
        DeliveryStatus.PLACED,
        order,
        batch,
        "",
    )
    contract = delivery.contract
    if not contract.deliveries.exclude(status=DeliveryStatus.PLACED).exists():
        Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.COMPLETED)
        contract.status = ContractStatus.COMPLETED
