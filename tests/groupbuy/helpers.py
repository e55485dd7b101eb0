"""Builders shared by the group-buying and pre-sale tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from groupbuy.models import PreSale, TeamOffer
from lifecycle import services as flows
from tests.factories import make_notification, make_payment, make_product


def make_offer(*, stock: int = 50, size: int = 2, cap: int = 100, **fields) -> TeamOffer:
    variant = make_product(stock=stock).variants.get()
    return TeamOffer.objects.create(
        variant=variant,
        team_price=fields.pop("team_price", Decimal("30.00")),
        team_size=size,
        stock_cap=cap,
        **fields,
    )


def make_presale(*, quota: int = 100, stock: int = 0, **fields) -> PreSale:
    variant = make_product(stock=stock).variants.get()
    now = timezone.now()
    return PreSale.objects.create(
        variant=variant,
        title=fields.pop("title", "New-harvest flour"),
        price=fields.pop("price", Decimal("60.00")),
        quota=quota,
        opens_at=fields.pop("opens_at", now - timedelta(hours=1)),
        closes_at=fields.pop("closes_at", now + timedelta(days=10)),
        ships_on=(now + timedelta(days=30)).date(),
        **fields,
    )


def pay(order, *, provider: str = "sandbox"):
    """Apply a successful payment notification for ``order``; returns the payment."""
    payment = make_payment(order=order, provider=provider)
    flows.payment_notification_apply(inbox_id=make_notification(payment).pk)
    return payment
