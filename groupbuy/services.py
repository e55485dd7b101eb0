"""Group buying and pre-sales: the claims taken at checkout (one conditional UPDATE
each, inside the placement transaction), given back on an unpaid cancel, and the state
changes the lifecycle flows (``lifecycle.services.groupbuy``) drive.

Lock order (the same as every order flow): order, then the variant (stock), then team,
then offer; order, then pre-sale. Nothing here locks an order: the flows above do that
first."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Variant
from orders.constants import OrderStatus
from orders.models import Order
from orders.services import PlacementPlan
from storefront.errors import InvalidInput, InvalidState, NotFound

from .constants import PreSaleStatus, TeamStatus
from .exceptions import (
    OfferUnavailable,
    PreSaleSoldOut,
    PreSaleUnavailable,
    TeamAlreadyJoined,
    TeamClosed,
    TeamFull,
)
from .models import PreSale, PreSaleOrder, Team, TeamMember, TeamOffer

TEAM_CHANNEL = "team"
PRESALE_CHANNEL = "presale"


# --- teams: checkout ----------------------------------------------------------


def _offer_units_claim(offer_id: int, quantity: int) -> None:
    """Take ``quantity`` of the offer's units: one conditional UPDATE (never above the cap)."""
    taken = TeamOffer.objects.filter(
        pk=offer_id, is_active=True, units_claimed__lte=F("stock_cap") - quantity
    ).update(units_claimed=F("units_claimed") + quantity)
    if not taken:
        raise OfferUnavailable(details={"offer": offer_id})


def _offer_units_give_back(offer_id: int, quantity: int) -> None:
    TeamOffer.objects.filter(pk=offer_id, units_claimed__gte=quantity).update(
        units_claimed=F("units_claimed") - quantity
    )


def _variant_lock(variant_id: int) -> None:
    """Lock the offer's variant row before the team and offer rows: a cancellation
    gives the stock back (variant) before the seat (team, then offer), so a join or start
    takes its locks in that same order (the placement's stock UPDATE comes last and finds
    the row locked already) and the two never wait on each other in a cycle."""
    list(Variant.objects.select_for_update().filter(pk=variant_id).values_list("pk", flat=True))


def team_start_plan(*, offer: TeamOffer, user) -> tuple[PlacementPlan, list[dict]]:
    """The plan and lines that start a new team on ``offer`` with ``user`` as leader."""
    if not offer.is_active:
        raise OfferUnavailable(details={"offer": offer.pk})

    def start(order: Order, _priced) -> None:
        _variant_lock(offer.variant_id)
        _offer_units_claim(offer.pk, 1)
        team = Team.objects.create(
            offer=offer,
            leader=user,
            size=offer.team_size,
            seats_taken=1,
            deadline=timezone.now() + offer.time_to_fill,
        )
        TeamMember.objects.create(team=team, user=user, order=order, quantity=1)

    plan = PlacementPlan(
        unit_prices={offer.variant_id: offer.team_price}, hooks=[start], channel=TEAM_CHANNEL
    )
    return plan, [{"variant": offer.variant_id, "quantity": 1}]


def team_join_plan(*, team: Team, user) -> tuple[PlacementPlan, list[dict]]:
    """The plan and lines that join ``team``: its hook claims a seat with one conditional
    UPDATE on the team row (the row lock serialises joiners: never above the size)."""
    offer = team.offer

    def join(order: Order, _priced) -> None:
        _variant_lock(offer.variant_id)
        if TeamMember.objects.filter(team=team, user=user, released_at__isnull=True).exists():
            raise TeamAlreadyJoined(details={"team": team.pk})
        seated = Team.objects.filter(
            pk=team.pk,
            status=TeamStatus.OPEN,
            deadline__gt=timezone.now(),
            seats_taken__lt=F("size"),
        ).update(seats_taken=F("seats_taken") + 1)
        if not seated:
            raise _team_refusal(team.pk)
        _offer_units_claim(offer.pk, 1)
        TeamMember.objects.create(team=team, user=user, order=order, quantity=1)

    plan = PlacementPlan(
        unit_prices={offer.variant_id: offer.team_price}, hooks=[join], channel=TEAM_CHANNEL
    )
    return plan, [{"variant": offer.variant_id, "quantity": 1}]


