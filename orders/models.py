"""Orders, their lines, per-cooperative shipping, status history and the cart.

Writes go through ``orders.services``: a view never sets ``order.status``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .constants import CURRENCY, MAX_LINE_QUANTITY, OrderStatus


class Order(models.Model):
    number = models.CharField(_("number"), max_length=24, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("buyer"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.PENDING_PAYMENT,
    )
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY, editable=False)
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    shipping_fee = models.DecimalField(_("shipping fee"), max_digits=10, decimal_places=2)
    # The sum of the lines' discounts; total = subtotal - discount_total + shipping_fee.
    discount_total = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    # Where the order was placed ("online", or a feature's channel such as a counter)
    # and by whom when not by the buyer (staff at a station): see PlacementPlan.
    channel = models.CharField(_("channel"), max_length=20, default="online", db_index=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    # name, phone, province, city, district, address, postcode — validated by the service
    shipping_address = models.JSONField(_("shipping address"))
    # NULL, not "", when absent: the unique constraint must not treat "no key" as a key.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    expires_at = models.DateTimeField(_("pay before"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Set by a flow that found something only a person can sort out (e.g. the money was
    # refunded at the provider after the goods had shipped); empty: nothing to do.
    attention = models.CharField(_("needs attention"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="order_idempotency_key_per_user",
            ),
            # (No "total = subtotal + shipping" check: SQLite compares decimals as
            # floats, and the service computes all three from the same Decimals.)
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(shipping_fee__gte=0)
                & Q(total__gte=0)
                & Q(discount_total__gte=0),
                name="order_amounts_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created"], name="order_user_created_idx"),
            models.Index(fields=["status", "expires_at"], name="order_status_expires_idx"),
            models.Index(fields=["status", "delivered_at"], name="order_status_delivered_idx"),
            models.Index(
                fields=["attention"], condition=~Q(attention=""), name="order_attention_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def address_lines(self) -> list[str]:
        """The shipping address as a parcel label shows it: recipient and phone; province,
        city and district; street and postcode. Empty parts are left out. Every slip,
        e-mail, admin column and page shows the address through this."""
        a = self.shipping_address or {}

        def join(*keys: str) -> str:
            return " ".join(str(a[k]).strip() for k in keys if str(a.get(k) or "").strip())

        lines = [
            join("name", "phone"),
            join("province", "city", "district"),
            join("address", "postcode"),
        ]
        return [line for line in lines if line]


class OrderLine(models.Model):
    """One variant in an order: title, SKU, price and cooperative copied at purchase time."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.SET_NULL, null=True, related_name="order_lines"
    )
    cooperative = models.ForeignKey(
        "catalog.Cooperative", on_delete=models.PROTECT, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=40)
    title = models.CharField(_("title"), max_length=240)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)
    # This line's share of the order's discounts, and the part of it the platform funds
    # (the rest its cooperative funds). What the buyer pays for it: line_total - discount.
    discount = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    discount_platform = models.DecimalField(
        _("discount funded by the platform"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
    )
    # Its units came from a feature's quota (a pre-sale), not from stock: no stock
    # comes back for it on cancellation.
    from_quota = models.BooleanField(_("from a quota"), default=False)
    weight_grams = models.PositiveIntegerField(_("unit weight (g)"))
    # Sold by weight (copied from the variant): the buyer paid the estimate (+ buffer);
    # the weighing at packing records the actual grams of the whole line, who weighed it
    # and when, and the final amount (what the buyer is finally charged for the line,
    # before its discount); the difference is refunded once. Null until weighed.
    price_per_kg = models.DecimalField(
        _("price per kg"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    estimated_weight_grams = models.PositiveIntegerField(
        _("estimated weight per unit (g)"), null=True, blank=True
    )
    final_weight_grams = models.PositiveIntegerField(_("weighed (g)"), null=True, blank=True)
    final_amount = models.DecimalField(
        _("final amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    weighed_at = models.DateTimeField(_("weighed at"), null=True, blank=True)
    weighed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("weighed by"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=MAX_LINE_QUANTITY),
                name="orderline_quantity_range",
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount_platform__gte=0),
                name="orderline_discount_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(final_amount__isnull=True) | Q(final_amount__gte=0),
                name="orderline_final_amount_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "order"], name="orderline_coop_order_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    @property
    def by_weight(self) -> bool:
        return self.price_per_kg is not None

    @property
    def charged(self) -> Decimal:
        """What the line finally costs before its discount: the final amount once
        weighed, else its total."""
        return self.final_amount if self.final_amount is not None else self.line_total


class OrderShipping(models.Model):
    """The shipping fee one cooperative charges for its part of an order."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="shipping_parts", verbose_name=_("order")
    )
    cooperative = models.ForeignKey(
        "catalog.Cooperative",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cooperative"),
    )
    goods_total = models.DecimalField(_("goods total"), max_digits=12, decimal_places=2)
    weight_grams = models.PositiveIntegerField(_("weight (g)"))
    fee = models.DecimalField(_("shipping fee"), max_digits=10, decimal_places=2)
    # Parts holding lines sold by weight: repriced once every such line is weighed (never
    # above ``fee``; the difference is refunded). Null until then, and for other parts.
    final_fee = models.DecimalField(
        _("final shipping fee"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    final_weight_grams = models.PositiveIntegerField(_("final weight (g)"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipping part")
        verbose_name_plural = _("shipping parts")
        constraints = [
            models.UniqueConstraint(fields=["order", "cooperative"], name="ordershipping_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order} / {self.cooperative}: {self.fee}"


class OrderEvent(models.Model):
    """Append-only history of status changes (who, when, why)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order}: {self.from_status or '∅'} → {self.to_status}"


class CartItem(models.Model):
    """A line of a user's cart. The cart never reserves stock; checkout does."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_items"
    )
    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("cart item")
        verbose_name_plural = _("cart items")
        constraints = [
            models.UniqueConstraint(fields=["user", "variant"], name="cartitem_unique_variant"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=MAX_LINE_QUANTITY),
                name="cartitem_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.quantity} × {self.variant_id}"


class SavedAddress(models.Model):
    """An address in a buyer's address book: the cleaned form ``orders.validation.
    clean_address`` gives (phone in E.164, region names from the code). At most one is
    the default, which the checkout page starts from."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_addresses"
    )
    address = models.JSONField(_("address"))
    is_default = models.BooleanField(_("default"), default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "-updated", "-id"]
        verbose_name = _("saved address")
        verbose_name_plural = _("saved addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="savedaddress_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.address.get('name', '')}"

    def lines(self) -> list[str]:
        a = self.address
        return [
            f"{a.get('name', '')} {a.get('phone', '')}".strip(),
            " ".join(filter(None, (a.get("province"), a.get("city"), a.get("district")))),
            " ".join(filter(None, (a.get("address"), a.get("postcode")))),
        ]
