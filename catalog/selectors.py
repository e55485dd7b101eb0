"""Catalogue reads used by several callers (API, pages, admin)."""

from __future__ import annotations

from django.db.models import (
    Count,
    Exists,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from accounts.models import User

from .constants import MembershipRole, ProductStatus
from .models import (
    Batch,
    Category,
    Certification,
    Cooperative,
    County,
    Membership,
    Product,
    ProductImage,
    StockMovement,
    Variant,
)
from .translation import order_by_localized

# Below this many units an active variant shows on the farm dashboard as running low.
LOW_STOCK = 5


def user_cooperative_ids(user: User, *, role: str | None = None) -> set[int]:
    """Ids of the cooperatives ``user`` belongs to (optionally with one role)."""
    if not user.is_authenticated:
        return set()
    cache_attr = f"_coop_ids_{role or 'any'}"
    if not hasattr(user, cache_attr):
        qs = Membership.objects.filter(user=user, cooperative__is_active=True)
        if role:
            qs = qs.filter(role=role)
        setattr(user, cache_attr, set(qs.values_list("cooperative_id", flat=True)))
    return getattr(user, cache_attr)


def user_managed_cooperative_ids(user: User) -> set[int]:
    return user_cooperative_ids(user, role=MembershipRole.MANAGER)


def product_on_sale_q(prefix: str = "") -> Q:
    """ "Can be bought now", the one rule: an approved listing of an active cooperative.
    ``prefix`` reaches the product from another model (``"product__"`` from a variant)."""
    return Q(**{f"{prefix}status": ProductStatus.ACTIVE, f"{prefix}cooperative__is_active": True})


def product_is_on_sale(product: Product) -> bool:
    """``product_on_sale_q`` for a row already loaded (with its cooperative)."""
    return product.status == ProductStatus.ACTIVE and product.cooperative.is_active


def user_membership_roles(user: User) -> set[str]:
    """The roles (``farmer``, ``manager``) ``user`` holds in active cooperatives: a role
    source of ``settings.ACCOUNT_ROLE_SOURCES`` (``GET me/``)."""
    return set(
        Membership.objects.filter(user=user, cooperative__is_active=True)
        .values_list("role", flat=True)
        .distinct()
    )


def public_products() -> QuerySet[Product]:
    """Approved, active products of active cooperatives: the only ones a buyer sees."""
    return Product.objects.filter(product_on_sale_q())


def variants_on_sale() -> QuerySet[Variant]:
    """Variants a buyer may put in a cart and order now (active, of a product on sale);
    cart, checkout and the stock UPDATE that takes an order's units all use this."""
    return Variant.objects.filter(product_on_sale_q("product__"), is_active=True)


def active_cooperatives() -> QuerySet[Cooperative]:
    """Active cooperatives with their county, uncounted: a brand page's header costs the
    same however many products the cooperative has."""
    return Cooperative.objects.filter(is_active=True).select_related("county")


def public_cooperatives() -> QuerySet[Cooperative]:
    live = Count("products", filter=Q(products__status=ProductStatus.ACTIVE), distinct=True)
    return active_cooperatives().annotate(product_count=live).order_by("name")


def _certification_prefetches(prefix: str = "") -> list[Prefetch]:
    """The rows :func:`product_certifications` reads: a product's own certifications and
    its cooperative's product-less ones (``prefix``: the path to the product)."""
    return [
        Prefetch(f"{prefix}certifications", queryset=Certification.objects.all()),
        Prefetch(
            f"{prefix}cooperative__certifications",
            queryset=Certification.objects.filter(product__isnull=True),
            to_attr="cooperative_wide_certifications",
        ),
    ]


def product_certifications(product: Product) -> list[Certification]:
    """The certifications shown for a product, by the API and the pages alike: its own and
    its cooperative's product-less ones, sorted by kind, then number.

    No query for rows from :func:`product_detail_queryset` or :func:`batch_for_trace`
    (prefetched); a product read another way costs two."""
    own = list(product.certifications.all())
    coop_wide = getattr(product.cooperative, "cooperative_wide_certifications", None)
    if coop_wide is None:
        coop_wide = Certification.objects.filter(
            cooperative_id=product.cooperative_id, product__isnull=True
        )
    return sorted([*own, *coop_wide], key=lambda c: (c.kind, c.number, c.pk))


def product_list() -> QuerySet[Product]:
    """Public product summaries with price_from and in_stock, in a fixed number of queries."""
    active_variants = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
    qs = (
        public_products()
        .select_related("cooperative__county", "category")
        .annotate(
            price_from=Min("variants__price", filter=Q(variants__is_active=True)),
            in_stock=Exists(active_variants.filter(stock__gt=0)),
        )
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            *_certification_prefetches(),
        )
    )
    return qs