def _team_refusal(team_id: int) -> TeamClosed | TeamFull:
    """Why the seat UPDATE took nothing: the team closed (filled, failed or past its
    deadline: ``team_closed``) or it is open with every seat taken (``team_full``)."""
    row = Team.objects.filter(pk=team_id).values_list("status", "deadline").first()
    if row is None or row[0] != TeamStatus.OPEN or row[1] <= timezone.now():
        return TeamClosed(details={"team": team_id})
    return TeamFull(details={"team": team_id})


def team_seat_release(order: Order) -> None:
    """A member's order was cancelled, expired unpaid (``on_unpaid_release``) or was
    cancelled after payment before its team filled (``on_paid_cancel``): under the
    team's row lock its seat comes back while the team is open (``seats_taken`` and so
    the paid members go down, never below what is held), and its offer unit comes back;
    once per member. A filled team keeps its seats (the order is refunded as any order).

    Precondition: the order is locked in the current transaction (lock order: order,
    then team, then member)."""
    if order.channel != TEAM_CHANNEL:
        return
    team_id = (
        TeamMember.objects.filter(order_id=order.pk, released_at__isnull=True)
        .values_list("team_id", flat=True)
        .first()
    )
    if team_id is None:
        return
    team = Team.objects.select_for_update().get(pk=team_id)
    if team.status == TeamStatus.FILLED:
        return
    member = (
        TeamMember.objects.select_for_update()
        .filter(order_id=order.pk, released_at__isnull=True, settled_at__isnull=True)
        .first()
    )
    if member is None:
        return
    if team.status == TeamStatus.OPEN:
        Team.objects.filter(pk=team.pk, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)
    _offer_units_give_back(team.offer_id, member.quantity)
    member.released_at = timezone.now()
    member.save(update_fields=["released_at"])


# --- teams: paid, filled, failed -----------------------------------------------


@dataclass
class TeamPaid:
    """What a member's payment means: ``held`` (its fulfilment waits for the team) and
    the orders to send to fulfilment now (every paid member's, when this filled it)."""

    held: bool
    release_order_ids: list[int] = field(default_factory=list)


def team_member_paid(order: Order) -> TeamPaid | None:
    """A team order was paid: the member counts; the payment that completes the team
    fills it (under the team's row lock) and releases every member's order at once.
    ``None`` for an order that is not a team order.

    Precondition: ``order`` is locked in the current transaction."""
    member = TeamMember.objects.filter(order_id=order.pk).first()
    if member is None:
        return None
    team = Team.objects.select_for_update().get(pk=member.team_id)
    now = timezone.now()
    if member.paid_at is None:
        member.paid_at = now
        member.save(update_fields=["paid_at"])
    if team.status == TeamStatus.FILLED:
        return TeamPaid(held=False)
    if team.status == TeamStatus.FAILED:
        return TeamPaid(held=True)  # the failure sweep refunds it
    # A member counts while its order is paid (one cancelled after paying does not).
    paid = list(
        TeamMember.objects.filter(
            team=team,
            paid_at__isnull=False,
            released_at__isnull=True,
            order__status=OrderStatus.PAID,
        ).values_list("order_id", flat=True)
    )
    if len(paid) < team.size:
        return TeamPaid(held=True)
    team.status = TeamStatus.FILLED
    team.filled_at = now
    team.save(update_fields=["status", "filled_at"])
    return TeamPaid(held=False, release_order_ids=sorted(paid))


