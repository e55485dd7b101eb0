"""Dashboards: scoped like the rest of the admin (a manager sees their cooperative only,
404 elsewhere), a county's cooperatives side by side for platform staff, every chart also
a table, a fixed number of queries whatever the data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reports.aggregates import aggregates_build_range
from tests.factories import make_cooperative, make_county, make_manager, make_product, make_user

from .history import local, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    county = make_county(slug="dash-county")
    coop_a, coop_b = (
        make_cooperative(county=county, name="Wheat"),
        make_cooperative(county=county, name="Honey"),
    )
    today = timezone.localdate()
    for coop, price in ((coop_a, "10.00"), (coop_b, "25.00")):
        variant = make_product(
            cooperative=coop, price=price, title=f"{coop.name} product"
        ).variants.get()
        for days_ago in (1, 3, 5):
            paid_order([(variant, 2)], local(today - timedelta(days=days_ago), 10))
    aggregates_build_range(first=today - timedelta(days=6), last=today)
    return coop_a, coop_b


def _charts(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="report-charts" type="application/json">') + len(
        '<script id="report-charts" type="application/json">'
    )
    return {c["id"]: c for c in json.loads(html[start : html.index("</script>", start)])["charts"]}


def test_a_manager_sees_their_cooperative_and_no_other(client, sales):
    coop_a, coop_b = sales
    client.force_login(make_manager(coop_a))
    response = client.get("/admin/reports/")
    assert response.status_code == 200
    charts = _charts(response)
    assert sum(float(v) for v in charts["sales"]["series"][0]["data"]) == 3 * (20 + 12)
    assert charts["products"]["labels"] == ["Wheat product"]
    html = response.content.decode()
    assert "Days of stock left" in html and "<table" in html
    for url in (
        f"/admin/reports/?cooperative={coop_b.pk}",
        "/admin/reports/?county=dash-county",
        "/admin/reports/?cooperative=nope",
    ):
        assert client.get(url).status_code == 404, url
    client.force_login(make_user())
    assert client.get("/admin/reports/").status_code == 302  # to the admin's login


def test_platform_staff_see_a_county_side_by_side_and_all_counties(client, sales):
    coop_a, coop_b = sales
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    county = _charts(client.get("/admin/reports/?county=dash-county&grain=week"))
    assert sorted(county["compare"]["labels"]) == ["Honey", "Wheat"]
    everything = _charts(client.get("/admin/reports/"))
    assert everything["compare"]["labels"] == [coop_a.county.name]
    one = client.get(
        f"/admin/reports/?cooperative={coop_b.pk}&grain=month&first=2026-01-01&last=2026-12-31"
    )
    assert one.status_code == 200
    bad = client.get("/admin/reports/?first=2026-13-01")
    assert bad.status_code == 200  # told, and shown the default range


def test_the_dashboard_costs_a_fixed_number_of_queries(
    client, sales, django_assert_max_num_queries
):
    coop_a, _ = sales
    staff = make_user(is_staff=True, is_platform_staff=True)
    client.force_login(staff)
    with django_assert_max_num_queries(30):
        client.get("/admin/reports/?county=dash-county")
    with django_assert_max_num_queries(30):
        client.get(f"/admin/reports/?cooperative={coop_a.pk}")
