"""The admin home's "at a glance" (issue 18): what a manager checks first, each figure
with a link to its list. Read through each app's selectors (sales, parcels, listings,
stock, balances): nothing is recomputed here.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.constants import ProductStatus
from catalog.models import Cooperative
from fulfilment.constants import AWAITING_HANDOVER
from fulfilment.models import Shipment
from orders.selectors import cooperative_sales_since
from payments.models import Payout
from payments.selectors import cooperatives_with_balances

ZERO = Decimal("0.00")


def glance_cooperative_ids(user) -> list[int]:
    """The cooperatives the figures cover: a manager's own, or all for platform staff."""
    if getattr(user, "is_platform", False):
        return list(Cooperative.objects.values_list("pk", flat=True))
    return sorted(catalog_selectors.user_managed_cooperative_ids(user))


def manager_glance(user) -> dict | None:
    """The figures and their links, or None for someone who manages nothing."""
    ids = glance_cooperative_ids(user)
    if not ids:
        return None
    now = timezone.localtime()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    rows = list(cooperatives_with_balances(Cooperative.objects.filter(pk__in=ids)))
    pending = sum((r.balance_pending for r in rows), ZERO)
    available = sum((r.balance_available for r in rows), ZERO)
    last_payout = Payout.objects.filter(cooperative_id__in=ids).order_by("-created").first()
    low = catalog_selectors.low_stock_variants(cooperative_ids=ids)
    product_list = reverse("admin:catalog_product_changelist")
    return {
        "today": cooperative_sales_since(cooperative_ids=ids, since=today),
        "week": cooperative_sales_since(cooperative_ids=ids, since=week),
        "to_pack": Shipment.objects.filter(
            cooperative_id__in=ids, status__in=AWAITING_HANDOVER
        ).count(),
        "to_review": catalog_selectors.products_to_review(cooperative_ids=ids).count(),
        "low_stock": low,
        "owed": pending + available,
        "pending": pending,
        "available": available,
        "last_payout": last_payout,
        "links": {
            "orders": reverse("admin:orders_order_changelist"),
            "to_pack": reverse("admin:fulfilment_shipment_changelist"),
            "to_review": f"{product_list}?status__exact={ProductStatus.PENDING_REVIEW}",
            "low_stock": reverse("admin:catalog_variant_changelist") + "?stock=low",
            "balance": reverse("admin:payments_cooperativebalance_changelist"),
            "payouts": reverse("admin:payments_payout_changelist"),
            "reports": reverse("reports_admin:dashboard"),
        },
    }
