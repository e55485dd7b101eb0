"""A cooperative manager sees only their own cooperative in the admin."""

import pytest
from django.urls import reverse

from catalog.constants import ProductStatus
from catalog.models import Batch, Certification, Membership, Product, Variant
from tests.factories import (
    make_batch,
    make_cooperative,
    make_farmer,
    make_manager,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    coop_a, coop_b = make_cooperative(name="Coop A"), make_cooperative(name="Coop B")
    product_a = make_product(cooperative=coop_a, title="Flour of A")
    product_b = make_product(cooperative=coop_b, title="Flour of B")
    batch_b = make_batch(product=product_b, code="B-SECRET")
    cert_b = Certification.objects.create(
        kind="organic", number="ORG-B", issuer="x", cooperative=coop_b
    )
    farmer_b = make_farmer(coop_b, "farmer-of-b")
    manager_a = make_manager(coop_a, "manager-a")
    return locals()


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", [Product, Variant, Batch, Certification, Membership])
def test_changelists_show_only_own_cooperative(client, world, model):
    login(client, world["manager_a"])
    url = reverse(f"admin:catalog_{model._meta.model_name}_changelist")
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Flour of B" not in body and "B-SECRET" not in body and "ORG-B" not in body
    assert "farmer-of-b" not in body


@pytest.mark.parametrize("key", ["product_b", "batch_b", "cert_b", "coop_b"])
def test_other_cooperatives_object_urls_reveal_nothing(client, world, key):
    login(client, world["manager_a"])
    obj = world[key]
    url = reverse(f"admin:catalog_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    # Django redirects to the admin index for an object it cannot find.
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        follow = client.get(response["Location"])
        assert "B-SECRET" not in follow.content.decode()
        assert "Flour of B" not in follow.content.decode()
    # and a POST cannot change it
    client.post(url, {"title": "hijacked"})
    obj.refresh_from_db()
    assert getattr(obj, "title", "") != "hijacked"


def test_foreign_key_choices_are_limited(client, world):
    login(client, world["manager_a"])
    response = client.get(reverse("admin:catalog_product_add"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Coop A" in body and "Coop B" not in body
    assert "farmer-of-b" not in body
    response = client.get(reverse("admin:catalog_batch_add"))
    assert "Flour of B" not in response.content.decode()


def test_manager_cannot_create_a_product_for_another_cooperative(client, world):
    login(client, world["manager_a"])
    response = client.post(
        reverse("admin:catalog_product_add"),
        {
            "cooperative": world["coop_b"].pk,
            "title": "Sneaky",
            "slug": "sneaky",
            "category": world["product_a"].category_id,
            "variants-TOTAL_FORMS": 0,
            "variants-INITIAL_FORMS": 0,
            "images-TOTAL_FORMS": 0,
            "images-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert not Product.objects.filter(slug="sneaky").exists()


def test_platform_staff_see_everything(client, world):
    staff = make_user(is_staff=True, is_platform_staff=True)
    login(client, staff)
    body = client.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert "Flour of A" in body and "Flour of B" in body


def test_buyer_and_farmer_have_no_admin(client, world):
    for user in (make_user(), world["farmer_b"]):
        login(client, user)
        response = client.get(reverse("admin:catalog_product_changelist"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_approve_and_reject_actions_call_the_services(client, world):
    manager = world["manager_a"]
    product = make_product(cooperative=world["coop_a"], status=ProductStatus.PENDING_REVIEW)
    other = make_product(cooperative=world["coop_a"], status=ProductStatus.PENDING_REVIEW)
    login(client, manager)
    url = reverse("admin:catalog_product_changelist")
    client.post(url, {"action": "approve", "_selected_action": [product.pk]})
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE and product.reviewed_by == manager
    # reject asks for a reason first, then applies it
    response = client.post(url, {"action": "reject", "_selected_action": [other.pk]})
    assert response.status_code == 200 and b"reason" in response.content
    client.post(
        url,
        {
            "action": "reject",
            "_selected_action": [other.pk],
            "apply": "1",
            "reason": "Photos missing",
        },
    )
    other.refresh_from_db()
    assert other.status == ProductStatus.REJECTED and other.rejection_reason == "Photos missing"


def test_manager_cannot_approve_another_cooperatives_listing(client, world):
    product_b = world["product_b"]
    Product.objects.filter(pk=product_b.pk).update(status=ProductStatus.PENDING_REVIEW)
    login(client, world["manager_a"])
    client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "approve", "_selected_action": [product_b.pk]},
    )
    product_b.refresh_from_db()
    assert product_b.status == ProductStatus.PENDING_REVIEW


def test_manager_adds_a_member_by_username(client, world):
    newcomer = make_user("newcomer")
    login(client, world["manager_a"])
    response = client.post(
        reverse("admin:catalog_membership_add"),
        {
            "username": "newcomer",
            "cooperative": world["coop_a"].pk,
            "role": "farmer",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, cooperative=world["coop_a"]).exists()
    response = client.post(
        reverse("admin:catalog_membership_add"),
        {
            "username": "newcomer",
            "cooperative": world["coop_b"].pk,
            "role": "manager",
        },
    )
    assert not Membership.objects.filter(user=newcomer, cooperative=world["coop_b"]).exists()


def test_a_listing_is_approved_or_rejected_from_its_page(manager_client, coop):
    """Issue 18: approving a listing was only in the list's actions menu."""
    from catalog.constants import ProductStatus
    from tests.factories import make_product

    product = make_product(cooperative=coop, status=ProductStatus.PENDING_REVIEW)
    page = manager_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    review = f"/admin/catalog/product/{product.pk}/review/"
    assert f'action="{review}"' in page and 'value="approve"' in page
    assert manager_client.get(review).status_code == 405
    manager_client.post(review, {"decision": "reject", "reason": ""})
    product.refresh_from_db()
    assert product.status == ProductStatus.PENDING_REVIEW  # no reason, no rejection
    response = manager_client.post(review, {"decision": "approve"})
    assert response["Location"] == f"/admin/catalog/product/{product.pk}/change/"
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE
    page = manager_client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert f'action="{review}"' not in page
    other = make_product(status=ProductStatus.PENDING_REVIEW)
    response = manager_client.post(
        f"/admin/catalog/product/{other.pk}/review/", {"decision": "approve"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == ProductStatus.PENDING_REVIEW


def test_a_rejection_from_the_page_keeps_the_reason(manager_client, coop):
    from catalog.constants import ProductStatus
    from tests.factories import make_product

    product = make_product(cooperative=coop, status=ProductStatus.PENDING_REVIEW)
    manager_client.post(
        f"/admin/catalog/product/{product.pk}/review/",
        {"decision": "reject", "reason": "Photo is blurry"},
    )
    product.refresh_from_db()
    assert (product.status, product.rejection_reason) == ("rejected", "Photo is blurry")
