"""Catalogue tables. Writes go through ``catalog.services``; reads through ``catalog.selectors``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import phone_validator

from .constants import (
    AuditAction,
    CertificationKind,
    MembershipRole,
    Pricing,
    ProductStatus,
    StockReason,
)
from .search.indexes import PostgresGinIndex
from .validators import validate_region_surcharges
from .weight import estimate_to_pay


class County(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    province = models.CharField(_("province"), max_length=100)
    prefecture = models.CharField(_("prefecture"), max_length=100, blank=True)
    poverty_relief = models.BooleanField(
        _("poverty-relief county"),
        default=False,
        help_text=_("Designated under the national poverty-alleviation programme."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["province", "name"]
        verbose_name = _("county")
        verbose_name_plural = _("counties")

    def __str__(self) -> str:
        return f"{self.name} ({self.province})"

    def get_absolute_url(self) -> str:
        return reverse("county_detail", kwargs={"slug": self.slug})


class Cooperative(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="cooperatives", verbose_name=_("county")
    )
    story = models.TextField(_("brand story"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="cooperatives/logos/", blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The shipping rule each cooperative sets for its own parcels.
    shipping_base_fee = models.DecimalField(
        _("shipping base fee"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("8.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    shipping_fee_per_kg = models.DecimalField(
        _("shipping fee per started kg"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    low_stock_threshold = models.PositiveSmallIntegerField(
        _("low stock below"),
        default=5,
        validators=[MaxValueValidator(1000)],
        help_text=_("A size's farmer is told when a sale leaves fewer than this many."),
    )
    free_shipping_over = models.DecimalField(
        _("free shipping above"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("199.00"),
        help_text=_("Orders of this cooperative's goods at or above this value ship free."),
    )
    shipping_region_surcharges = models.JSONField(
        _("remote-region surcharges"),
        default=dict,
        blank=True,
        validators=[validate_region_surcharges],
        help_text=_(
            "Extra fee per parcel by province code, also when shipping is free, e.g. "
            '{"650000": "12.00", "540000": "15.00"} for Xinjiang and Tibet.'
        ),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        indexes = [models.Index(fields=["is_active", "county"], name="coop_active_county_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(shipping_base_fee__gte=0) & Q(shipping_fee_per_kg__gte=0),
                name="coop_shipping_fees_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cooperative_detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    """A user's role in a cooperative: farmers list products, managers run the cooperative."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("cooperative"),
    )
    role = models.CharField(
        _("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.FARMER
    )
    registered_poor_household = models.BooleanField(
        _("registered poor household"),
        default=False,
        help_text=_("Sensitive: visible only to platform staff and this cooperative's managers."),
    )
    created = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "cooperative"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["cooperative", "role"], name="membership_coop_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.cooperative} ({self.get_role_display()})"


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("cooperative"),
    )
    farmer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("producing farmer"),
    )
    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    grade = models.CharField(_("grade"), max_length=60, blank=True)
    origin = models.CharField(_("origin"), max_length=150, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["status", "-created"], name="product_status_created_idx"),
            models.Index(fields=["cooperative", "status"], name="product_coop_status_idx"),
            models.Index(fields=["category", "status"], name="product_category_status_idx"),
            models.Index(fields=["title"], name="product_title_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("product_detail", kwargs={"slug": self.slug})


class Variant(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product")
    )
    name = models.CharField(_("name"), max_length=80, help_text=_("e.g. “5 kg bag”"))
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    price = models.DecimalField(_("price (CNY)"), max_digits=10, decimal_places=2)
    weight_grams = models.PositiveIntegerField(_("shipping weight (g)"))
    stock = models.IntegerField(_("stock"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Selling by weight (issue 14 §6): a "weight" variant is priced per kilogram; one
    # unit is an estimated weight, and ``price`` is what the buyer pays for it up front
    # (the estimate plus the buffer), computed on save. Weighing at packing gives the
    # final amount and refunds the difference.
    pricing = models.CharField(
        _("pricing"), max_length=8, choices=Pricing.choices, default=Pricing.UNIT
    )
    price_per_kg = models.DecimalField(
        _("price per kg (CNY)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    estimated_weight_grams = models.PositiveIntegerField(
        _("estimated weight per unit (g)"), null=True, blank=True
    )
    weight_buffer_bp = models.PositiveIntegerField(
        _("buffer paid up front (basis points)"),
        default=0,
        validators=[MaxValueValidator(5000)],
        help_text=_(
            "e.g. 500 = 5 %: the buyer pays the estimate plus this much, "
            "so a heavier piece can still be charged in full."
        ),
    )

    class Meta:
        ordering = ["position", "price", "id"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            # The last line of defence against overselling: the database itself
            # refuses a negative stock, whatever code path writes it.
            models.CheckConstraint(condition=Q(stock__gte=0), name="variant_stock_non_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="variant_price_positive"),
            models.CheckConstraint(condition=Q(weight_grams__gt=0), name="variant_weight_positive"),
            models.CheckConstraint(
                condition=(
                    Q(
                        pricing="unit",
                        price_per_kg__isnull=True,
                        estimated_weight_grams__isnull=True,
                    )
                    | Q(pricing="weight", price_per_kg__gt=0, estimated_weight_grams__gt=0)
                ),
                name="variant_pricing_complete",
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "is_active", "price"], name="variant_product_price_idx"
            ),
            models.Index(fields=["price"], name="variant_price_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} — {self.name}"

    def save(self, *args, **kwargs):
        # A per-kg variant's unit price is always its estimate plus buffer (one rule,
        # catalog.weight), whichever path saves it.
        if self.pricing == Pricing.WEIGHT and self.price_per_kg and self.estimated_weight_grams:
            self.price = estimate_to_pay(
                estimated_grams=self.estimated_weight_grams,
                price_per_kg=Decimal(self.price_per_kg),
                buffer_bp=self.weight_buffer_bp,
            )
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "price"}
        super().save(*args, **kwargs)


def _actor_field() -> models.ForeignKey:
    """Who made a recorded change (None: the system, e.g. checkout or a sweep); the
    record outlives the account."""
    options = {"null": True, "blank": True, "related_name": "+", "verbose_name": _("by")}
    return models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, **options)


class StockMovement(models.Model):
    """One change of a variant's stock, append-only: the stock column always equals the
    sum of its variant's movements (``catalog.stock`` writes both in one transaction).

    ``order_id`` names the order a sale, cancellation or expiry belongs to; it is a plain
    number, not a foreign key, because the catalogue sits below the orders app."""

    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="movements", verbose_name=_("variant")
    )
    delta = models.IntegerField(_("change"))
    reason = models.CharField(_("reason"), max_length=16, choices=StockReason.choices)
    balance = models.IntegerField(_("stock after"))
    actor = _actor_field()
    order_id = models.BigIntegerField(_("order"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="stock_movement_delta_nonzero"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="stock_movement_balance_gte0"),
        ]
        indexes = [
            models.Index(fields=["variant", "-id"], name="stockmove_variant_idx"),
            models.Index(fields=["order_id"], name="stockmove_order_idx"),
            models.Index(fields=["reason", "-created"], name="stockmove_reason_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} {self.delta:+d} ({self.reason})"


def product_image_path(instance: ProductImage, filename: str) -> str:
    # Never keep the farmer's file name (it may carry a name or a place).
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"products/{instance.product_id}/{instance.token}.{ext}"


def product_thumbnail_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/thumbs/{instance.token}.webp"


class ProductImage(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product")
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    # Dimensions are recorded by the upload service (no width_field: that would
    # reopen the file whenever a row is loaded without them).
    image = models.ImageField(_("image"), upload_to=product_image_path)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=product_thumbnail_path, blank=True)
    alt = models.CharField(_("alt text"), max_length=150, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return self.alt or f"image {self.pk}"


class Certification(models.Model):
    """A certificate held by a cooperative, for one product or (product empty) for all."""

    kind = models.CharField(_("kind"), max_length=32, choices=CertificationKind.choices)
    number = models.CharField(_("number"), max_length=80)
    issuer = models.CharField(_("issuer"), max_length=150)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    document = models.FileField(_("document"), upload_to="certifications/", blank=True)
    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.CASCADE,
        related_name="certifications",
        verbose_name=_("cooperative"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="certifications",
        verbose_name=_("product"),
        help_text=_("Leave empty when it covers the whole cooperative."),
    )

    class Meta:
        ordering = ["kind", "number"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="certification_unique_number"),
        ]
        indexes = [models.Index(fields=["kind", "product"], name="certification_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Batch(models.Model):
    """A harvest or milling batch: what the QR code on a bag points at."""

    code = models.CharField(_("batch code"), max_length=40, unique=True)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="batches", verbose_name=_("product")
    )
    harvested_on = models.DateField(_("harvested on"))
    milled_on = models.DateField(_("milled on"), null=True, blank=True)
    quantity_kg = models.DecimalField(
        _("quantity (kg)"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    protein_pct = models.DecimalField(
        _("protein %"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    moisture_pct = models.DecimalField(
        _("moisture %"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    ash_pct = models.DecimalField(_("ash %"), max_digits=4, decimal_places=2, null=True, blank=True)
    gluten_pct = models.DecimalField(
        _("wet gluten %"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-harvested_on", "code"]
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        constraints = [
            models.CheckConstraint(
                condition=Q(milled_on__isnull=True) | Q(milled_on__gte=models.F("harvested_on")),
                name="batch_milled_after_harvest",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("trace", kwargs={"code": self.code})


class ProductSearch(models.Model):
    """A product's search index (``catalog.search``), written by the product services.

    ``document`` is the weighted full-text vector (PostgreSQL: title A, category,
    cooperative and county B, grade and origin C, description D); ``terms`` all tokens
    between spaces (trigram typo matching, and the SQLite demo's fallback); ``text`` the
    normalised words themselves (substring matching on SQLite, exact phrases). Every
    language's title and description is in (``catalog/translation.py``)."""

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    document = SearchVectorField(null=True, blank=True)
    terms = models.TextField(blank=True)
    title_terms = models.TextField(blank=True)
    title_text = models.TextField(blank=True)
    text = models.TextField(blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("search index entry")
        verbose_name_plural = _("search index")
        indexes = [
            PostgresGinIndex(fields=["document"], name="product_search_document_idx"),
            PostgresGinIndex(
                fields=["terms"], name="product_search_terms_trgm", opclasses=["gin_trgm_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.title_text.split("\n", 1)[0]


class AuditEvent(models.Model):
    """Who changed a price, a listing's status, a membership or a payout, and when.

    Append-only, written by the service that makes the change, in its transaction
    (``catalog.audit.audit_record``). Stock changes are their own record
    (``StockMovement``). ``target_type``/``target_id`` name the changed row without a
    foreign key, so apps above the catalogue (payouts) record here too and an event
    outlives its row; ``target_label`` is what the row was called at the time.
    """

    cooperative = models.ForeignKey(
        Cooperative,
        on_delete=models.PROTECT,
        related_name="audit_events",
        verbose_name=_("cooperative"),
    )
    actor = _actor_field()
    action = models.CharField(_("what"), max_length=16, choices=AuditAction.choices)
    target_type = models.CharField(_("kind of record"), max_length=60)
    target_id = models.BigIntegerField(_("record"))
    target_label = models.CharField(_("changed"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        # A manager's list (newest first), one record's history, one kind of event.
        indexes = [
            models.Index(fields=["cooperative", "-id"], name="audit_coop_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
        ]
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target_label}"
