"""The catalogue admin writes through the services: photos, batches, certifications,
memberships, products, variants; refusals save nothing; records are read-only."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.admin import ReadOnlyScopedAdmin, ServiceWrites
from catalog.constants import ProductStatus
from catalog.models import (
    AuditEvent,
    Batch,
    Certification,
    Membership,
    Product,
    ProductImage,
    StockMovement,
    Variant,
)
from catalog.services import product_image_add, product_submit
from tests import images
from tests.factories import (
    assert_stock_ledger_consistent,
    make_category,
    make_cooperative,
    make_farmer,
    make_photo,
    make_product,
    make_user,
)
from tests.forms import form_data

pytestmark = pytest.mark.django_db


def _jpeg(exif_gps=False, color=(200, 180, 120)):
    return SimpleUploadedFile(
        "IMG_0001.jpg",
        images.photo("JPEG", exif_gps=exif_gps, color=color),
        content_type="image/jpeg",
    )


def test_every_catalogue_admin_writes_through_services_or_only_reads():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "catalog":
            continue
        name = type(model_admin).__name__
        if isinstance(model_admin, ReadOnlyScopedAdmin):
            continue
        assert isinstance(model_admin, ServiceWrites), name
        assert type(model_admin).service_save is not ServiceWrites.service_save, name
        platform = make_user(is_staff=True, is_platform_staff=True)
        request = type("R", (), {"user": platform})()
        if model_admin.has_delete_permission(request):
            assert type(model_admin).service_delete is not ServiceWrites.service_delete, name


def test_a_photo_replaced_in_the_admin_is_cleaned_like_a_new_one(
    manager_client, coop, django_capture_on_commit_callbacks
):
    """Issue 12 item 11: the replaced photo carried EXIF/GPS and got no thumbnail."""
    product = make_product(cooperative=coop)
    with django_capture_on_commit_callbacks(execute=True):
        old = product_image_add(product=product, upload=_jpeg())
    old.refresh_from_db()
    old_name, old_thumb = old.image.name, old.thumbnail.name
    assert old_thumb
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = form_data(manager_client.get(url).content.decode(), id="product_form")
    raw = images.photo("JPEG", exif_gps=True, color=(20, 90, 200))
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825), "the fixture carries GPS"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager_client.post(
            url, {**data, "images-0-image": SimpleUploadedFile("IMG_0002.jpg", raw, "image/jpeg")}
        )
    assert response.status_code == 302
    image = ProductImage.objects.get(pk=old.pk)
    assert image.image.name != old_name and "IMG" not in image.image.name
    with image.image.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
        assert not stored.getexif() and "exif" not in stored.info
        assert stored.getpixel((10, 10))[2] > 150  # the new picture, not the old one
    # The thumbnail task ran for the new photo (eager in tests, sent on commit).
    assert len(callbacks) >= 1
    assert image.thumbnail and image.thumbnail.name != old_thumb
    assert image.thumbnail.storage.exists(image.thumbnail.name)
    assert not image.image.storage.exists(old_name)  # the old file is gone


def test_a_replacement_that_is_not_a_photo_is_refused(manager_client, coop):
    product = make_product(cooperative=coop)
    image = product_image_add(product=product, upload=_jpeg())
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = form_data(manager_client.get(url).content.decode(), id="product_form")
    bad = SimpleUploadedFile("x.jpg", images.pdf_bytes(), "image/jpeg")
    response = manager_client.post(url, {**data, "images-0-image": bad})
    assert response.status_code == 200
    body = response.content.decode()
    # Django's image field or the photo check refuses it, with the form shown again.
    assert "Upload a valid image." in body or "This file is not a JPEG, PNG" in body
    assert ProductImage.objects.get(pk=image.pk).image.name == image.image.name


def test_a_product_added_in_the_admin_gets_its_slug_and_opening_stock_from_the_services(
    manager_client, coop, manager
):
    farmer = make_farmer(coop, "farmer-a")
    page = manager_client.get("/admin/catalog/product/add/").content.decode()
    data = form_data(page, id="product_form")
    data.update(
        {
            "cooperative": str(coop.pk),
            "title_zh_hans": "<b>Stone</b> flour",  # the Chinese title's column
            "category": str(make_category().pk),
            "farmer": str(farmer.pk),
            "variants-TOTAL_FORMS": "1",
            "variants-0-name": "5 kg",
            "variants-0-price": "39.90",
            "variants-0-weight_grams": "5100",
            "variants-0-stock_0": "25",
            "variants-0-is_active": "on",
            "variants-0-position": "0",
        }
    )
    response = manager_client.post("/admin/catalog/product/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get()
    assert (product.title, product.slug, product.status) == ("Stone flour", "stone-flour", "draft")
    variant = product.variants.get()
    assert variant.stock == 25 and variant.sku.startswith("FG-")
    movement = variant.movements.get()
    assert (movement.reason, movement.delta, movement.actor_id) == ("receipt", 25, manager.pk)
    price = AuditEvent.objects.get(action="price")
    assert (price.actor_id, price.changes) == (manager.pk, {"price": [None, "39.90"]})


def test_a_farmer_of_another_cooperative_cannot_be_named_producer(client, coop):
    other_farmer = make_farmer(make_cooperative(), "outsider")
    product = make_product(cooperative=coop)
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = form_data(client.get(url).content.decode(), id="product_form")
    response = client.post(url, {**data, "farmer": str(other_farmer.pk)})
    assert response.status_code == 200
    assert "must be a member of the cooperative" in response.content.decode()
    product.refresh_from_db()
    assert product.farmer is None


def test_only_a_listing_that_never_held_stock_is_deleted(client, coop):
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    draft = make_product(cooperative=coop, status=ProductStatus.DRAFT, variants=0)
    live = make_product(cooperative=coop)
    response = client.post(f"/admin/catalog/product/{draft.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Product.objects.filter(pk=draft.pk).exists()
    response = client.post(f"/admin/catalog/product/{live.pk}/delete/", {"post": "yes"})
    assert Product.objects.filter(pk=live.pk).exists()
    # Django itself refuses (its movements protect it), or the service does: never a 500.
    assert response.status_code in (200, 302)
    response = client.post(
        "/admin/catalog/product/",
        {"action": "delete_selected", "_selected_action": [live.pk], "post": "yes"},
        follow=True,
    )
    assert Product.objects.filter(pk=live.pk).exists()
    assert AuditEvent.objects.filter(action="listing", changes__status=["draft", None]).count() == 1


def test_the_variant_page_changes_stock_only_as_a_recorded_change(manager_client, coop, manager):
    variant = make_product(cooperative=coop, stock=10).variants.get()
    url = f"/admin/catalog/variant/{variant.pk}/change/"
    data = form_data(manager_client.get(url).content.decode(), id="variant_form")
    assert "stock" not in data and data["stock_1"] == "10"
    response = manager_client.post(url, {**data, "stock_delta": "-4", "stock_note": "mice"})
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.stock == 6
    movement = variant.movements.first()
    assert (movement.delta, movement.reason, movement.note, movement.actor_id) == (
        -4,
        "correction",
        "mice",
        manager.pk,
    )
    # A bare "stock" as the old form sent it is ignored: no figure without the one shown.
    manager_client.post(url, {**data, "stock": "99", "stock_0": "", "stock_1": ""})
    variant.refresh_from_db()
    assert variant.stock == 6
    assert_stock_ledger_consistent()


def test_variants_are_never_deleted_in_the_admin(client, coop):
    variant = make_product(cooperative=coop).variants.get()
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    response = client.post(f"/admin/catalog/variant/{variant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Variant.objects.filter(pk=variant.pk).exists()


def test_a_batch_saved_in_the_admin_follows_the_batch_rules(manager_client, coop):
    product = make_product(cooperative=coop)
    base = {"product": str(product.pk), "harvested_on": "2026-08-01", "milled_on": "2026-09-01"}
    response = manager_client.post(
        "/admin/catalog/batch/add/", {**base, "code": " jmn 2026/09 a ", "protein_pct": "101"}
    )
    assert response.status_code == 200  # shown again, with the service's rule on the field
    assert "A percentage is between 0 and 100." in response.content.decode()
    assert not Batch.objects.exists()
    response = manager_client.post(
        "/admin/catalog/batch/add/",
        {**base, "code": " jmn 2026/09 a ", "protein_pct": "13.5", "moisture_pct": "13.0"},
    )
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert batch.code == "JMN-2026-09-A"
    url = f"/admin/catalog/batch/{batch.pk}/change/"
    data = form_data(manager_client.get(url).content.decode(), id="batch_form")
    response = manager_client.post(url, {**data, "moisture_pct": "-2", "milled_on": "2026-07-01"})
    body = response.content.decode()
    assert "A percentage is between 0 and 100." in body
    assert "Milling cannot come before the harvest." in body
    batch.refresh_from_db()
    assert batch.moisture_pct == Decimal("13.0") and batch.milled_on == date(2026, 9, 1)


def test_a_certification_for_another_cooperatives_product_is_refused(client, coop):
    theirs = make_product(cooperative=make_cooperative())
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    url = "/admin/catalog/certification/add/"
    cert = {"kind": "organic", "number": " ORG-1 ", "issuer": "Bureau", "cooperative": coop.pk}
    response = client.post(url, {**cert, "product": theirs.pk})
    assert response.status_code == 200
    assert "Choose a product of the same cooperative." in response.content.decode()
    assert not Certification.objects.exists()
    client.post(url, cert)
    assert Certification.objects.get().number == "ORG-1"


def test_memberships_granted_and_ended_in_the_admin_are_audited(manager_client, coop, manager):
    newcomer = make_user("newcomer")
    manager_client.post(
        "/admin/catalog/membership/add/",
        {"username": "newcomer", "cooperative": coop.pk, "role": "manager"},
    )
    membership = Membership.objects.get(user=newcomer)
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    manager_client.post(f"/admin/catalog/membership/{membership.pk}/delete/", {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    newcomer.refresh_from_db()
    assert not newcomer.is_staff  # manages nothing any more: no admin
    events = list(AuditEvent.objects.filter(action="membership").order_by("id"))
    assert [(e.actor_id, e.changes["role"], e.note) for e in events[-2:]] == [
        (manager.pk, [None, "manager"], "granted"),
        (manager.pk, ["manager", None], "revoked"),
    ]


def test_managers_see_their_own_cooperatives_audit_trail_and_movements_only(
    manager_client, coop, django_assert_max_num_queries
):
    mine = make_product(cooperative=coop, title="Our flour")
    theirs = make_product(title="Their flour")
    for product in (mine, theirs):
        Product.objects.filter(pk=product.pk).update(status="draft")
        make_photo(product=product)
        product_submit(product=product)
    with django_assert_max_num_queries(12):
        body = manager_client.get("/admin/catalog/auditevent/").content.decode()
    assert "Our flour" in body and "Their flour" not in body
    assert "status: draft → pending_review" in body
    body = manager_client.get("/admin/catalog/stockmovement/").content.decode()
    assert "Our flour" in body and "Their flour" not in body
    other = StockMovement.objects.get(variant__product=theirs)
    response = manager_client.get(f"/admin/catalog/stockmovement/{other.pk}/change/")
    assert response.status_code == 302  # not found for this manager: back to the index


def test_records_are_read_only_even_for_platform_staff(client, coop):
    variant = make_product(cooperative=coop).variants.get()
    movement = variant.movements.get()
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    assert client.get("/admin/catalog/stockmovement/add/").status_code == 403
    client.post(f"/admin/catalog/stockmovement/{movement.pk}/change/", {"delta": "100"})
    client.post(f"/admin/catalog/stockmovement/{movement.pk}/delete/", {"post": "yes"})
    movement.refresh_from_db()
    assert movement.delta == 10
    assert client.get(f"/admin/catalog/stockmovement/{movement.pk}/change/").status_code == 200


def test_the_variant_list_stock_column_sends_the_figure_it_showed(
    manager_client, coop, django_assert_max_num_queries
):
    variants = [make_product(cooperative=coop, stock=10).variants.get() for _ in range(6)]
    with django_assert_max_num_queries(14):
        page = manager_client.get("/admin/catalog/variant/").content.decode()
    data = form_data(page, id="changelist-form")
    rows = {data[f"form-{i}-id"]: i for i in range(6)}
    i = rows[str(variants[0].pk)]
    response = manager_client.post(
        "/admin/catalog/variant/",
        {**data, f"form-{i}-stock_0": "3", f"form-{i}-price": "12.50", "_save": "Save"},
    )
    assert response.status_code == 302
    variants[0].refresh_from_db()
    assert (variants[0].stock, variants[0].price) == (3, Decimal("12.50"))
    assert Variant.objects.filter(stock=10).count() == 5  # untouched rows saved nothing
    assert StockMovement.objects.filter(reason="correction").count() == 1
    assert_stock_ledger_consistent()


def test_a_cooperative_logo_uploaded_in_the_admin_is_re_encoded(manager_client, coop):
    url = f"/admin/catalog/cooperative/{coop.pk}/change/"
    data = form_data(manager_client.get(url).content.decode(), id="cooperative_form")
    response = manager_client.post(
        url, {**data, "story": "<script>x</script>Our wheat", "logo": _jpeg(exif_gps=True)}
    )
    assert response.status_code == 302
    coop.refresh_from_db()
    assert coop.story == "Our wheat"  # cleaned by the service
    with coop.logo.open("rb") as f:
        assert not Image.open(io.BytesIO(f.read())).getexif()
    assert "IMG" not in coop.logo.name
