"""Issue 20 item 5 in a browser: a cooperative with many products shows 24 per page on a
phone, with the product list's pager, and the county page likewise. Screenshots:
test-artifacts/screenshots/paging-*.png (looked at)."""

from __future__ import annotations

import pytest

from tests.factories import make_cooperative, make_county, make_product

from .conftest import PHONE, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CARD = "article.product-card"


@pytest.mark.parametrize("lang", ["zh-hans", "ug"])
def test_cooperative_and_county_pages_page_through_their_products_on_a_phone(new_page, lang):
    county = make_county(name="Qitai", slug="qitai")
    coop = make_cooperative(county=county, name="Tianshan Wheat", slug="tianshan")
    for i in range(30):
        make_product(cooperative=coop, title=f"Flour {i:02}", stock=0 if i == 3 else 10)
    page = new_page(viewport=PHONE, lang=lang)
    for name, url in (
        ("cooperative", coop.get_absolute_url()),
        ("county", county.get_absolute_url()),
    ):
        page.goto(url)
        assert page.locator(CARD).count() == 24
        # Nothing wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        pager = page.locator("nav.pager")
        assert pager.is_visible()
        shoot(page, f"paging-{name}-{lang}-1")
        pager.locator("a[rel=next]").click()
        page.wait_for_load_state()
        assert page.url.endswith("page=2#products")
        assert page.locator(CARD).count() == 6
        assert page.locator("nav.pager a[rel=prev]").is_visible()
        page.screenshot(path=str(shoot(page, f"paging-{name}-{lang}-2").with_suffix(".view.png")))
