"""Order and cart API shapes (API.md "Cart" and "Orders").

Input serializers only parse types (strictly: no "2" for 2); the rules live in
``orders.validation`` and are applied again by the services, which the storefront
pages call too. Output serializers render prefetched rows without extra queries.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.constants import CURRENCY, MAX_LINE_QUANTITY, OrderStatus
from orders.validation import ADDRESS_FIELDS, IDEMPOTENCY_KEY_MAX_LENGTH, MAX_LINES_PER_ORDER
from storefront.ids import MAX_ID


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON number without a fraction (DRF would
    accept ``"2"`` and ``2.0``: both are client bugs worth a 400)."""

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class LineInputSerializer(serializers.Serializer):
    variant = StrictIntegerField(min_value=1, max_value=MAX_ID)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


def _address_field(name: str, rule) -> serializers.CharField:
    return serializers.CharField(
        max_length=rule.max_length,
        required=rule.required,
        allow_blank=not rule.required,
        help_text=rule.pattern_message or None,
    )


# Built from ``orders.validation.ADDRESS_FIELDS`` so the schema and the rules are one table.
AddressSerializer = type(
    "AddressSerializer",
    (serializers.Serializer,),
    {name: _address_field(name, rule) for name, rule in ADDRESS_FIELDS.items()},
)


class OrderCreateInputSerializer(serializers.Serializer):
    lines = LineInputSerializer(
        many=True,
        required=False,
        max_length=MAX_LINES_PER_ORDER,
        help_text="The same variant twice is merged into one line (quantities added).",
    )
    shipping_address = AddressSerializer()
    from_cart = serializers.BooleanField(
        required=False, default=False, help_text="Order the cart's items (and empty it)."
    )

    def to_internal_value(self, data):
        # Strict booleans too: "yes" or 1 for from_cart is refused, not guessed.
        if (
            isinstance(data, dict)
            and "from_cart" in data
            and not isinstance(data["from_cart"], bool)
        ):
            raise serializers.ValidationError({"from_cart": ["Must be true or false."]})
        return super().to_internal_value(data)


class CartItemInputSerializer(serializers.Serializer):
    variant = StrictIntegerField(min_value=1, max_value=MAX_ID)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class CartItemUpdateSerializer(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class CartItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    variant = serializers.IntegerField()
    product = serializers.CharField(help_text="Product slug.")
    name = serializers.CharField(help_text="Product title and variant name.")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)

    def to_representation(self, item):
        variant = item.variant
        return {
            "id": item.pk,
            "variant": variant.pk,
            "product": variant.product.slug,
            "name": f"{variant.product.title} — {variant.name}",
            "quantity": item.quantity,
            "unit_price": f"{variant.price:.2f}",
            "line_total": f"{variant.price * item.quantity:.2f}",
        }


class CartSerializer(serializers.Serializer):
    items = CartItemSerializer(many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)


class OrderLineCooperative(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class OrderLineSerializer(serializers.Serializer):
    variant = serializers.IntegerField(allow_null=True, help_text="Null if since deleted.")
    sku = serializers.CharField()
    title = serializers.CharField()
    cooperative = OrderLineCooperative()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)

    def to_representation(self, line):
        return {
            "variant": line.variant_id,
            "sku": line.sku,
            "title": line.title,
            "cooperative": {"slug": line.cooperative.slug, "name": line.cooperative.name},
            "quantity": line.quantity,
            "unit_price": f"{line.unit_price:.2f}",
            "line_total": f"{line.line_total:.2f}",
        }


# --- where the payments and fulfilment apps plug in ---------------------------------
# Each app replaces its placeholder below with its own serializer (e.g.
# ``from payments.api.serializers import PaymentSummarySerializer``) and, if it needs
# nested rows, extends ``orders.selectors.order_detail_prefetches``. The order
# serializer renders ``order.payments.all()`` / ``order.shipments.all()`` (prefetched)
# when the relation exists, else ``[]``.
from fulfilment.api.serializers import ShipmentSerializer  # noqa: E402
from payments.api.serializers import PaymentSummarySerializer  # noqa: E402


def _list_schema(serializer_class):
    if serializer_class is None:
        return serializers.ListField(child=serializers.DictField())
    return serializer_class(many=True)


def _related_rows(order, name: str, serializer_class, context) -> list:
    manager = getattr(order, name, None)
    if manager is None or serializer_class is None:
        return []
    return serializer_class(manager.all(), many=True, context=context).data


class OrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    created = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="Unpaid orders are cancelled then.")
    lines = OrderLineSerializer(many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_fee = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="Sum of each cooperative's shipping fee."
    )
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.ChoiceField(choices=[CURRENCY])
    shipping_address = AddressSerializer()
    shipments = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()

    @extend_schema_field(_list_schema(ShipmentSerializer))
    def get_shipments(self, order) -> list[dict]:
        return _related_rows(order, "shipments", ShipmentSerializer, self.context)

    @extend_schema_field(_list_schema(PaymentSummarySerializer))
    def get_payments(self, order) -> list[dict]:
        return _related_rows(order, "payments", PaymentSummarySerializer, self.context)


IDEMPOTENCY_KEY_HELP = (
    f"Up to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters. The same key with the same "
    "body returns the first order (200) and creates nothing; with another body, 409 "
    "`idempotency_conflict`. Keys are per user."
)
