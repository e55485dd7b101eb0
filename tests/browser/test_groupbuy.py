"""Issue 13 on a phone in headless Chromium: a team's share page (state, QR code of
itself, the join form) and the demo pre-sale's page, in Chinese and Uyghur; nothing
wider than the phone. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from catalog.demo import load_demo
from groupbuy.models import PreSale, TeamOffer
from lifecycle.services import groupbuy as gb_flows
from tests.factories import ADDRESS, make_user

from .conftest import PHONE, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_team_share_page_on_a_phone(new_page):
    load_demo(with_photos=False)
    offer = TeamOffer.objects.get(variant__sku="JMN-BF-5")
    order, _ = gb_flows.team_start(offer=offer, user=make_user(), shipping_address=ADDRESS)
    team = order.team_member.team

    page = new_page(viewport=PHONE)
    page.goto(f"/teams/{team.pk}/")
    assert "拼团更省钱" in page.locator("main").inner_text()
    assert page.locator("figure.qr svg").count() == 1
    assert page.locator("button:has-text('参团并付款')").count() == 1
    assert _fits_the_phone(page)
    shoot(page, "groupbuy-01-team-share-phone")

    page = new_page(viewport=PHONE, lang="ug")
    page.goto(f"/teams/{team.pk}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert _fits_the_phone(page)
    shoot(page, "groupbuy-02-team-share-ug-phone")


def test_presale_page_on_a_phone(new_page):
    load_demo(with_photos=False)
    presale = PreSale.objects.get(variant__sku="JMN-BF-10")
    page = new_page(viewport=PHONE)
    page.goto(f"/presales/{presale.pk}/")
    text = page.locator("main").inner_text()
    assert "新粮预售" in text and "500" in text
    assert page.locator("button:has-text('下单并付款')").count() == 1
    assert _fits_the_phone(page)
    shoot(page, "groupbuy-03-presale-phone")
