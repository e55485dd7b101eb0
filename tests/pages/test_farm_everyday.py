"""Issue 18, the farmer on a phone: what a person stumbled over in the portal."""

from __future__ import annotations

import pytest

from catalog.constants import ProductStatus
from catalog.models import Certification, Product
from tests.factories import (
    assert_stock_ledger_consistent,
    make_batch,
    make_category,
    make_photo,
    make_product,
)

pytestmark = pytest.mark.django_db


def _new_product(client, **fields):
    data = {
        "title": "Stone flour",
        "category": make_category().pk,
        "variant_name": "5 kg bag",
        "variant_price": "39.90",
        "variant_weight_grams": "5100",
        "variant_stock": "10",
        **fields,
    }
    return client.post("/farm/products/new/", data, follow=True)


@pytest.mark.parametrize(
    ("typed", "grams"), [("5.2 kg", 5200), ("5,2kg", 5200), ("5200", 5200), ("5 公斤", 5000)]
)
def test_weight_may_be_typed_in_kg(farmer_client, typed, grams):
    _new_product(farmer_client, variant_weight_grams=typed)
    assert Product.objects.get().variants.get().weight_grams == grams


def test_weight_that_disagrees_with_the_name_is_saved_with_a_warning(farmer_client):
    """Issue 18: a 5 kg bag could be given a shipping weight of 5 g without a word."""
    body = _new_product(farmer_client, variant_weight_grams="5").content.decode()
    assert Product.objects.get().variants.get().weight_grams == 5
    assert "Check the shipping weight of “5 kg bag”: it is 5 g, but the name says 5 kg." in body
    assert "msg-warning" in body


def test_matching_weight_gives_no_warning(farmer_client):
    body = _new_product(farmer_client, variant_weight_grams="5.1 kg").content.decode()
    assert "Check the shipping weight" not in body


def test_unreadable_weight_is_refused_on_the_field(farmer_client):
    response = _new_product(farmer_client, variant_weight_grams="five")
    assert response.status_code == 200 and not Product.objects.exists()
    assert "Type a weight such as" in response.content.decode()


def test_same_name_asks_before_creating_a_second_identical_product(farmer_client):
    """Issue 18: a product with an existing name was created silently (two identical
    cards, two identical choices in the batch form)."""
    _new_product(farmer_client)
    response = _new_product(farmer_client, title="stone flour ")
    body = response.content.decode()
    assert Product.objects.count() == 1
    assert "You already have a product named" in body and 'name="same_name_ok"' in body
    _new_product(farmer_client, title="Stone flour", same_name_ok="on")
    assert Product.objects.count() == 2


def test_first_product_form_does_not_show_the_same_name_box(farmer_client):
    body = farmer_client.get("/farm/products/new/").content.decode()
    assert 'name="same_name_ok"' not in body


