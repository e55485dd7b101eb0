from decimal import Decimal

import pytest
from django.db import transaction

from catalog import services
from catalog.constants import ProductStatus
from catalog.exceptions import ListingIncomplete, ListingTransitionError, StockChanged
from catalog.models import AuditEvent, Product, ProductImage, Variant
from catalog.stock import StockChange, stock_take
from storefront.errors import InvalidInput, InvalidState
from tests.factories import (
    assert_stock_ledger_consistent,
    make_category,
    make_cooperative,
    make_farmer,
    make_photo,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db


def _draft(**kw):
    product = make_product(status=ProductStatus.DRAFT, **kw)
    make_photo(product=product)
    return product


def test_listing_goes_draft_to_review_to_active():
    reviewer = make_user()
    product = services.product_submit(product=_draft())
    assert product.status == ProductStatus.PENDING_REVIEW
    product = services.product_approve(product=product, by=reviewer)
    assert product.status == ProductStatus.ACTIVE
    assert product.reviewed_by == reviewer and product.reviewed_at is not None


def test_rejection_keeps_the_reason_and_resubmission_clears_it():
    product = services.product_submit(product=_draft())
    product = services.product_reject(product=product, by=make_user(), reason=" Photo blurry ")
    assert product.status == ProductStatus.REJECTED
    assert product.rejection_reason == "Photo blurry"
    product = services.product_submit(product=product)
    assert product.status == ProductStatus.PENDING_REVIEW and product.rejection_reason == ""


def test_rejection_needs_a_reason():
    product = services.product_submit(product=_draft())
    with pytest.raises(InvalidInput) as exc:
        services.product_reject(product=product, by=make_user(), reason="  ")
    assert "reason" in exc.value.details
    product.refresh_from_db()
    assert product.status == ProductStatus.PENDING_REVIEW


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (ProductStatus.DRAFT, "approve"),
        (ProductStatus.DRAFT, "reject"),
        (ProductStatus.ACTIVE, "submit"),
        (ProductStatus.ACTIVE, "approve"),
        (ProductStatus.REJECTED, "approve"),
        (ProductStatus.ARCHIVED, "submit"),
        (ProductStatus.ARCHIVED, "approve"),
        (ProductStatus.PENDING_REVIEW, "submit"),
    ],
)
def test_illegal_listing_moves_raise_invalid_state_and_change_nothing(status, move):
    product = make_product(status=status)
    user = make_user()
    call = {
        "submit": lambda: services.product_submit(product=product),
        "approve": lambda: services.product_approve(product=product, by=user),
        "reject": lambda: services.product_reject(product=product, by=user, reason="no"),
    }[move]
    with pytest.raises(ListingTransitionError) as exc:
        call()
    assert exc.value.code == "invalid_state"
    product.refresh_from_db()
    assert product.status == status


def test_submit_needs_an_active_variant():
    product = _draft(variants=0)
    with pytest.raises(ListingIncomplete):
        services.product_submit(product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_product_create_makes_a_unique_slug_even_for_chinese_titles():
    coop, cat = make_cooperative(), make_category()
    a = services.product_create(cooperative=coop, title="吉木乃面粉", category=cat)
    b = services.product_create(cooperative=coop, title="吉木乃面粉", category=cat)
    assert a.slug and b.slug and a.slug != b.slug
    assert a.status == ProductStatus.DRAFT


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("吉木乃石磨面粉 5kg", "ji-mu-nai-shi-mo-mian-fen-5kg"),
        ("جېمىنەي ئۇنى", "jeminey-uni"),
        ("Stone flour", "stone-flour"),
    ],
)
def test_slugs_are_readable_pinyin_or_latin_not_item_numbers(title, slug):
    """Issue 18: Chinese titles got addresses like /products/item-511506/."""
    product = services.product_create(
        cooperative=make_cooperative(), title=title, category=make_category()
    )
    assert product.slug == slug
    again = services.product_create(
        cooperative=product.cooperative, title=title, category=product.category
    )
    assert again.slug.startswith(f"{slug}-")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"price": Decimal("0")}, "price"),
        ({"price": Decimal("-1")}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": 10_000_000}, "stock"),
        ({"weight_grams": 0}, "weight_grams"),
    ],
)
def test_variant_rules(fields, bad):
    product = _draft(variants=0)
    args = {"name": "5 kg", "price": Decimal("10"), "weight_grams": 5000, "stock": 1, **fields}
    with pytest.raises(InvalidInput) as exc:
        services.variant_create(product=product, **args)
    assert bad in exc.value.details
    assert not product.variants.exists()


