from decimal import Decimal

import pytest

from catalog import services
from catalog.constants import ProductStatus
from catalog.exceptions import ListingIncomplete, ListingTransitionError
from storefront.errors import InvalidInput
from tests.factories import make_category, make_cooperative, make_product, make_user

pytestmark = pytest.mark.django_db


def _draft(**kw):
    return make_product(status=ProductStatus.DRAFT, **kw)


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
