"""The site header's menu on a small phone (360x740): with every item a manager has
(My farm, the admin, Log out) it wraps instead of scrolling sideways, in Chinese and in
Uyghur (right to left). Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from catalog.demo import load_demo

from .conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SMALL = {"width": 360, "height": 740}


@pytest.mark.parametrize("lang", ["zh-hans", "ug"])
def test_every_menu_item_is_in_view_at_360_px(new_page, lang):
    load_demo()
    page = new_page(viewport=SMALL, lang=lang)
    log_in(page, "jeminay-manager")
    page.goto("/products/")
    items = page.locator("header .nav a, header .nav button")
    assert items.count() >= 7  # products, cart, orders, news, my farm, admin, log out
    assert page.locator('header .nav a[href="/farm/"]').count() == 1
    for i in range(items.count()):
        box = items.nth(i).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL["width"], (
            items.nth(i).inner_text(),
            box,
        )
    nav = page.locator("header .nav")
    assert nav.evaluate("n => n.scrollWidth <= n.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
    shoot(page, f"header-menu-360-{lang}")