def test_membership_grant_makes_managers_staff():
    coop, user = make_cooperative(), make_user()
    services.membership_grant(user=user, cooperative=coop, role="manager")
    user.refresh_from_db()
    assert user.is_staff and not user.is_superuser


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"protein_pct": Decimal("101")}, "protein_pct"),
        ({"moisture_pct": Decimal("-1")}, "moisture_pct"),
        ({"quantity_kg": Decimal("-5")}, "quantity_kg"),
        ({"milled_on": __import__("datetime").date(2026, 1, 1)}, "milled_on"),
    ],
)
def test_batch_record_refuses_impossible_figures(fields, bad):
    from datetime import date

    product = make_product()
    with pytest.raises(InvalidInput) as exc:
        services.batch_record(product=product, code="b-1", harvested_on=date(2026, 8, 1), **fields)
    assert bad in exc.value.details
    assert not product.batches.exists()


def test_batch_record_normalises_the_code_and_refuses_duplicates():
    from datetime import date

    product = make_product()
    batch = services.batch_record(product=product, code=" jmn-1 ", harvested_on=date(2026, 8, 1))
    assert batch.code == "JMN-1"
    with pytest.raises(InvalidInput) as exc:
        services.batch_record(product=product, code="JMN-1", harvested_on=date(2026, 8, 1))
    assert "code" in exc.value.details


# --- variants: price edits never touch stock ---------------------------------------
def test_variant_update_refuses_a_stock_figure():
    variant = make_product(stock=10).variants.get()
    with pytest.raises(InvalidInput) as exc:
        services.variant_update(variant=variant, price=Decimal("1"), stock=10)
    assert "stock" in exc.value.details
    variant.refresh_from_db()
    assert variant.price == Decimal("39.90")


def test_variant_update_writes_only_what_changed_not_the_stock_it_read():
    variant = make_product(stock=10).variants.get()
    stale = Variant.objects.get(pk=variant.pk)  # a copy read before the sale
    with transaction.atomic():
        stock_take(quantities={variant.pk: 4})
    saved = services.variant_update(variant=stale, price=Decimal("45"))
    assert (saved.price, saved.stock) == (Decimal("45"), 6)
    assert Variant.objects.get(pk=variant.pk).stock == 6


def test_a_refused_stock_change_saves_none_of_the_other_fields():
    variant = make_product(stock=10).variants.get()
    with transaction.atomic():
        stock_take(quantities={variant.pk: 4})
    with pytest.raises(StockChanged):
        services.variant_update(
            variant=variant, price=Decimal("45"), stock_change=StockChange(shown=10, count=12)
        )
    variant.refresh_from_db()
    assert (variant.price, variant.stock) == (Decimal("39.90"), 6)
    assert not AuditEvent.objects.filter(action="price").exclude(note="new").exists()


def test_variant_create_validates_everything_and_makes_a_sku():
    product = _draft(variants=0)
    variant = services.variant_create(
        product=product, name=" 5 kg ", price=Decimal("10"), weight_grams=5000, sku=" ab-1 "
    )
    assert (variant.name, variant.sku, variant.stock) == ("5 kg", "AB-1", 0)
    assert not variant.movements.exists()
    with pytest.raises(InvalidInput) as exc:
        services.variant_create(
            product=product, name="x", price=Decimal("1"), weight_grams=1, sku="ab-1"
        )
    assert "sku" in exc.value.details
    with pytest.raises(InvalidInput) as exc:
        services.variant_create(product=product, name=" ", price=Decimal("1"), weight_grams=1)
    assert "name" in exc.value.details


# --- products ----------------------------------------------------------------------
def test_product_create_with_its_first_variant_is_one_transaction():
    coop, cat = make_cooperative(), make_category()
    with pytest.raises(InvalidInput):
        services.product_create(
            cooperative=coop,
            title="Flour",
            category=cat,
            first_variant={"name": "5 kg", "price": Decimal("0"), "weight_grams": 5000},
        )
    assert not Product.objects.exists()
    product = services.product_create(
        cooperative=coop,
        title="Flour",
        category=cat,
        first_variant={"name": "5 kg", "price": Decimal("10"), "weight_grams": 5000, "stock": 3},
    )
    assert product.variants.get().stock == 3