def teams_mark_failed_overdue(*, now=None, limit: int = 500) -> int:
    """Every open team past its deadline becomes ``failed`` (however long ago: no time
    window). Each under its row lock, so two sweeps at once fail each team once."""
    now = now or timezone.now()
    ids = list(
        Team.objects.filter(status=TeamStatus.OPEN, deadline__lte=now)
        .order_by("deadline", "id")
        .values_list("id", flat=True)[:limit]
    )
    failed = 0
    for team_id in ids:
        with transaction.atomic():
            done = Team.objects.filter(
                pk=team_id, status=TeamStatus.OPEN, deadline__lte=now
            ).update(status=TeamStatus.FAILED, failed_at=now)
            failed += done
    return failed


def team_members_to_settle_ids(*, limit: int = 500) -> list[int]:
    """Members of failed teams not yet refunded or cancelled (oldest failure first)."""
    return list(
        TeamMember.objects.filter(
            team__status=TeamStatus.FAILED, settled_at__isnull=True, released_at__isnull=True
        )
        .order_by("team__failed_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def team_member_lock_unsettled(member_id: int) -> TeamMember | None:
    """The member row locked if it still needs settling. Precondition: its order is
    locked already in this transaction."""
    return (
        TeamMember.objects.select_for_update(of=("self",))
        .filter(pk=member_id, settled_at__isnull=True, team__status=TeamStatus.FAILED)
        .first()
    )


def team_member_settled(member: TeamMember, *, refunded: bool) -> None:
    """Record that a failed team's member was dealt with (once: the refund key is unique
    per team and order); a refunded member's offer unit comes back."""
    member.settled_at = timezone.now()
    if refunded:
        member.refund_key = f"team-{member.team_id}-order-{member.order_id}"
        # The cancellation may have given the member's unit back already
        # (``team_seat_release``): never twice.
        member.refresh_from_db(fields=["released_at"])
        if member.released_at is None:
            team = Team.objects.only("offer_id").get(pk=member.team_id)
            _offer_units_give_back(team.offer_id, member.quantity)
    member.save(update_fields=["settled_at", "refund_key"])


# --- pre-sales -----------------------------------------------------------------


def presale_plan(*, presale: PreSale, quantity: int) -> tuple[PlacementPlan, list[dict]]:
    """The plan and lines of an order on ``presale``: its units come from the quota (not
    stock), taken by ONE conditional UPDATE: never above the quota, only while open."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 99:
        raise InvalidInput(details={"quantity": ["A whole number from 1 to 99."]})

    def take(order: Order, _priced) -> None:
        now = timezone.now()
        taken = PreSale.objects.filter(
            pk=presale.pk,
            status=PreSaleStatus.OPEN,
            opens_at__lte=now,
            closes_at__gt=now,
            sold__lte=F("quota") - quantity,
        ).update(sold=F("sold") + quantity)
        if not taken:
            fresh = PreSale.objects.get(pk=presale.pk)
            if fresh.status == PreSaleStatus.OPEN and fresh.opens_at <= now < fresh.closes_at:
                raise PreSaleSoldOut(details={"presale": presale.pk, "left": fresh.left})
            raise PreSaleUnavailable(details={"presale": presale.pk})
        PreSaleOrder.objects.create(presale=presale, order=order, quantity=quantity)

    plan = PlacementPlan(
        unit_prices={presale.variant_id: presale.price},
        quota_variants={presale.variant_id},
        hooks=[take],
        channel=PRESALE_CHANNEL,
    )
    return plan, [{"variant": presale.variant_id, "quantity": quantity}]


def presale_release(order: Order) -> None:
    """``on_unpaid_release``: an unpaid pre-sale order's units go back to the quota, once."""
    if order.channel != PRESALE_CHANNEL:
        return
    claim = (
        PreSaleOrder.objects.select_for_update()
        .filter(order_id=order.pk, released_at__isnull=True)
        .first()
    )
    if claim is None:
        return
    PreSale.objects.filter(pk=claim.presale_id, sold__gte=claim.quantity).update(
        sold=F("sold") - claim.quantity
    )
    claim.released_at = timezone.now()
    claim.outcome = claim.outcome or "cancelled"
    claim.save(update_fields=["released_at", "outcome"])


def presale_paid_cancel_release(order: Order) -> None:
    """``on_paid_cancel``: a paid pre-sale order the buyer cancels while the pre-sale is
    still selling gives its units back to the quota (once, as ``presale_release``). Once
    the harvest is being converted, cancelled units are part of the shortfall and the
    sold count stays as the conversion decided it."""
    if order.channel != PRESALE_CHANNEL:
        return
    claim = (
        PreSaleOrder.objects.select_for_update()
        .filter(order_id=order.pk, released_at__isnull=True)
        .first()
    )
    if claim is None:
        return
    # One conditional UPDATE: a conversion that began meanwhile keeps the units.
    given_back = PreSale.objects.filter(
        pk=claim.presale_id, status=PreSaleStatus.OPEN, sold__gte=claim.quantity
    ).update(sold=F("sold") - claim.quantity)
    if given_back:
        claim.released_at = timezone.now()
        claim.outcome = claim.outcome or "cancelled"
        claim.save(update_fields=["released_at", "outcome"])


def presale_order_held(order: Order) -> bool | None:
    """Whether a paid order's fulfilment waits for its pre-sale's conversion (``None``
    for an order that is not a pre-sale order)."""
    status = (
        PreSaleOrder.objects.filter(order_id=order.pk)
        .values_list("presale__status", flat=True)
        .first()
    )
    if status is None:
        return None
    return status != PreSaleStatus.CONVERTED


def presale_convert_begin(*, presale_id: int, shortfall: int) -> PreSale:
    """Stop selling and record the harvest's shortfall (units): ``open`` → ``converting``
    under the row lock (once). A conversion interrupted half-way may be run again with
    the same shortfall."""
    if not isinstance(shortfall, int) or isinstance(shortfall, bool) or shortfall < 0:
        raise InvalidInput(details={"shortfall": ["A whole number of units, 0 or more."]})
    with transaction.atomic():
        presale = PreSale.objects.select_for_update().filter(pk=presale_id).first()
        if presale is None:
            raise NotFound("No such pre-sale.")
        if presale.status == PreSaleStatus.CONVERTING and presale.shortfall == shortfall:
            return presale
        if presale.status != PreSaleStatus.OPEN:
            raise InvalidState(
                "This pre-sale was converted already.", details={"status": presale.status}
            )
        if shortfall > presale.sold:
            raise InvalidInput(details={"shortfall": [f"At most the units sold ({presale.sold})."]})
        presale.status = PreSaleStatus.CONVERTING
        presale.shortfall = shortfall
        presale.save(update_fields=["status", "shortfall"])
        return presale


def presale_claims_open(presale_id: int) -> list[PreSaleOrder]:
    """The claims still to decide, latest order first (the order the shortfall is
    refunded in)."""
    return list(
        PreSaleOrder.objects.filter(
            presale_id=presale_id, outcome="", released_at__isnull=True
        ).order_by("-order__created", "-order_id")
    )


def presale_claim_decided(claim: PreSaleOrder, outcome: str) -> None:
    claim.outcome = outcome
    fields = ["outcome"]
    if outcome == "refunded":
        claim.refund_key = f"presale-{claim.presale_id}-order-{claim.order_id}"
        fields.append("refund_key")
    claim.save(update_fields=fields)


def presale_refunded_units(presale_id: int) -> int:
    return sum(
        PreSaleOrder.objects.filter(presale_id=presale_id, outcome="refunded").values_list(
            "quantity", flat=True
        )
    )


def presale_convert_finish(presale: PreSale) -> None:
    PreSale.objects.filter(pk=presale.pk, status=PreSaleStatus.CONVERTING).update(
        status=PreSaleStatus.CONVERTED, converted_at=timezone.now()
    )


def team_price_saving(offer: TeamOffer) -> Decimal:
    return max(offer.variant.price - offer.team_price, Decimal("0.00"))
