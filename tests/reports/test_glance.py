"""Issue 18: the admin home showed a manager nothing at a glance."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.constants import ProductStatus
from fulfilment import services as fulfilment_services
from tests.factories import (
    make_carriers,
    make_manager,
    make_product,
    make_two_coop_order,
    record_sale,
)

pytestmark = pytest.mark.django_db


def test_the_admin_home_shows_a_managers_figures_with_links(client):
    make_carriers()
    order, coop_a, coop_b = make_two_coop_order()
    record_sale(order)
    fulfilment_services.shipments_create_for_order(order_id=order.pk)
    make_product(cooperative=coop_a, status=ProductStatus.PENDING_REVIEW, title="New flour")
    make_product(cooperative=coop_a, stock=2, title="Last bags")
    make_product(cooperative=coop_b, status=ProductStatus.PENDING_REVIEW)
    client.force_login(make_manager(coop_a))
    response = client.get("/admin/")
    g = response.context["g"]
    line = order.lines.get(cooperative=coop_a)
    assert g["today"]["total"] == line.line_total and g["week"]["units"] == line.quantity
    assert (g["to_pack"], g["to_review"]) == (1, 1)  # their cooperative's only
    assert [v.product.title for v in g["low_stock"]] == ["Last bags"]
    assert g["owed"] > 0 and g["owed"] == g["pending"] + g["available"]
    body = response.content.decode()
    assert "At a glance" in body and "Parcels to pack" in body
    for url in (
        reverse("admin:fulfilment_shipment_changelist"),
        reverse("admin:catalog_product_changelist") + "?status__exact=pending_review",
        reverse("admin:catalog_variant_changelist") + "?stock=low",
        reverse("admin:payments_payout_changelist"),
    ):
        assert f'href="{url}"' in body
        assert client.get(url).status_code == 200
    # The low-stock list behind the tile shows those sizes.
    low = client.get(reverse("admin:catalog_variant_changelist") + "?stock=low")
    assert [v.product.title for v in low.context["cl"].result_list] == ["Last bags"]
