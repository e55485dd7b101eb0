"""The farmer portal: members only, own cooperative only, every write through catalog.services."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.constants import ProductStatus
from catalog.models import Batch, Product
from tests.factories import (
    assert_stock_ledger_consistent,
    make_category,
    make_cooperative,
    make_manager,
    make_photo,
    make_product,
    make_user,
)
from tests.images import pdf_bytes, photo

pytestmark = pytest.mark.django_db


def _photo(name="p.jpg", fmt="JPEG"):
    return SimpleUploadedFile(name, photo(fmt), content_type="image/jpeg")


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/farm/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_buyer_is_refused(client):
    client.force_login(make_user())
    assert client.get("/farm/").status_code == 403
    assert client.get("/farm/products/new/").status_code == 403


def test_dashboard_shows_low_stock_and_sales(farmer_client, coop):
    product = make_product(cooperative=coop, title="Low flour", stock=2)
    body = farmer_client.get("/farm/").content.decode()
    assert "Low flour" in body and "Sales this month" in body
    assert product.variants.first().name in body


def test_product_list_shows_only_own_cooperative(
    farmer_client, coop, django_assert_max_num_queries
):
    mine = make_product(cooperative=coop, title="Mine", status=ProductStatus.DRAFT)
    theirs = make_product(title="Theirs")
    for _ in range(10):
        make_product(cooperative=coop)
    with django_assert_max_num_queries(9):
        body = farmer_client.get("/farm/products/").content.decode()
    assert "Mine" in body and "Theirs" not in body
    assert farmer_client.get(f"/farm/products/{mine.pk}/").status_code == 200
    assert farmer_client.get(f"/farm/products/{theirs.pk}/").status_code == 404
    assert farmer_client.post(f"/farm/products/{theirs.pk}/submit/").status_code == 404
    assert (
        farmer_client.post(f"/farm/products/{theirs.pk}/photos/", {"photos": _photo()}).status_code
        == 404
    )


def test_create_product_with_first_variant(farmer_client, farmer, coop):
    category = make_category()
    response = farmer_client.post(
        "/farm/products/new/",
        {
            "title": "Stone flour",
            "category": category.pk,
            "description": "Fresh",
            "variant_name": "5 kg",
            "variant_price": "39.90",
            "variant_weight_grams": "5100",
            "variant_stock": "10",
        },
    )
    product = Product.objects.get(title_zh_hans="Stone flour")  # the Chinese title
    assert response.status_code == 302
    assert response["Location"] == f"/farm/products/{product.pk}/"
    assert product.cooperative == coop and product.farmer == farmer
    assert product.status == ProductStatus.DRAFT
    assert str(product.variants.get().price) == "39.90"


def test_create_product_bad_input_changes_nothing(farmer_client):
    category = make_category()
    response = farmer_client.post(
        "/farm/products/new/",
        {
            "title": "   ",
            "category": category.pk,
            "variant_name": "5 kg",
            "variant_price": "0",
            "variant_weight_grams": "0",
            "variant_stock": "-1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Product.objects.exists()


def test_service_refusal_is_shown_on_the_field(farmer_client, monkeypatch):
    category = make_category()
    response = farmer_client.post(
        "/farm/products/new/",
        {
            "title": "Flour",
            "category": category.pk,
            "variant_name": "5 kg",
            "variant_price": "100000.00",
            "variant_weight_grams": "5000",
            "variant_stock": "1",
        },
    )
    assert response.status_code == 200
    assert "The price is too high." in response.content.decode()
    assert not Product.objects.exists()  # product and variant are one transaction


def test_photo_upload_several_and_refused_file(farmer_client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    response = farmer_client.post(
        f"/farm/products/{product.pk}/photos/",
        {
            "photos": [
                _photo("a.jpg"),
                _photo("b.png", "PNG"),
                SimpleUploadedFile("c.pdf", pdf_bytes(), content_type="application/pdf"),
            ]
        },
        follow=True,
    )
    body = response.content.decode()
    assert product.images.count() == 2
    assert "2 photo(s) added." in body
    assert "c.pdf was refused: This file is not a JPEG, PNG or WebP photo." in body


def test_photo_upload_by_script_answers_json(farmer_client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    url = f"/farm/products/{product.pk}/photos/"
    xhr = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    ok = farmer_client.post(url, {"photos": _photo()}, **xhr)
    assert ok.status_code == 200 and ok.json() == {"ok": True, "added": 1}
    bad = farmer_client.post(url, {"photos": SimpleUploadedFile("x.pdf", pdf_bytes())}, **xhr)
    assert bad.status_code == 400 and "JPEG" in bad.json()["message"]
    none = farmer_client.post(url, {}, **xhr)
    assert none.status_code == 400
    assert product.images.count() == 1


def test_submit_then_manager_approves(client, farmer_client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    make_photo(product=product)
    farmer_client.post(f"/farm/products/{product.pk}/submit/")
    product.refresh_from_db()
    assert product.status == ProductStatus.PENDING_REVIEW
    # A farmer cannot approve.
    assert farmer_client.post(f"/farm/products/{product.pk}/approve/").status_code == 403
    assert farmer_client.get("/farm/review/").status_code == 403

    manager = make_manager(coop)
    client.force_login(manager)
    assert product.title in client.get("/farm/review/").content.decode()
    client.post(f"/farm/products/{product.pk}/approve/")
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE and product.reviewed_by == manager
    assert client.get(product.get_absolute_url()).status_code == 200


def test_submit_without_variant_is_refused_with_a_message(farmer_client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT, variants=0)
    body = farmer_client.post(f"/farm/products/{product.pk}/submit/", follow=True)
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    assert "at least one active variant" in body.content.decode()


def test_manager_rejects_with_reason_and_farmer_reads_it(client, farmer_client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.PENDING_REVIEW)
    client.force_login(make_manager(coop))
    client.post(f"/farm/products/{product.pk}/reject/", {"reason": ""})
    product.refresh_from_db()
    assert product.status == ProductStatus.PENDING_REVIEW  # no reason, no rejection
    client.post(f"/farm/products/{product.pk}/reject/", {"reason": "Photo is blurry"})
    product.refresh_from_db()
    assert product.status == ProductStatus.REJECTED
    body = farmer_client.get(f"/farm/products/{product.pk}/").content.decode()
    assert "Not approved" in body and "Photo is blurry" in body


def test_manager_of_another_cooperative_cannot_approve(client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.PENDING_REVIEW)
    client.force_login(make_manager(make_cooperative()))
    assert client.post(f"/farm/products/{product.pk}/approve/").status_code == 404


def test_quick_stock_edit(farmer_client, coop):
    product = make_product(cooperative=coop, stock=5)
    variant = product.variants.get()
    url, p = f"/farm/stock/{variant.pk}/", f"v{variant.pk}"
    farmer_client.post(url, {f"{p}-stock_0": "42", f"{p}-stock_1": "5"})
    variant.refresh_from_db()
    assert variant.stock == 42
    farmer_client.post(url, {f"{p}-stock_0": "-3", f"{p}-stock_1": "42"})
    variant.refresh_from_db()
    assert variant.stock == 42
    farmer_client.post(url, {f"{p}-stock_0": "42", f"{p}-stock_1": "42", f"{p}-stock_delta": "-2"})
    variant.refresh_from_db()
    assert variant.stock == 40
    other = make_product().variants.get()
    response = farmer_client.post(
        f"/farm/stock/{other.pk}/", {f"v{other.pk}-stock_0": "1", f"v{other.pk}-stock_1": "10"}
    )
    assert response.status_code == 404
    assert farmer_client.get("/farm/stock/").status_code == 200
    assert farmer_client.get(f"/farm/stock/{variant.pk}/").status_code == 405
    assert_stock_ledger_consistent()


def test_variant_add_edit_and_stop_selling(farmer_client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    farmer_client.post(
        f"/farm/products/{product.pk}/variants/",
        {"new-name": "10 kg", "new-price": "70", "new-weight_grams": "10100", "new-stock": "3"},
    )
    added = product.variants.get(name="10 kg")
    assert added.stock == 3 and added.movements.get().reason == "receipt"
    farmer_client.post(
        f"/farm/products/{product.pk}/variants/{added.pk}/",
        {
            f"v{added.pk}-name": "10 kg sack",
            f"v{added.pk}-price": "72.5",
            f"v{added.pk}-weight_grams": "10100",
            f"v{added.pk}-stock_0": "4",
            f"v{added.pk}-stock_1": "3",
        },
    )
    added.refresh_from_db()
    assert (added.name, str(added.price), added.stock) == ("10 kg sack", "72.50", 4)
    farmer_client.post(f"/farm/products/{product.pk}/variants/{added.pk}/", {"remove": "1"})
    added.refresh_from_db()
    assert not added.is_active
    assert_stock_ledger_consistent()


def test_edit_product_details(farmer_client, coop):
    product = make_product(cooperative=coop, status=ProductStatus.DRAFT)
    farmer_client.post(
        f"/farm/products/{product.pk}/",
        {"title": "<b>New</b> name", "category": product.category_id, "description": "d"},
    )
    product.refresh_from_db()
    assert product.title == "New name"  # the service strips markup


def test_record_batch_and_refuse_bad_dates(farmer_client, coop):
    product = make_product(cooperative=coop)
    response = farmer_client.post(
        "/farm/batches/",
        {
            "product": product.pk,
            "code": "jmn-1",
            "harvested_on": "2026-08-01",
            "milled_on": "2026-09-01",
            "protein_pct": "13.5",
        },
    )
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert batch.code == "JMN-1" and str(batch.protein_pct) == "13.5"
    response = farmer_client.post(
        "/farm/batches/",
        {
            "product": product.pk,
            "code": "JMN-2",
            "harvested_on": "2026-08-01",
            "milled_on": "2026-07-01",
        },
    )
    assert "Milling cannot come before the harvest." in response.content.decode()
    response = farmer_client.post(
        "/farm/batches/",
        {"product": product.pk, "code": "JMN-1", "harvested_on": "2026-08-01"},
    )
    assert response.status_code == 200 and Batch.objects.count() == 1
    other = make_product()
    response = farmer_client.post(
        "/farm/batches/", {"product": other.pk, "code": "X-9", "harvested_on": "2026-08-01"}
    )
    assert response.status_code == 200 and Batch.objects.count() == 1
