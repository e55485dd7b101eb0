"""Reads for the pages, the API, the admin and the fulfilment holds."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from catalog.selectors import variants_on_sale
from orders.constants import OrderStatus

from .constants import PreSaleStatus, TeamStatus
from .models import PreSale, PreSaleOrder, Team, TeamMember, TeamOffer

#: A paid member whose order ended like this no longer counts.
MONEY_BACK = (OrderStatus.CANCELLED, OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED)


def team_held_order_ids() -> QuerySet:
    """Orders whose fulfilment waits for their team (open, or failed and being refunded)."""
    return TeamMember.objects.exclude(team__status=TeamStatus.FILLED).values("order_id")


def presale_held_order_ids() -> QuerySet:
    """Orders whose fulfilment waits for their pre-sale's conversion."""
    return PreSaleOrder.objects.exclude(presale__status=PreSaleStatus.CONVERTED).values("order_id")


def offers_running() -> QuerySet[TeamOffer]:
    """Active offers on a variant on sale (an approved product of an active cooperative)."""
    return (
        TeamOffer.objects.filter(is_active=True, variant__in=variants_on_sale())
        .select_related("variant__product__cooperative")
        .order_by("id")
    )


def team_get(team_id: int) -> Team | None:
    return (
        Team.objects.select_related("offer__variant__product__cooperative", "leader")
        .filter(pk=team_id)
        .first()
    )


def team_paid_count(team: Team) -> int:
    return (
        TeamMember.objects.filter(team=team, paid_at__isnull=False, released_at__isnull=True)
        .exclude(order__status__in=MONEY_BACK)
        .count()
    )


def teams_open_for_offer(offer: TeamOffer) -> QuerySet[Team]:
    return Team.objects.filter(
        offer=offer, status=TeamStatus.OPEN, deadline__gt=timezone.now()
    ).order_by("deadline")


def presales_listed() -> QuerySet[PreSale]:
    return (
        PreSale.objects.filter(status=PreSaleStatus.OPEN, closes_at__gt=timezone.now())
        .select_related("variant__product__cooperative")
        .order_by("closes_at", "id")
    )


def presale_get(presale_id: int) -> PreSale | None:
    return (
        PreSale.objects.select_related("variant__product__cooperative")
        .filter(pk=presale_id)
        .first()
    )