def test_a_batch_can_be_corrected(farmer_client, coop):
    """Issue 18: batches could not be corrected."""
    product = make_product(cooperative=coop)
    batch = make_batch(product=product)
    url = f"/farm/batches/{batch.pk}/"
    assert f'href="{url}"' in farmer_client.get("/farm/batches/").content.decode()
    page = farmer_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert batch.code in page
    # The date box shows the recorded date (a date input reads only YYYY-MM-DD).
    assert f'value="{batch.harvested_on.isoformat()}"' in page
    response = farmer_client.post(
        url,
        {"product": product.pk, "code": "jmn-fixed", "harvested_on": "2026-08-02"},
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.code == "JMN-FIXED" and str(batch.harvested_on) == "2026-08-02"
    other = make_batch(product=make_product())
    assert farmer_client.get(f"/farm/batches/{other.pk}/").status_code == 404


def test_batch_form_errors_are_announced_at_the_top(farmer_client, coop):
    """Issue 18: the batch form's errors appeared far below with nothing at the top."""
    product = make_product(cooperative=coop)
    body = farmer_client.post(
        "/farm/batches/", {"product": product.pk, "code": "", "harvested_on": "x"}
    ).content.decode()
    top = body.index("The batch was not recorded.")
    assert top < body.index('id="record"') and top < body.index("farm-list")
    assert 'href="#id_code"' in body and 'href="#id_harvested_on"' in body


def test_identical_names_are_told_apart_in_the_batch_form(farmer_client, coop):
    a = make_product(cooperative=coop, title="Stone flour")
    b = make_product(cooperative=coop, title="Stone flour")
    body = farmer_client.get("/farm/batches/").content.decode()
    assert f"Stone flour · №{a.pk}" in body and f"Stone flour · №{b.pk}" in body


def test_submit_without_a_photo_is_refused_and_the_page_says_so(farmer_client, coop):
    """Issue 18: a product could be submitted without photos."""
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    page = farmer_client.get(f"/farm/products/{product.pk}/").content.decode()
    assert "Add at least one photo, then you can send it for review." in page
    assert f"/farm/products/{product.pk}/submit/" not in page
    body = farmer_client.post(f"/farm/products/{product.pk}/submit/", follow=True)
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    assert "Add at least one photo before sending" in body.content.decode()


def test_photo_removal_asks_first_and_a_cover_can_be_chosen(farmer_client, coop):
    """Issue 18: photos were deleted with one tap; there was no cover photo or order."""
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    first, second = make_photo(product=product), make_photo(product=product, position=1)
    page = farmer_client.get(f"/farm/products/{product.pk}/").content.decode()
    # The delete button sits inside a closed <details> that asks first.
    assert page.count('<details class="confirm"><summary class="small">Remove</summary>') == 2
    assert "Remove this photo? This cannot be undone." in page
    assert page.count(">Cover<") == 1
    farmer_client.post(f"/farm/products/{product.pk}/photos/{second.pk}/move/", {"to": "cover"})
    assert list(product.images.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    other = make_photo(product=make_product())
    response = farmer_client.post(
        f"/farm/products/{product.pk}/photos/{other.pk}/move/", {"to": "cover"}
    )
    assert response.status_code == 404


def test_a_draft_can_be_deleted_after_asking(farmer_client, coop):
    """Issue 18: drafts could not be deleted."""
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT, stock=5)
    page = farmer_client.get(f"/farm/products/{product.pk}/").content.decode()
    assert "This cannot be undone." in page and "Yes, delete it" in page
    response = farmer_client.post(f"/farm/products/{product.pk}/delete/")
    assert response["Location"] == "/farm/products/"
    assert not Product.objects.filter(pk=product.pk).exists()
    assert_stock_ledger_consistent()


def test_a_live_product_offers_no_delete_and_is_refused(farmer_client, coop):
    product = make_product(cooperative=coop)
    page = farmer_client.get(f"/farm/products/{product.pk}/").content.decode()
    assert "Yes, delete it" not in page
    body = farmer_client.post(f"/farm/products/{product.pk}/delete/", follow=True)
    assert Product.objects.filter(pk=product.pk).exists()
    assert "archived, not deleted" in body.content.decode()


def test_a_submission_can_be_taken_back(farmer_client, coop):
    """Issue 18: a submission could not be withdrawn."""
    product = make_product(cooperative=coop, status=ProductStatus.PENDING_REVIEW)
    page = farmer_client.get(f"/farm/products/{product.pk}/").content.decode()
    assert "Take back to change it" in page
    farmer_client.post(f"/farm/products/{product.pk}/withdraw/")
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_dashboard_shows_a_rejection_with_its_reason(farmer_client, coop):
    """Issue 18: the dashboard did not show a rejection."""
    product = make_product(
        cooperative=coop, status=ProductStatus.REJECTED, rejection_reason="Photo is blurry"
    )
    body = farmer_client.get("/farm/").content.decode()
    assert "Sent back to you" in body and "Photo is blurry" in body
    assert f'href="/farm/products/{product.pk}/"' in body


def test_the_product_page_shows_the_certifications_buyers_see(farmer_client, coop):
    """Issue 18: cooperative-wide badges showed on the product without the farmer
    ever seeing them in the portal."""
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    Certification.objects.create(
        cooperative=coop, kind="green_food", number="GF-123", issuer="CGFDC"
    )
    body = farmer_client.get(f"/farm/products/{product.pk}/").content.decode()
    assert "Certifications shown on its page" in body and "GF-123" in body
    assert "the whole cooperative" in body
