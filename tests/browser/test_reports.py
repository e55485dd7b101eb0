"""Reports in a browser: the dashboard (admin, desktop) with its charts drawn by the
vendored Chart.js under the site's CSP, the admin impact report, and a county's public
impact page on a phone. Screenshots in test-artifacts/screenshots/reports-*.png."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members import services as members
from reports.aggregates import aggregates_build_range
from tests.factories import make_manager, make_user
from tests.reports.history import generate

from .conftest import DESKTOP, PHONE, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _admin_login(page, username: str, password: str = "pw-Secret-123") -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def _watch_csp(page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if "Content Security Policy" in m.text
            or (m.type == "error" and "favicon" not in m.text and "404" not in m.text)
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


def test_dashboards_and_impact_pages_draw_their_charts(new_page, settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("3")
    coops, (county, _other), first, last = generate(days=45, end=timezone.localdate())
    aggregates_build_range(first=first, last=last)
    for i in range(12):
        household = members.household_register(
            cooperative=coops[0], name=f"户{i}", village="托斯特乡", registered_poor=i < 7
        )
        members.produce_payment_record(
            household=household, paid_on=last - timedelta(days=i), amount=Decimal("380.00") + i
        )
    for i in range(3):
        household = members.household_register(
            cooperative=coops[1], name=f"蜂农{i}", registered_poor=True
        )
        members.produce_payment_record(household=household, paid_on=last, amount=Decimal("120.00"))
    staff = make_user("staff", is_staff=True, is_platform_staff=True)
    manager = make_manager(coops[0], username="wheat-manager")

    page = new_page(viewport=DESKTOP)
    problems = _watch_csp(page)
    _admin_login(page, manager.username)
    page.goto("/admin/reports/")
    page.wait_for_selector("canvas[data-chart=sales]")
    page.wait_for_timeout(600)
    assert (
        page.evaluate(
            "() => !!window.Chart && Chart.instances && Object.keys(Chart.instances).length"
        )
        >= 4
    )
    shoot(page, "reports-01-dashboard-cooperative-desktop")
    page.goto(
        f"/admin/reports/impact/?cooperative={coops[0].pk}&year={last.year}&month={last.month}"
    )
    shoot(page, "reports-02-impact-cooperative-desktop")

    staff_page = new_page(viewport=DESKTOP)
    problems += _watch_csp(staff_page)
    _admin_login(staff_page, staff.username)
    staff_page.goto(f"/admin/reports/?county={county.slug}&grain=week")
    staff_page.wait_for_selector("canvas[data-chart=compare]")
    staff_page.wait_for_timeout(600)
    shoot(staff_page, "reports-03-dashboard-county-desktop")
    staff_page.goto("/admin/orders/order/")
    assert (
        staff_page.locator("text=Order lines").count() + staff_page.locator("a.viewlink").count()
        >= 2
    )
    shoot(staff_page, "reports-04-order-list-export-links-desktop")

    phone = new_page(viewport=PHONE)
    problems += _watch_csp(phone)
    phone.goto(f"/counties/{county.slug}/impact/?year={last.year}")
    phone.wait_for_selector("canvas[data-chart=impact]")
    phone.wait_for_timeout(600)
    assert "<5" in phone.inner_text("main")
    shoot(phone, "reports-05-public-impact-phone")
    assert not problems, problems
