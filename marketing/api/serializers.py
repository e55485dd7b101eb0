from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import ProductSummarySerializer
from catalog.offers import offer_price

from ..constants import VoucherKind


class VoucherSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=VoucherKind.choices)
    value = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="Yuan off, or the percent off."
    )
    min_spend = serializers.DecimalField(max_digits=10, decimal_places=2)
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()


class CampaignProductSerializer(ProductSummarySerializer):
    """A featured variant: its product's summary (``GET products/``'s item, API.md) with
    the variant and its ``campaign_price``. The view passes every summary at once."""

    variant = serializers.IntegerField()
    variant_name = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="List price.")
    campaign_price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="The price while the campaign runs (null: the list price).",
    )

    def to_representation(self, item):
        variant = item.variant
        summary = self.context["summaries"].get(variant.product_id)
        if summary is None:  # no longer public
            return None
        offer = offer_price(variant.price, item.campaign_price)
        return {
            **summary,
            "variant": variant.pk,
            "variant_name": variant.name,
            "price": f"{variant.price:.2f}",
            "campaign_price": None if offer is None else f"{offer:.2f}",
        }


class CampaignSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    starts = serializers.DateTimeField()
    ends = serializers.DateTimeField()
    banner = serializers.SerializerMethodField()
    products = serializers.SerializerMethodField()

    def get_banner(self, campaign) -> str | None:
        if not campaign.banner:
            return None
        request = self.context.get("request")
        url = campaign.banner.url
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(CampaignProductSerializer(many=True))
    def get_products(self, campaign) -> list[dict]:
        items = self.context.get("items", {}).get(campaign.pk, [])
        rows = CampaignProductSerializer(items, many=True, context=self.context).data
        return [row for row in rows if row is not None]