def test_product_farmer_must_be_a_member_of_its_cooperative():
    coop, cat = make_cooperative(), make_category()
    outsider = make_farmer(make_cooperative())
    with pytest.raises(InvalidInput) as exc:
        services.product_create(cooperative=coop, title="Flour", category=cat, farmer=outsider)
    assert "farmer" in exc.value.details
    product = services.product_create(cooperative=coop, title="Flour", category=cat)
    with pytest.raises(InvalidInput):
        services.product_update(product=product, farmer=outsider)
    member = make_farmer(coop)
    assert services.product_update(product=product, farmer=member).farmer == member


def test_product_update_refuses_guarded_fields():
    product = _draft()
    for field in ("status", "slug", "cooperative"):
        with pytest.raises(InvalidInput):
            services.product_update(product=product, **{field: "x"})


def test_only_a_listing_that_never_sold_or_went_live_may_be_deleted():
    """Issue 18: drafts could not be deleted (the opening stock counted as "held")."""
    for draft in (_draft(variants=0), _draft()):
        services.product_delete(product=draft, actor=make_user())
        assert not Product.objects.filter(pk=draft.pk).exists()
    sold = _draft()
    with transaction.atomic():
        stock_take(quantities={sold.variants.get().pk: 1}, order_id=99)
    for product in (sold, make_product(status=ProductStatus.ARCHIVED, variants=0)):
        with pytest.raises(InvalidState):
            services.product_delete(product=product)
        assert Product.objects.filter(pk=product.pk).exists()
    assert_stock_ledger_consistent()


