"""The order as the buyer's API renders it: its lines, payments and shipments.

Composed here, above the three apps; ``lifecycle.selectors.order_detail_queryset``
prefetches everything it renders."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fulfilment.api.serializers import ShipmentSerializer
from marketing.selectors import order_campaign_code, order_voucher_code
from orders.api.serializers import AddressSerializer, OrderLineSerializer
from orders.constants import CURRENCY, OrderStatus
from payments.api.serializers import PaymentSummarySerializer

from ..selectors import order_pickup


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
    discount = serializers.DecimalField(
        source="discount_total",
        max_digits=12,
        decimal_places=2,
        help_text="The order's discount (API.md name; the same as discount_total).",
    )
    discount_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Sum of the lines' discounts; total = subtotal - discount_total + shipping_fee.",
    )
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.ChoiceField(choices=[CURRENCY])
    shipping_address = AddressSerializer()
    voucher = serializers.SerializerMethodField(help_text="The voucher code used, or null.")
    campaign = serializers.SerializerMethodField(
        help_text="The campaign that brought the order (last touch), or null."
    )
    pickup_station = serializers.SerializerMethodField(
        help_text="The slug of the station the order is collected at (GET stations/), "
        "or null when it is shipped to `shipping_address`."
    )
    pickup_code = serializers.SerializerMethodField(
        help_text="The 6-digit code to collect the order with: shown to the buyer and the "
        "station's agents only (null for anyone else, and for orders not collected at a "
        "station)."
    )
    shipments = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()

    def _pickup(self, order) -> dict:
        cache = self.context.setdefault("_pickup", {})
        if order.pk not in cache:
            request = self.context.get("request")
            cache[order.pk] = order_pickup(order, viewer=getattr(request, "user", None))
        return cache[order.pk]

    def get_pickup_station(self, order) -> str | None:
        return self._pickup(order)["pickup_station"]

    def get_pickup_code(self, order) -> str | None:
        return self._pickup(order)["pickup_code"]

    def get_voucher(self, order) -> str | None:
        return order_voucher_code(order)

    def get_campaign(self, order) -> str | None:
        return order_campaign_code(order)

    @extend_schema_field(ShipmentSerializer(many=True))
    def get_shipments(self, order) -> list[dict]:
        return ShipmentSerializer(order.shipments.all(), many=True, context=self.context).data

    @extend_schema_field(PaymentSummarySerializer(many=True))
    def get_payments(self, order) -> list[dict]:
        return PaymentSummarySerializer(order.payments.all(), many=True, context=self.context).data
