"""The GB/T 2260 table, its API and the no-JavaScript selects."""

from __future__ import annotations

import json

import pytest
from django import forms

from regions import selectors
from regions.forms import RegionSelectMixin


def test_table_holds_every_level_with_unique_codes():
    data = json.loads(selectors.DATA_FILE.read_text(encoding="utf-8"))
    codes = [row[0] for row in data["rows"]]
    assert len(codes) == len(set(codes)) > 3000
    assert len(selectors.region_children(None)) == 31  # the mainland's provinces
    assert "2023" in selectors.data_source()
    # Development zones are statistics codes, not divisions: none is in the table.
    assert selectors.region_get("320571") is None  # 苏州工业园区


def test_path_of_a_district_and_of_a_city_without_districts():
    path = selectors.region_path("654326")
    assert (path.province.name, path.city.name, path.district.name) == (
        "新疆维吾尔自治区",
        "阿勒泰地区",
        "吉木乃县",
    )
    dongguan = selectors.region_path("441900")
    assert dongguan.city.name == dongguan.district.name == "东莞市"
    assert selectors.region_children("441900") == ()


@pytest.mark.parametrize("code", ["650000", "654300", "999999", "65432", "６５４３２６", "", None])
def test_only_leaves_have_a_path(code):
    assert selectors.region_path(code) is None


def test_municipalities_have_one_city_named_after_them():
    (city,) = selectors.region_children("500000")
    assert (city.code, city.name) == ("500100", "重庆市")
    assert selectors.region_path("500229").district.name == "城口县"  # a county of Chongqing


def test_names_resolve_to_their_code():
    found = selectors.region_resolve(province="重庆市", city="重庆市", district="城口县")
    assert found.code == "500229"
    assert selectors.region_resolve(province="重庆市", city="重庆市", district="海淀区") is None


@pytest.mark.django_db
def test_api_lists_provinces_then_children(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        body = api_client.get("/api/v1/regions/", {"page_size": 100}).json()
    assert body["count"] == 31
    assert {"code": "650000", "name": "新疆维吾尔自治区", "level": "province"} in body["results"]
    response = api_client.get("/api/v1/regions/", {"parent": "654300"})
    assert "public" in response["Cache-Control"]
    assert {"code": "654326", "name": "吉木乃县", "level": "district"} in response.json()["results"]
    assert api_client.get("/api/v1/regions/", {"parent": "654326"}).json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("parent", ["abc", "65", "", "6543261", "６５４３２６"])
def test_api_refuses_a_malformed_parent(api_client, parent):
    response = api_client.get("/api/v1/regions/", {"parent": parent})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "parent" in response.json()["error"]["details"]


@pytest.mark.django_db
@pytest.mark.parametrize("parent", ["999999", "000000"])
def test_api_answers_404_for_a_well_formed_code_of_no_region(api_client, parent):
    # The schema's pattern admits the code, so it is not bad input: the region is missing.
    response = api_client.get("/api/v1/regions/", {"parent": parent})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


class _Form(RegionSelectMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_region_fields()


def test_selects_fill_level_by_level_without_javascript():
    form = _Form({"region_province": "650000", "region_refresh": "1"})
    assert form.region_refresh_requested
    cities = dict(form.fields["region_city"].choices)
    assert "654300" in cities and "110100" not in cities
    assert list(dict(form.fields["region_code"].choices)) == [""]

    form = _Form({"region_province": "650000", "region_city": "654300", "region_code": "654326"})
    assert form.is_valid() and form.cleaned_data["region_code"] == "654326"
    assert not form.region_refresh_requested


def test_a_city_from_another_province_is_dropped():
    form = _Form({"region_province": "110000", "region_city": "654300", "region_code": "654326"})
    assert form.is_valid()
    assert form.cleaned_data["region_city"] == form.cleaned_data["region_code"] == ""
