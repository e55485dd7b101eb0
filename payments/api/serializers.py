"""Serializers of the payments API."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Payment
from ..providers import PROVIDERS


class PaymentSummarySerializer(serializers.ModelSerializer):
    """A payment as listed in an order's `payments`."""

    class Meta:
        model = Payment
        fields = ["id", "provider", "out_trade_no", "amount", "status", "created"]
        read_only_fields = fields


class PaymentStartInputSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=list(PROVIDERS))


class PaymentStartOutputSerializer(serializers.ModelSerializer):
    client_payload = serializers.JSONField(
        help_text="sandbox: {pay_url}; alipay: {order_string, page_pay_url}; "
        "wechat: {code_url} or {jsapi: {...}}"
    )

    class Meta:
        model = Payment
        fields = ["id", "provider", "out_trade_no", "amount", "status", "client_payload"]
        read_only_fields = fields
