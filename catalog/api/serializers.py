"""Catalogue API output shapes (API.md "Catalogue").

The declared fields are the schema; the list serializers render by hand
(``to_representation``) because the product list is the hottest endpoint and
DRF's field machinery costs more than the query. ``tests/catalog/test_api_catalog.py``
checks that each rendered dict has exactly the declared fields.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.files.storage import default_storage
from rest_framework import serializers

from catalog import selectors


def media_url(request, name: str | None) -> str | None:
    """Absolute URL of a stored file, or None (the app loads images from any host)."""
    if not name:
        return None
    url = default_storage.url(name)
    return request.build_absolute_uri(url) if request is not None else url


class SlugNameSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class CountySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    province = serializers.CharField()

    def to_representation(self, county):
        return {"slug": county.slug, "name": county.name, "province": county.province}


class CooperativeSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    county = SlugNameSerializer()
    story = serializers.CharField()
    logo = serializers.URLField(allow_null=True)
    product_count = serializers.IntegerField(help_text="Products on sale now.")

    def to_representation(self, coop):
        return {
            "slug": coop.slug,
            "name": coop.name,
            "county": {"slug": coop.county.slug, "name": coop.county.name},
            "story": coop.story,
            "logo": media_url(self.context.get("request"), coop.logo.name),
            "product_count": coop.product_count,
        }


class CategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(allow_null=True, help_text="The parent's slug.")

    def to_representation(self, category):
        return {
            "slug": category.slug,
            "name": category.name,
            "parent": category.parent.slug if category.parent_id else None,
        }


class ProductSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    cooperative = SlugNameSerializer()
    county = SlugNameSerializer()
    category = serializers.CharField(help_text="Category slug.")
    grade = serializers.CharField()
    price_from = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text="Cheapest active variant."
    )
    in_stock = serializers.BooleanField()
    thumbnail = serializers.URLField(allow_null=True)
    certifications = serializers.ListField(
        child=serializers.CharField(), help_text="Certification kinds."
    )

    def summary(self, product, *, thumbnail: str | None, kinds: list[str]) -> dict:
        coop = product.cooperative
        return {
            "slug": product.slug,
            "title": product.title,
            "cooperative": {"slug": coop.slug, "name": coop.name},
            "county": {"slug": coop.county.slug, "name": coop.county.name},
            "category": product.category.slug,
            "grade": product.grade,
            "price_from": None if product.price_from is None else f"{product.price_from:.2f}",
            "in_stock": bool(product.in_stock),
            "thumbnail": media_url(self.context.get("request"), thumbnail),
            "certifications": kinds,
        }

    def to_representation(self, product):
        # Rows from ``catalog.selectors.product_summary_list``; kinds are looked up for
        # the whole page at once by the view and passed in the context.
        kinds = self.context["certification_kinds"].get(product.pk, [])
        return self.summary(
            product,
            thumbnail=product.first_thumbnail or product.first_image,
            kinds=kinds,
        )


def product_summaries_by_id(product_ids, *, request=None) -> dict[int, dict]:
    """``{product_id: summary}`` as an item of ``GET products/`` renders it, for other
    answers that name products (team offers, pre-sales): two queries whatever the count.
    Products no longer public are left out."""
    ids = set(product_ids)
    if not ids:
        return {}
    rows = list(selectors.product_summary_list().filter(pk__in=ids))
    context = {"request": request, "certification_kinds": selectors.certification_kinds_for(rows)}
    serializer = ProductSummarySerializer(context=context)
    return {row.pk: serializer.to_representation(row) for row in rows}


class ImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    thumbnail = serializers.URLField(allow_null=True)
    alt = serializers.CharField()


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    weight_grams = serializers.IntegerField()
    available = serializers.IntegerField(help_text="Units that can be ordered now (0 = sold out).")
    pricing = serializers.ChoiceField(
        choices=["unit", "weight"],
        help_text="`weight`: priced per kg; `price` is the estimate (plus any buffer) paid "
        "up front, and the difference to the weighed amount is refunded at packing.",
    )
    price_per_kg = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    estimated_weight_grams = serializers.IntegerField(allow_null=True)
    buffer_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The buffer included in `price` for a heavier piece (null for `unit`).",
    )


class CertificationSerializer(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()
    issuer = serializers.CharField()
    valid_until = serializers.DateField(allow_null=True)


class BatchSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    harvested_on = serializers.DateField()
    milled_on = serializers.DateField(allow_null=True)


def certification_rows(product) -> list[dict]:
    return [
        {
            "kind": c.kind,
            "number": c.number,
            "issuer": c.issuer,
            "valid_until": c.valid_until.isoformat() if c.valid_until else None,
        }
        for c in selectors.product_certifications(product)
    ]


class ProductDetailSerializer(ProductSummarySerializer):
    description = serializers.CharField()
    images = ImageSerializer(many=True)
    variants = VariantSerializer(many=True)
    certifications = CertificationSerializer(many=True)
    batches = BatchSummarySerializer(many=True)

    def to_representation(self, product):
        # Rows from ``catalog.selectors.product_detail_queryset`` (everything prefetched).
        request = self.context.get("request")
        images = list(product.images.all())
        first = images[0] if images else None
        body = self.summary(
            product,
            thumbnail=(first.thumbnail.name or first.image.name) if first else None,
            kinds=[],
        )
        body.update(
            description=product.description,
            images=[
                {
                    "url": media_url(request, image.image.name),
                    "thumbnail": media_url(request, image.thumbnail.name),
                    "alt": image.alt,
                }
                for image in images
            ],
            variants=[
                {
                    "id": v.pk,
                    "sku": v.sku,
                    "name": v.name,
                    "price": f"{v.price:.2f}",
                    "weight_grams": v.weight_grams,
                    "available": max(v.stock, 0),
                    "pricing": v.pricing,
                    "price_per_kg": (
                        f"{v.price_per_kg:.2f}" if v.price_per_kg is not None else None
                    ),
                    "estimated_weight_grams": v.estimated_weight_grams,
                    "buffer_percent": (
                        f"{Decimal(v.weight_buffer_bp) / 100:.2f}"
                        if v.pricing == "weight"
                        else None
                    ),
                }
                for v in product.variants.all()
            ],
            certifications=certification_rows(product),
            batches=[
                {
                    "code": b.code,
                    "harvested_on": b.harvested_on.isoformat(),
                    "milled_on": b.milled_on.isoformat() if b.milled_on else None,
                }
                for b in product.batches.all()
            ],
        )
        return body


class TraceProductSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    grade = serializers.CharField()
    origin = serializers.CharField()
    category = serializers.CharField(help_text="Category slug.")


class TraceCountySerializer(CountySerializer):
    poverty_relief = serializers.BooleanField()


class QualitySerializer(serializers.Serializer):
    protein_pct = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    moisture_pct = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    ash_pct = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    gluten_pct = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class TraceSerializer(serializers.Serializer):
    code = serializers.CharField()
    harvested_on = serializers.DateField()
    milled_on = serializers.DateField(allow_null=True)
    quantity_kg = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    quality = QualitySerializer()
    product = TraceProductSerializer()
    cooperative = SlugNameSerializer()
    county = TraceCountySerializer()
    certifications = CertificationSerializer(many=True)

    def to_representation(self, batch):
        product = batch.product
        coop = product.cooperative
        county = coop.county

        def number(value, places):
            return None if value is None else f"{value:.{places}f}"

        return {
            "code": batch.code,
            "harvested_on": batch.harvested_on.isoformat(),
            "milled_on": batch.milled_on.isoformat() if batch.milled_on else None,
            "quantity_kg": number(batch.quantity_kg, 1),
            "quality": {
                "protein_pct": number(batch.protein_pct, 1),
                "moisture_pct": number(batch.moisture_pct, 1),
                "ash_pct": number(batch.ash_pct, 2),
                "gluten_pct": number(batch.gluten_pct, 1),
            },
            "product": {
                "slug": product.slug,
                "title": product.title,
                "grade": product.grade,
                "origin": product.origin,
                "category": product.category.slug,
            },
            "cooperative": {"slug": coop.slug, "name": coop.name},
            "county": {
                "slug": county.slug,
                "name": county.name,
                "province": county.province,
                "poverty_relief": county.poverty_relief,
            },
            "certifications": certification_rows(product),
        }
