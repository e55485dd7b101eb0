"""Vouchers: what one takes off an order, claiming a use, giving it back.

- ``voucher_find`` / ``voucher_check_dates``: the code and its validity window;
- ``voucher_discount``: the amount off for some goods (pure): the eligible goods are the
  lines in the voucher's scope (and, for a cooperative-funded voucher, that cooperative's
  own lines); a percent is rounded half-up ONCE per order, a fixed amount is capped at the
  eligible goods; the order's placement spreads it over the lines by largest remainder;
- ``voucher_claim``: inside the placement transaction, ONE conditional UPDATE takes a use
  (``used = used + 1 WHERE used < total_limit``), then the per-buyer limit is counted
  under the row lock that UPDATE holds;
- ``voucher_release``: once per cancelled or expired unpaid order, gives the use back.

Partial refunds: a refunded line's share of the discount is already on the line
(``OrderLine.discount``), so a refund of the whole line refunds what it cost after its
share; a voucher use is not given back after payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from orders.services import Discount
from orders.services.plan import PLATFORM
from storefront.errors import InvalidInput
from storefront.money import CENT

from ..constants import VoucherKind, VoucherScope
from ..exceptions import (
    VoucherExhausted,
    VoucherExpired,
    VoucherInvalid,
    VoucherMinSpend,
    VoucherNotApplicable,
)
from ..models import Voucher, VoucherUse

HUNDRED = Decimal(100)
MAX_CODE = 40


@dataclass(frozen=True)
class Goods:
    """One line as a voucher sees it (its price is the one the order will charge)."""

    variant_id: int
    product_id: int
    category_id: int
    cooperative_id: int
    county_id: int
    line_total: Decimal

    @classmethod
    def of_variant(cls, variant, *, unit_price: Decimal, quantity: int) -> Goods:
        """From a variant loaded with ``product__cooperative`` (no query)."""
        product = variant.product
        return cls(
            variant_id=variant.pk,
            product_id=product.pk,
            category_id=product.category_id,
            cooperative_id=product.cooperative_id,
            county_id=product.cooperative.county_id,
            line_total=(unit_price * quantity).quantize(CENT),
        )


def voucher_find(code: object) -> Voucher:
    """The active voucher with this code (any letter case), or ``VoucherInvalid``."""
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > MAX_CODE:
        raise VoucherInvalid(details={"voucher": ["Give a voucher code of 1 to 40 characters."]})
    voucher = (
        Voucher.objects.filter(code__iexact=code.strip(), is_active=True)
        .prefetch_related("products")
        .first()
    )
    if voucher is None:
        raise VoucherInvalid()
    return voucher


def voucher_check_dates(voucher: Voucher, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if not (voucher.valid_from <= now < voucher.valid_until):
        raise VoucherExpired(
            details={"valid_from": voucher.valid_from, "valid_until": voucher.valid_until}
        )


def voucher_check_left(voucher: Voucher) -> None:
    """A cheap pre-check on a read row (the claim's UPDATE still decides)."""
    if voucher.total_limit is not None and voucher.used >= voucher.total_limit:
        raise VoucherExhausted()


def _in_scope(voucher: Voucher, goods: Goods, product_ids: frozenset[int]) -> bool:
    if voucher.funded_by_id is not None and goods.cooperative_id != voucher.funded_by_id:
        return False
    match voucher.scope:
        case VoucherScope.SITE:
            return True
        case VoucherScope.COUNTY:
            return goods.county_id == voucher.county_id
        case VoucherScope.COOPERATIVE:
            return goods.cooperative_id == voucher.cooperative_id
        case VoucherScope.CATEGORY:
            return goods.category_id == voucher.category_id
        case VoucherScope.PRODUCTS:
            return goods.product_id in product_ids
    return False


def voucher_product_ids(voucher: Voucher) -> frozenset[int]:
    if voucher.scope != VoucherScope.PRODUCTS:
        return frozenset()
    return frozenset(p.pk for p in voucher.products.all())


def voucher_discount(
    voucher: Voucher, goods: Iterable[Goods], *, product_ids: frozenset[int] | None = None
) -> Discount:
    """The discount ``voucher`` gives on ``goods`` (pure). Raises
    ``VoucherNotApplicable`` when nothing is eligible, ``VoucherMinSpend`` when the
    eligible goods fall short of the minimum spend."""
    if product_ids is None:
        product_ids = voucher_product_ids(voucher)
    eligible = [g for g in goods if _in_scope(voucher, g, product_ids)]
    if not eligible:
        raise VoucherNotApplicable()
    base = sum((g.line_total for g in eligible), Decimal("0.00"))
    if base < voucher.min_spend:
        raise VoucherMinSpend(
            details={"min_spend": f"{voucher.min_spend:.2f}", "eligible": f"{base:.2f}"}
        )
    if voucher.kind == VoucherKind.PERCENT:
        amount = (base * voucher.value / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        amount = min(voucher.value, base)
    return Discount(
        source=f"voucher:{voucher.code.upper()}",
        amount=amount,
        variants=frozenset(g.variant_id for g in eligible),
        funded_by=PLATFORM if voucher.platform_funded else voucher.funded_by_id,
    )


def voucher_claim(*, voucher: Voucher, order, amount: Decimal) -> VoucherUse:
    """Take one use of ``voucher`` for ``order``. Precondition: inside the placement
    transaction (the order row is written). ONE conditional UPDATE takes the use (it
    never passes the limit, under any concurrency) and locks the voucher's row until the
    transaction ends, so the per-buyer count that follows sees every committed use of
    this buyer and none can slip in before this one commits."""
    room = Q(total_limit__isnull=True) | Q(used__lt=F("total_limit"))
    taken = Voucher.objects.filter(room, pk=voucher.pk).update(used=F("used") + 1)
    if not taken:
        raise VoucherExhausted()
    if voucher.per_buyer_limit is not None:
        mine = VoucherUse.objects.filter(
            voucher=voucher, buyer_id=order.user_id, released_at__isnull=True
        ).count()
        if mine >= voucher.per_buyer_limit:
            raise VoucherExhausted(
                gettext_noop("You have already used this voucher."),
                details={"per_buyer_limit": voucher.per_buyer_limit},
            )
    return VoucherUse.objects.create(
        order=order, voucher=voucher, buyer_id=order.user_id, amount=amount
    )


def voucher_release(order) -> bool:
    """Give back the voucher use of an unpaid ``order`` that was cancelled or expired,
    exactly once: the conditional UPDATE of ``released_at`` wins once, in the
    cancellation's transaction. Registered with
    ``lifecycle.services.extensions.on_unpaid_release``.

    The counter goes down (``used = used - 1``) right AFTER that transaction commits, in
    a statement of its own: the cancellation holds its variants' row locks (the stock came
    back first) and a checkout holds the voucher's row lock until it takes its stock, so
    decrementing inside the cancellation could deadlock with a checkout. Until the
    decrement the counter is one high, which can only refuse a use, never allow one too
    many; ``voucher_used_recount`` sets it from the uses if a decrement was ever lost."""
    use = (
        VoucherUse.objects.filter(order=order, released_at__isnull=True)
        .only("pk", "voucher_id")
        .first()
    )
    if use is None:
        return False
    if not VoucherUse.objects.filter(pk=use.pk, released_at__isnull=True).update(
        released_at=timezone.now()
    ):
        return False
    voucher_id = use.voucher_id
    transaction.on_commit(
        lambda: Voucher.objects.filter(pk=voucher_id, used__gt=0).update(used=F("used") - 1)
    )
    return True


def voucher_used_recount(*, voucher_id: int) -> int:
    """Set ``used`` to the uses not given back (repair, e.g. after a lost decrement).
    The voucher's row is locked first, so every checkout that took a use has committed
    its ``VoucherUse`` by the time they are counted."""
    with transaction.atomic():
        Voucher.objects.select_for_update().filter(pk=voucher_id).first()
        used = VoucherUse.objects.filter(voucher_id=voucher_id, released_at__isnull=True).count()
        Voucher.objects.filter(pk=voucher_id).update(used=used)
    return used


def voucher_terms_check(
    *,
    kind: str,
    value: Decimal | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    scope: str,
    county=None,
    cooperative=None,
    category=None,
    has_products: bool = False,
    funded_by=None,
    platform: bool = True,
) -> None:
    """The rules of a voucher's terms (admin forms call this). Raises ``InvalidInput``
    with the fields at fault: a percent of at most 100, a window that ends after it
    starts, the scope's target given, and a manager's voucher funded by their own
    cooperative (only platform staff give platform-funded vouchers)."""
    errors: dict[str, list[str]] = {}
    if kind == VoucherKind.PERCENT and value is not None and value > HUNDRED:
        errors["value"] = [gettext_noop("A percent is at most 100.")]
    if valid_from and valid_until and valid_until <= valid_from:
        errors["valid_until"] = [gettext_noop("The end must come after the start.")]
    needs = {
        VoucherScope.COUNTY: ("county", county),
        VoucherScope.COOPERATIVE: ("cooperative", cooperative),
        VoucherScope.CATEGORY: ("category", category),
    }
    if scope in needs and needs[scope][1] is None:
        errors[needs[scope][0]] = [gettext_noop("Choose what the voucher applies to.")]
    if scope == VoucherScope.PRODUCTS and not has_products:
        errors["products"] = [gettext_noop("Choose what the voucher applies to.")]
    if funded_by is None and not platform:
        errors["funded_by"] = [gettext_noop("Choose your cooperative: it pays for the discount.")]
    if errors:
        raise InvalidInput(details=errors)
