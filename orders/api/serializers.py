"""Order and cart API shapes (API.md "Cart" and "Orders"): input, the cart, order lines.

The whole order (with its payments and shipments) is rendered a layer up, by
``lifecycle.api.serializers.OrderSerializer``.

Input serializers only parse types (strictly: no "2" for 2); the rules live in
``orders.validation`` and are applied again by the services, which the storefront
pages call too. Output serializers render prefetched rows without extra queries.
"""

from __future__ import annotations

from rest_framework import serializers

from orders.constants import MAX_LINE_QUANTITY
from orders.validation import (
    ADDRESS_FIELDS,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MAX_LINES_PER_ORDER,
    REGION_NAME_FIELDS,
)
from storefront.ids import MAX_ID


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON number without a fraction (DRF would
    accept ``"2"`` and ``2.0``: both are client bugs worth a 400)."""

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A string that must arrive as a JSON string (DRF would turn ``5`` into ``"5"``)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LineInputSerializer(serializers.Serializer):
    variant = StrictIntegerField(min_value=1, max_value=MAX_ID)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


_ADDRESS_HELP = {
    "region_code": "The district's GB/T 2260 code (GET regions/): province, city and "
    "district then come from it; an unknown code is refused.",
    **dict.fromkeys(REGION_NAME_FIELDS, "Required unless `region_code` is given."),
}


def _address_field(name: str, rule) -> serializers.CharField:
    # Province, city and district may come from ``region_code``: the service decides.
    required = rule.required and name not in REGION_NAME_FIELDS
    return serializers.CharField(
        max_length=rule.max_length,
        required=required,
        allow_blank=not required,
        help_text=_ADDRESS_HELP.get(name) or rule.pattern_message or None,
    )


# Built from ``orders.validation.ADDRESS_FIELDS`` so the schema and the rules are one table.
AddressSerializer = type(
    "AddressSerializer",
    (serializers.Serializer,),
    {name: _address_field(name, rule) for name, rule in ADDRESS_FIELDS.items()},
)


class PickupContactSerializer(serializers.Serializer):
    name = StrictCharField(required=False, max_length=50)
    phone = StrictCharField(required=False, max_length=32, help_text="Like 13800138000.")


class OrderCreateInputSerializer(serializers.Serializer):
    lines = LineInputSerializer(
        many=True,
        required=False,
        max_length=MAX_LINES_PER_ORDER,
        help_text="The same variant twice is merged into one line (quantities added).",
    )
    shipping_address = AddressSerializer(
        required=False, help_text="Where to ship; give this or `pickup_station`, not both."
    )
    pickup_station = StrictCharField(
        required=False,
        max_length=60,
        help_text="A pickup station's slug (GET stations/) to collect the order at, instead "
        "of `shipping_address`: the parcel ships to the station (shipping priced to its "
        "address) and the order gets a 6-digit `pickup_code`.",
    )
    pickup_contact = PickupContactSerializer(
        required=False,
        help_text="Who collects a pickup order: defaults to the account's name and phone; "
        "the phone is texted the pickup code when the parcel arrives.",
    )
    from_cart = serializers.BooleanField(
        required=False, default=False, help_text="Order the cart's items (and empty it)."
    )
    voucher = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A voucher code (any letter case): its discount comes off the goods.",
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

    def validate(self, attrs):
        has_address = "shipping_address" in attrs
        has_station = "pickup_station" in attrs
        if has_address == has_station:
            both = "not both" if has_address else "one of them"
            message = f"Give shipping_address or pickup_station: {both}."
            raise serializers.ValidationError(
                {"shipping_address": [message], "pickup_station": [message]}
            )
        if "pickup_contact" in attrs and not has_station:
            raise serializers.ValidationError({"pickup_contact": ["Only with pickup_station."]})
        return attrs


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
            # What checkout charges now (a running campaign's price: ``cart_get``).
            "unit_price": f"{getattr(item, 'unit_price', variant.price):.2f}",
            "line_total": f"{getattr(item, 'unit_price', variant.price) * item.quantity:.2f}",
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
    discount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="This line's share of the order's discounts (0.00 without any).",
    )
    price_per_kg = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="Sold by weight: the price per kg (null for a unit line).",
    )
    final_weight_grams = serializers.IntegerField(
        allow_null=True, help_text="The weight found at packing (null until weighed)."
    )
    final_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="What the line finally costs before its discount, once weighed (null "
        "until then); the difference to `line_total` is refunded.",
    )

    def to_representation(self, line):
        return {
            "variant": line.variant_id,
            "sku": line.sku,
            "title": line.title,
            "cooperative": {"slug": line.cooperative.slug, "name": line.cooperative.name},
            "quantity": line.quantity,
            "unit_price": f"{line.unit_price:.2f}",
            "line_total": f"{line.line_total:.2f}",
            "discount": f"{line.discount:.2f}",
            "price_per_kg": f"{line.price_per_kg:.2f}" if line.price_per_kg is not None else None,
            "final_weight_grams": line.final_weight_grams,
            "final_amount": f"{line.final_amount:.2f}" if line.final_amount is not None else None,
        }


IDEMPOTENCY_KEY_HELP = (
    f"Up to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters. The same key with the same "
    "body returns the first order (200) and creates nothing; with another body, 409 "
    "`idempotency_conflict`. Keys are per user."
)