def product_detail_queryset() -> QuerySet[Product]:
    return product_list().prefetch_related(
        Prefetch("variants", queryset=Variant.objects.filter(is_active=True)),
        Prefetch("batches", queryset=Batch.objects.order_by("-harvested_on")),
    )


def batch_for_trace(*, code: str) -> Batch | None:
    """The batch a QR code points at, with everything the trace page shows, or None.

    Only batches of products that have been on sale: live ones, and archived ones
    (their bags are still in kitchens). A draft or rejected listing is nobody's
    business yet."""
    return (
        Batch.objects.select_related("product__cooperative__county", "product__category")
        .prefetch_related(
            *_certification_prefetches("product__"),
            Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")),
        )
        .filter(code=code, product__status__in=[ProductStatus.ACTIVE, ProductStatus.ARCHIVED])
        .first()
    )


def product_summary_list() -> QuerySet[Product]:
    """The lean public product list the API renders: one row per product, no GROUP BY.

    ``price_from``, ``in_stock`` and the first photo come from correlated subqueries,
    so a page is one query plus one for certifications
    (:func:`certification_kinds_for`), whatever the page size.
    """
    active = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
    first_image = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return (
        public_products()
        .select_related("cooperative__county", "category")
        .only(
            "id",
            "slug",
            "title",
            "grade",
            "created",
            "cooperative_id",
            "cooperative__slug",
            "cooperative__name",
            "cooperative__county__slug",
            "cooperative__county__name",
            "category__slug",
        )
        .annotate(
            price_from=Subquery(active.order_by("price").values("price")[:1]),
            in_stock=Exists(active.filter(stock__gt=0)),
            first_image=Subquery(first_image.values("image")[:1]),
            first_thumbnail=Subquery(first_image.values("thumbnail")[:1]),
        )
    )


def rejected_products(*, cooperative_ids) -> QuerySet[Product]:
    """Listings a manager sent back (with the reason), newest review first."""
    return Product.objects.filter(
        cooperative_id__in=cooperative_ids, status=ProductStatus.REJECTED
    ).order_by("-reviewed_at", "-id")


def certification_kinds_for(products: list[Product]) -> dict[int, list[str]]:
    """Product id -> sorted certification kinds (its own and its cooperative's), one query."""
    if not products:
        return {}
    product_ids = {p.pk for p in products}
    coop_ids = {p.cooperative_id for p in products}
    rows = Certification.objects.filter(
        Q(product_id__in=product_ids) | Q(product__isnull=True, cooperative_id__in=coop_ids)
    ).values_list("kind", "product_id", "cooperative_id")
    own: dict[int, set[str]] = {}
    coop_wide: dict[int, set[str]] = {}
    for kind, product_id, cooperative_id in rows:
        if product_id is None:
            coop_wide.setdefault(cooperative_id, set()).add(kind)
        else:
            own.setdefault(product_id, set()).add(kind)
    return {
        p.pk: sorted(own.get(p.pk, set()) | coop_wide.get(p.cooperative_id, set()))
        for p in products
    }


def county_list() -> QuerySet[County]:
    return County.objects.order_by("province", "name", "id")


def category_list() -> QuerySet[Category]:
    # By the name the reader reads (its translation, else the Chinese one).
    return Category.objects.select_related("parent").order_by(
        "position", order_by_localized("name"), "id"
    )