# --- photos --------------------------------------------------------------------------
def _upload(**kw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.images import photo

    return SimpleUploadedFile("IMG_1.jpg", photo("JPEG", **kw), content_type="image/jpeg")


def test_replacing_a_photo_cleans_it_and_renders_a_new_thumbnail(
    django_capture_on_commit_callbacks,
):
    product = make_product()
    with django_capture_on_commit_callbacks(execute=True):
        image = services.product_image_add(product=product, upload=_upload())
    image.refresh_from_db()
    old = (image.image.name, image.thumbnail.name)
    with django_capture_on_commit_callbacks(execute=True):
        replaced = services.product_image_replace(
            image=image, upload=_upload(exif_gps=True), alt="<b>Sack</b>"
        )
    replaced.refresh_from_db()
    assert replaced.alt == "Sack" and replaced.image.name != old[0]
    assert replaced.thumbnail and replaced.thumbnail.name != old[1]
    storage = replaced.image.storage
    assert not storage.exists(old[0]) and not storage.exists(old[1])


def test_a_late_thumbnail_of_a_replaced_photo_is_thrown_away(monkeypatch):
    from catalog.services import photos

    product = make_product()
    image = services.product_image_add(product=product, upload=_upload())
    real = photos.render_thumbnail

    def replaced_while_rendering(source):
        data = real(source)  # the old photo's thumbnail ...
        services.product_image_replace(image=image, upload=_upload(color=(10, 10, 10)))
        return data  # ... arrives after the photo was replaced

    monkeypatch.setattr(photos, "render_thumbnail", replaced_while_rendering)
    assert services.product_image_render_thumbnail(image_id=image.pk) is False
    fresh = ProductImage.objects.get(pk=image.pk)
    assert not fresh.thumbnail  # not the old picture's: the new photo's task renders its own
    monkeypatch.setattr(photos, "render_thumbnail", real)
    assert services.product_image_render_thumbnail(image_id=image.pk) is True
    assert ProductImage.objects.get(pk=image.pk).thumbnail


def test_photo_alt_and_position_are_cleaned():
    image = services.product_image_add(product=make_product(), upload=_upload())
    updated = services.product_image_update(image=image, alt="<i>Bag</i>", position=99999)
    assert (updated.alt, updated.position) == ("Bag", 32767)
    assert services.product_image_update(image=image, alt="  ").alt == image.product.title


# --- batches and certifications ----------------------------------------------------------
def test_batch_update_follows_the_same_rules_and_stays_in_the_cooperative():
    from datetime import date

    product = make_product()
    batch = services.batch_record(product=product, code="b/1 a", harvested_on=date(2026, 8, 1))
    assert batch.code == "B-1-A"
    with pytest.raises(InvalidInput) as exc:
        services.batch_update(batch=batch, ash_pct=Decimal("100.5"), code="bad code!")
    assert set(exc.value.details) == {"ash_pct", "code"}
    with pytest.raises(InvalidInput):
        services.batch_update(batch=batch, product=make_product())
    sibling = make_product(cooperative=product.cooperative)
    updated = services.batch_update(batch=batch, product=sibling, code=" b-2 ", notes="<b>dry</b>")
    assert (updated.product, updated.code, updated.notes) == (sibling, "B-2", "dry")
    with pytest.raises(InvalidInput):
        services.batch_record(product=product, code="B-2", harvested_on=date(2026, 8, 1))


def test_certification_rules():
    coop = make_cooperative()
    mine, theirs = make_product(cooperative=coop), make_product()
    cert = services.certification_create(
        cooperative=coop, kind="organic", number=" ORG-1 ", issuer=" Bureau ", product=mine
    )
    assert (cert.number, cert.issuer) == ("ORG-1", "Bureau")
    with pytest.raises(InvalidInput) as exc:
        services.certification_update(certification=cert, product=theirs)
    assert "product" in exc.value.details
    with pytest.raises(InvalidInput) as exc:
        services.certification_create(cooperative=coop, kind="organic", number="ORG-1", issuer="x")
    assert "number" in exc.value.details
    with pytest.raises(InvalidInput) as exc:
        services.certification_create(cooperative=coop, kind="magic", number="M-1", issuer="x")
    assert "kind" in exc.value.details
    with pytest.raises(InvalidInput):
        services.certification_update(certification=cert, cooperative=make_cooperative())


# --- reference data -------------------------------------------------------------------
def test_reference_data_is_cleaned_and_protected():
    from catalog.models import Category, County

    county = services.county_save(county=County(name=" Jeminay <b>", province="Xinjiang"))
    assert (county.name, county.slug) == ("Jeminay", "jeminay")
    parent = services.category_save(category=Category(name="Flour"))
    child = services.category_save(category=Category(name="Wheat flour", parent=parent))
    parent.parent = child
    with pytest.raises(InvalidInput):
        services.category_save(category=parent)
    make_cooperative(county=county)
    with pytest.raises(InvalidState):
        services.county_delete(county=county)
    services.category_delete(category=Category.objects.get(pk=child.pk))


def test_a_cooperative_logo_is_re_encoded_without_metadata():
    import io

    from PIL import Image

    coop = make_cooperative()
    saved = services.cooperative_save(cooperative=coop, logo_upload=_upload(exif_gps=True))
    with saved.logo.open("rb") as f:
        assert not Image.open(io.BytesIO(f.read())).getexif()
    assert "IMG" not in saved.logo.name


def test_submit_needs_a_photo():
    """Issue 18: a product could be submitted without photos."""
    product = make_product(status=ProductStatus.DRAFT)
    with pytest.raises(ListingIncomplete) as exc:
        services.product_submit(product=product)
    assert exc.value.code == "listing_needs_photo"
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_a_submission_can_be_withdrawn_to_draft():
    product = services.product_submit(product=_draft())
    product = services.product_withdraw(product=product, actor=make_user())
    assert product.status == ProductStatus.DRAFT
    with pytest.raises(ListingTransitionError):
        services.product_withdraw(product=product)


def test_photo_moves_make_a_cover_and_renumber_the_gallery():
    product = _draft()
    first = product.images.get()
    second, third = make_photo(product=product, position=1), make_photo(product=product, position=1)
    services.product_image_move(image=third, to="cover")
    assert list(product.images.order_by("position").values_list("pk", flat=True)) == [
        third.pk,
        first.pk,
        second.pk,
    ]
    services.product_image_move(image=second, to="earlier")
    services.product_image_move(image=third, to="later")
    assert list(product.images.order_by("position").values_list("pk", "position")) == [
        (second.pk, 0),
        (third.pk, 1),
        (first.pk, 2),
    ]
    with pytest.raises(InvalidInput):
        services.product_image_move(image=first, to="sideways")
