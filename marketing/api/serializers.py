from __future__ import annotations

from rest_framework import serializers

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


class CampaignProductSerializer(serializers.Serializer):
    slug = serializers.CharField(source="variant.product.slug")
    title = serializers.CharField(source="variant.product.title")
    cooperative = serializers.CharField(source="variant.product.cooperative.slug")
    variant = serializers.IntegerField(source="variant.pk")
    variant_name = serializers.CharField(source="variant.name")
    price = serializers.DecimalField(
        source="variant.price", max_digits=10, decimal_places=2, help_text="List price."
    )
    campaign_price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="The price while the campaign runs (null: the list price).",
    )


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

    def get_products(self, campaign) -> list[dict]:
        items = self.context.get("items", {}).get(campaign.pk, [])
        return CampaignProductSerializer(items, many=True).data