# --- the farmer portal: a member's own cooperatives only -----------------------
def member_products(*, user: User) -> QuerySet[Product]:
    """Products of the cooperatives ``user`` belongs to (anything else is not theirs)."""
    return Product.objects.filter(cooperative_id__in=user_cooperative_ids(user))


def products_named(*, cooperative_id: int, title: str) -> QuerySet[Product]:
    """A cooperative's listings (not archived) with this Chinese title (the one every
    listing has; catalog/translation.py), case aside: a new one of the same name would be
    a second identical card."""
    return (
        Product.objects.filter(cooperative_id=cooperative_id, title_zh_hans__iexact=title.strip())
        .exclude(status=ProductStatus.ARCHIVED)
        .order_by("id")
    )


def member_product_list(*, user: User) -> QuerySet[Product]:
    """The portal's product list: not archived, with photos and variants in two queries."""
    return (
        member_products(user=user)
        .exclude(status=ProductStatus.ARCHIVED)
        .select_related("cooperative")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("variants", queryset=Variant.objects.order_by("position", "price", "id")),
        )
        .order_by("-updated", "-id")
    )


def member_variants(*, user: User) -> QuerySet[Variant]:
    """Every variant of the member's cooperatives (what the portal may change)."""
    return Variant.objects.filter(
        product__cooperative_id__in=user_cooperative_ids(user)
    ).select_related("product")


def member_stock_list(*, user: User) -> QuerySet[Variant]:
    """The stock page: variants on sale or about to be, by product."""
    return (
        member_variants(user=user)
        .filter(is_active=True)
        .exclude(product__status=ProductStatus.ARCHIVED)
        .order_by("product__title", "position", "id")
    )


def low_stock_variants(
    *, cooperative_ids, below: int = LOW_STOCK, limit: int = 20
) -> list[Variant]:
    """Active variants of live (or about to be live) listings running low, lowest first."""
    return list(
        Variant.objects.filter(
            product__cooperative_id__in=cooperative_ids,
            is_active=True,
            stock__lt=below,
            product__status__in=[ProductStatus.ACTIVE, ProductStatus.PENDING_REVIEW],
        )
        .select_related("product")
        .order_by("stock", "id")[:limit]
    )


def product_status_counts(*, cooperative_ids) -> dict[str, int]:
    """Status → number of the cooperatives' listings, one grouped query."""
    rows = (
        Product.objects.filter(cooperative_id__in=cooperative_ids)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def member_batches(*, user: User) -> QuerySet[Batch]:
    """Batches of the cooperatives ``user`` belongs to."""
    return Batch.objects.filter(product__cooperative_id__in=user_cooperative_ids(user))


def member_batch_list(*, user: User, limit: int = 50) -> list[Batch]:
    return list(
        member_batches(user=user)
        .select_related("product")
        .order_by("-harvested_on", "code")[:limit]
    )


def products_to_review(*, cooperative_ids) -> QuerySet[Product]:
    """Listings waiting for a manager of these cooperatives, oldest first."""
    return (
        Product.objects.filter(
            cooperative_id__in=cooperative_ids, status=ProductStatus.PENDING_REVIEW
        )
        .select_related("cooperative", "farmer", "category")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("variants", queryset=Variant.objects.filter(is_active=True)),
        )
        .order_by("updated", "id")
    )


def variant_movements(*, variant: Variant) -> QuerySet[StockMovement]:
    """A variant's stock history, newest first, with who made each change."""
    return StockMovement.objects.filter(variant=variant).select_related("actor").order_by("-id")


def variants_off_ledger(*, variant_ids=None) -> dict[int, tuple[int, int]]:
    """Variants whose stock is not the sum of their movements: ``{id: (stock, sum)}``.
    Empty when the stock ledger holds (tests and benchmarks check it after every race)."""
    variants = (
        Variant.objects.all() if variant_ids is None else Variant.objects.filter(pk__in=variant_ids)
    )
    rows = variants.annotate(moved=Sum("movements__delta")).values_list("pk", "stock", "moved")
    return {pk: (stock, moved or 0) for pk, stock, moved in rows if stock != (moved or 0)}
