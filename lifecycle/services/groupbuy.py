"""Group buying and harvest pre-sales across apps: checkout with a team or pre-sale
plan, what a payment means for a team, the failure sweep (refund every paid member
once), and the pre-sale's conversion at harvest (shortfall refunded latest first).

Lock order: order, then team / member / offer; a pre-sale's conversion locks all its
orders (by id) before writing anything else."""

from __future__ import annotations

import logging

from django.db import transaction

from fulfilment.holds import fulfilment_hold_register
from groupbuy import selectors as gb_selectors
from groupbuy import services as gb
from groupbuy.models import PreSale, Team, TeamOffer
from orders.constants import OrderStatus
from orders.models import Order
from orders.services import order_lock

from .cancel import order_cancel
from .checkout import checkout_place
from .extensions import on_paid_cancel, on_paid_hold, on_unpaid_release
from .paid import fulfilment_start

logger = logging.getLogger(__name__)


def groupbuy_register() -> None:
    """Wire the feature into the order's life (called once from ``LifecycleConfig``)."""
    on_unpaid_release(gb.team_seat_release)
    on_unpaid_release(gb.presale_release)
    on_paid_cancel(gb.team_seat_release)
    on_paid_cancel(gb.presale_paid_cancel_release)  # cancelled while selling: units back
    on_paid_hold(team_order_paid)
    on_paid_hold(presale_order_paid)
    fulfilment_hold_register(gb_selectors.team_held_order_ids)
    fulfilment_hold_register(gb_selectors.presale_held_order_ids)


# --- teams ---------------------------------------------------------------------


def team_start(*, offer: TeamOffer, user, shipping_address: dict, idempotency_key=None):
    """Start a team on ``offer``: the leader's order at the team price (stock taken now)."""
    plan, lines = gb.team_start_plan(offer=offer, user=user)
    return checkout_place(
        user=user,
        shipping_address=shipping_address,
        lines=lines,
        idempotency_key=idempotency_key,
        plan=plan,
    )


def team_join(*, team: Team, user, shipping_address: dict, idempotency_key=None):
    """Join ``team``: an order at the team price holding one seat (refused with
    ``team_full`` when every seat is taken, ``team_closed`` when the team filled, failed
    or ran out of time)."""
    plan, lines = gb.team_join_plan(team=team, user=user)
    return checkout_place(
        user=user,
        shipping_address=shipping_address,
        lines=lines,
        idempotency_key=idempotency_key,
        plan=plan,
    )


def team_order_paid(order: Order) -> bool:
    """``on_paid_hold``: a team order was paid. Held while its team is open; the payment
    that fills the team sends every member's order to fulfilment at once."""
    if order.channel != gb.TEAM_CHANNEL:  # no query for an ordinary order
        return False
    result = gb.team_member_paid(order)
    if result is None:
        return False
    for order_id in result.release_order_ids:
        if order_id != order.pk:
            fulfilment_start(Order(pk=order_id))
    return result.held


def team_member_settle(*, member_id: int) -> bool:
    """A failed team's member, once: paid → cancelled and refunded (stock back, refund
    submitted on commit); unpaid → cancelled (stock and seat back). Order first, then
    the member row, re-checked: two sweeps at once settle it once. True if settled now."""
    order_id = gb.TeamMember.objects.filter(pk=member_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return False
    with transaction.atomic():
        order = order_lock(order_id)
        member = gb.team_member_lock_unsettled(member_id)
        if member is None or member.released_at is not None:
            return False
        refunded = False
        if order.status == OrderStatus.PAID:
            order_cancel(order=order, note=f"team {member.team_id} did not fill")
            refunded = True
        elif order.status == OrderStatus.PENDING_PAYMENT:
            order_cancel(order=order, note=f"team {member.team_id} did not fill")
        gb.team_member_settled(member, refunded=refunded)
        return True


def teams_fail_overdue() -> dict[str, int]:
    """Beat: every open team past its deadline fails (no time window: a sweep stopped for
    hours catches up), then every member of a failed team not yet settled is refunded or
    cancelled, each once. Safe to run twice at once."""
    failed = gb.teams_mark_failed_overdue()
    settled = 0
    while True:
        ids = gb.team_members_to_settle_ids()
        if not ids:
            break
        progress = 0
        for member_id in ids:
            try:
                progress += team_member_settle(member_id=member_id)
            except Exception:  # one bad order must not stop the others
                logger.exception("team member %s could not be settled", member_id)
        settled += progress
        if not progress:
            break
    return {"failed": failed, "settled": settled}


# --- pre-sales -----------------------------------------------------------------


def presale_buy(*, presale: PreSale, user, quantity: int, shipping_address: dict, **kw):
    """An order on ``presale`` at its price, its units from the quota (never oversold)."""
    plan, lines = gb.presale_plan(presale=presale, quantity=quantity)
    return checkout_place(
        user=user, shipping_address=shipping_address, lines=lines, plan=plan, **kw
    )


def presale_order_paid(order: Order) -> bool:
    """``on_paid_hold``: a paid pre-sale order waits for the conversion."""
    if order.channel != gb.PRESALE_CHANNEL:
        return False
    return bool(gb.presale_order_held(order))


def presale_convert(*, presale_id: int, shortfall: int = 0) -> dict[str, int]:
    """At harvest: selling stops; unpaid orders are cancelled (quota back); of the paid
    ones, the LATEST are refunded first until ``shortfall`` units are covered (each
    once, whole orders); the rest become ordinary paid orders, their shipments created
    now. Run again after an interruption with the same shortfall, it finishes the job."""
    presale = gb.presale_convert_begin(presale_id=presale_id, shortfall=shortfall)
    counts = {"converted": 0, "refunded": 0, "cancelled": 0}
    with transaction.atomic():
        claims = gb.presale_claims_open(presale.pk)
        # Every order first (by id), before any pre-sale row: the same order as expiry.
        locked = {
            o.pk: o
            for o in Order.objects.select_for_update()
            .filter(pk__in=[c.order_id for c in claims])
            .order_by("pk")
        }
        claims = gb.presale_claims_open(presale.pk)  # re-read under the locks
        to_refund = shortfall - gb.presale_refunded_units(presale.pk)
        for claim in claims:
            order = locked.get(claim.order_id) or order_lock(claim.order_id)
            if order.status == OrderStatus.PENDING_PAYMENT:
                order_cancel(order=order, note="pre-sale converted before payment")
                counts["cancelled"] += 1
            elif order.status != OrderStatus.PAID:
                gb.presale_claim_decided(claim, "void")
            elif to_refund > 0:
                order_cancel(order=order, note=f"harvest short: pre-sale {presale.pk}")
                gb.presale_claim_decided(claim, "refunded")
                to_refund -= claim.quantity
                counts["refunded"] += 1
            else:
                gb.presale_claim_decided(claim, "converted")
                fulfilment_start(order)
                counts["converted"] += 1
        gb.presale_convert_finish(presale)
    return counts
