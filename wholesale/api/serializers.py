from __future__ import annotations

from rest_framework import serializers

from ..constants import (
    ContractStatus,
    DeliveryStatus,
    InvoiceKind,
    OrgRole,
    OrgStatus,
    QuoteStatus,
)


class PriceSerializer(serializers.Serializer):
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    source = serializers.ChoiceField(choices=["organisation", "group", "public"])
    price_list = serializers.IntegerField(source="price_list_id", allow_null=True)
    price_list_name = serializers.CharField()
    tier = serializers.IntegerField(source="tier_id", allow_null=True)
    min_quantity = serializers.IntegerField(allow_null=True)
    tier_min_quantity = serializers.IntegerField(
        source="min_quantity", allow_null=True, help_text="API.md's name."
    )


class TierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField()
    price = PriceSerializer()


class PriceSheetRowSerializer(serializers.Serializer):
    variant = serializers.IntegerField(source="variant.pk")
    sku = serializers.CharField(source="variant.sku")
    title = serializers.CharField(source="variant.product.title")
    name = serializers.CharField(source="variant.name")
    public_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    min_order = serializers.DecimalField(max_digits=14, decimal_places=2)
    tiers = TierSerializer(many=True)


class OrganisationApplySerializer(serializers.Serializer):
    cooperative = serializers.SlugField(help_text="The cooperative's slug.")
    name = serializers.CharField(max_length=150)
    credit_code = serializers.CharField(max_length=18, help_text="18 characters, check digit.")
    invoice_title = serializers.CharField(max_length=150)
    tax_number = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=255)
    bank_name = serializers.CharField(max_length=100, required=False, default="")
    bank_account = serializers.CharField(max_length=40, required=False, default="")


class OrganisationSerializer(serializers.Serializer):
    name = serializers.CharField()
    credit_code = serializers.CharField()
    status = serializers.ChoiceField(choices=OrgStatus.choices)
    role = serializers.ChoiceField(choices=OrgRole.choices, required=False)


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=InvoiceKind.choices)
    cooperative = serializers.CharField(source="cooperative.name")
    issued_at = serializers.DateTimeField()
    due_on = serializers.DateField(allow_null=True)
    net_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2)
    credits = serializers.CharField(source="credits.number", allow_null=True, default=None)


class StatementSerializer(serializers.Serializer):
    invoiced = serializers.DecimalField(max_digits=14, decimal_places=2)
    credited = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    receivable = serializers.DecimalField(max_digits=14, decimal_places=2)
    overdue = serializers.DecimalField(max_digits=14, decimal_places=2)
    invoices = InvoiceSerializer(many=True)
    credit_notes = InvoiceSerializer(many=True)


class QuoteRequestInputSerializer(serializers.Serializer):
    variant = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1)
    schedule = serializers.CharField(max_length=255, required=False, default="")


class QuoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    variant = serializers.IntegerField(source="variant_id")
    quantity = serializers.IntegerField()
    schedule = serializers.CharField()
    status = serializers.ChoiceField(choices=QuoteStatus.choices)
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    delivery_dates = serializers.ListField(child=serializers.CharField())
    spec = serializers.DictField(child=serializers.ListField(allow_null=True))


class PurchaseOrderSerializer(serializers.Serializer):
    po_number = serializers.CharField()
    order = serializers.CharField(source="order.number")
    status = serializers.CharField(source="order.status")
    total = serializers.DecimalField(source="order.total", max_digits=12, decimal_places=2)
    on_credit = serializers.BooleanField()
    pricing = serializers.DictField()
    created = serializers.DateTimeField()


class PurchaseOrderInputSerializer(serializers.Serializer):
    po_number = serializers.CharField(max_length=40)
    lines = serializers.ListField(child=serializers.DictField(), min_length=1)
    on_credit = serializers.BooleanField(default=False)
    shipping_address = serializers.DictField(
        required=False, help_text="Defaults to the organisation's delivery address."
    )


class QuoteAcceptInputSerializer(serializers.Serializer):
    quantities = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        help_text="One per quoted delivery date (in date order), adding up to the quote's "
        "quantity; by default the quantity is split evenly.",
    )


class ContractDeliverySerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    due_on = serializers.DateField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    reason = serializers.CharField(help_text="Why a waiting delivery could not be placed.")
    attempts = serializers.IntegerField()
    order = serializers.CharField(source="order.number", allow_null=True, default=None)
    order_status = serializers.CharField(source="order.status", allow_null=True, default=None)
    batch = serializers.CharField(source="batch.code", allow_null=True, default=None)
    placed_at = serializers.DateTimeField(allow_null=True)


class ContractSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    quote = serializers.IntegerField(source="quote_id")
    cooperative = serializers.CharField(source="cooperative.name")
    variant = serializers.IntegerField(source="variant_id")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    spec = serializers.DictField(child=serializers.ListField(allow_null=True))
    status = serializers.ChoiceField(choices=ContractStatus.choices)
    created = serializers.DateTimeField()
    deliveries = ContractDeliverySerializer(many=True)
