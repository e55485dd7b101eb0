"""The impact report: totals equal payments − refunds and the ledger to the fen, the
county and public versions never show a cell of 1 to 4 households (nor one that the
other cells give away), household lines only for the cooperative's managers and
platform staff, a PDF in Chinese with charts, and a public page per county."""

from __future__ import annotations

import io
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from members import services as members
from reports.impact import TOTAL, YEAR, Period, impact_report
from reports.pdf import _yuan, render_impact_pdf
from reports.suppression import MIN_HOUSEHOLDS, Cell, Group, suppress
from tests.factories import make_cooperative, make_county, make_manager, make_product, make_user

from .history import generate, local, paid_order, refund

ROOT = Path(settings.BASE_DIR)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("3")
    settings.PLATFORM_FEE_PERCENT_POVERTY_RELIEF = Decimal("2")


def _households(coop, n: int, poor: int, paid_on: date, amount="100.00"):
    for i in range(n):
        household = members.household_register(
            cooperative=coop, name=f"{coop.name} household {i}", registered_poor=i < poor
        )
        members.produce_payment_record(household=household, paid_on=paid_on, amount=Decimal(amount))


@pytest.mark.slow
def test_totals_equal_payments_less_refunds_and_the_ledger_to_the_fen(fees):
    _coops, (county_a, county_b), first, last = generate(days=60)
    from payments.constants import LedgerKind, PaymentStatus
    from payments.models import LedgerEntry, Payment, Refund

    year_total = Decimal(0)
    for county in (county_a, county_b):
        for month in range(1, 13):
            for year in {first.year, last.year}:
                report = impact_report(county=county, period=Period(year, month), version="county")
                rec = report.reconciliation
                assert rec.reconciled, (county, year, month, rec)
                assert (
                    report.total.paid - report.total.refunds == rec.net_payments == rec.net_ledger
                )
                year_total += report.total.paid - report.total.refunds
    # Over both counties and all months: every payment that paid an order, less every
    # refund of one, straight from the payment and refund rows.
    paying = LedgerEntry.objects.filter(kind=LedgerKind.SALE).values("payment_id")
    paid = sum(Payment.objects.filter(pk__in=paying).values_list("amount", flat=True), Decimal(0))
    refunded = sum(
        Refund.objects.filter(payment__in=paying, status="succeeded").values_list(
            "amount", flat=True
        ),
        Decimal(0),
    )
    assert year_total == paid - refunded
    assert Payment.objects.filter(status=PaymentStatus.REFUNDED).exists()


def test_a_difference_is_shown_not_hidden(fees):
    coop = make_cooperative()
    variant = make_product(cooperative=coop, price="30.00").variants.get()
    day = date(2026, 6, 5)
    order = paid_order([(variant, 1)], local(day, 10))
    refund(order, local(day, 15))
    good = impact_report(county=coop.county, period=Period(2026, 6), version="county")
    assert good.reconciliation.reconciled
    assert good.total.paid == Decimal("42.00") and good.total.refunds == Decimal("42.00")
    order.lines.update(line_total=Decimal("31.00"))
    bad = impact_report(county=coop.county, period=Period(2026, 6), version="county")
    assert not bad.reconciliation.reconciled
    assert bad.reconciliation.paid_orders != bad.reconciliation.ledger_sales


def test_households_reached_with_poor_households_counted_apart(fees):
    county = make_county()
    coop = make_cooperative(county=county)
    _households(coop, 9, 6, date(2026, 3, 3))
    report = impact_report(county=county, period=Period(2026, 3), version="public")
    row = report.rows[0]
    assert (row.households.households, row.households.amount) == (9, Decimal("900.00"))
    assert (row.poor.households, row.poor.amount) == (6, Decimal("600.00"))
    assert not row.households.hidden and not row.poor.hidden


def test_a_dividend_is_split_to_the_fen():
    coop = make_cooperative()
    for i, units in enumerate((1, 1, 1)):
        members.household_register(cooperative=coop, name=f"h{i}", share_units=units)
    dividend = members.dividend_distribute(
        cooperative=coop, amount=Decimal("100.00"), paid_on=date(2026, 1, 5), rule="share_units"
    )
    amounts = sorted(dividend.payments.values_list("amount", flat=True))
    assert amounts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    from storefront.errors import InvalidInput

    for bad in ("0", "-1", "1.001", "abc", "1e12"):
        with pytest.raises(InvalidInput):
            members.dividend_distribute(
                cooperative=coop, amount=bad, paid_on=date(2026, 1, 5), rule="equal"
            )


def _shown_cells(report):
    for row in [*report.rows, report.total]:
        if row.records_households:
            yield row.households
            yield row.poor


def test_county_and_public_versions_never_show_a_cell_of_fewer_than_five_households():
    rng = random.Random(5)
    county = make_county()
    coops = [make_cooperative(county=county) for _ in range(5)]
    for coop in coops:
        for month in rng.sample(range(1, 13), 6):
            _households(
                coop,
                rng.randint(0, 9),
                rng.randint(0, 6),
                date(2026, month, 2),
                amount=str(rng.randint(50, 300)),
            )
    for version in ("county", "public"):
        for month in [None, *range(1, 13)]:
            report = impact_report(county=county, period=Period(2026, month), version=version)
            for cell in _shown_cells(report):
                assert cell.hidden or cell.households == 0 or cell.households >= MIN_HOUSEHOLDS
            # Nothing hidden can be worked out from the county total.
            for kind in ("households", "poor"):
                parts = [getattr(r, kind) for r in report.rows] + [getattr(report.total, kind)]
                assert sum(c.hidden for c in parts) != 1, (version, month, kind)
    # The cooperative's own version shows every household.
    own = impact_report(
        county=county, period=Period(2026, None), version="cooperative", cooperative=coops[0]
    )
    assert own.household_lines and not own.rows[0].households.hidden


def test_complementary_suppression_hides_a_second_cell():
    cells = {
        ("a", 1): Cell(3, Decimal(30)),
        ("b", 1): Cell(8, Decimal(80)),
        ("c", 1): Cell(9, Decimal(90)),
        (TOTAL, 1): Cell(20, Decimal(200)),
    }
    suppress(cells, [Group((("a", 1), ("b", 1), ("c", 1)), (TOTAL, 1))])
    assert [k for k, c in cells.items() if c.hidden] == [("a", 1), ("b", 1)]
    lonely = {("a", YEAR): Cell(2, Decimal(1)), (TOTAL, YEAR): Cell(2, Decimal(1))}
    suppress(lonely, [Group((("a", YEAR),), (TOTAL, YEAR))])
    assert all(c.hidden for c in lonely.values())


def test_household_data_is_for_the_cooperatives_managers_and_platform_staff(client):
    county = make_county(slug="jeminay-x")
    coop, other = make_cooperative(county=county), make_cooperative(county=county)
    _households(coop, 3, 2, date(2026, 2, 2))
    manager, stranger = make_manager(coop), make_manager(other)
    url = f"/admin/reports/impact/?cooperative={coop.pk}&year=2026&month=2"
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert f"{coop.name} household 0" in page
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    # The county version they may see has no household names and hides the small cells.
    county_page = client.get(
        "/admin/reports/impact/?county=jeminay-x&year=2026&month=2"
    ).content.decode()
    assert "household 0" not in county_page and "&lt;5" in county_page
    assert client.get("/admin/reports/impact/?county=nowhere").status_code == 404
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    assert f"{coop.name} household 0" in client.get(url).content.decode()
    client.force_login(make_user())
    assert client.get(url).status_code == 302  # not staff: the admin's login page


def test_the_pdf_is_chinese_with_its_figures(client):
    county = make_county(name="吉木乃县", slug="jeminay-pdf")
    coop = make_cooperative(county=county, name="金麦田合作社")
    _households(coop, 6, 5, date(2026, 2, 2))
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    response = client.get("/admin/reports/impact/pdf/?county=jeminay-pdf&year=2026")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("吉木乃县", "金麦田合作社", "¥600.00", "¥500.00"):
        assert expected in text, expected
    report = impact_report(county=county, period=Period(2026, None), version="county")
    assert render_impact_pdf(report)[:4] == b"%PDF"


def test_pdf_amounts_are_grouped_by_thousands():
    assert _yuan(Decimal("1234567.5")) == "¥1,234,567.50"
    assert _yuan(Decimal("999.99")) == "¥999.99"


def test_the_public_page_shows_aggregates_only(client):
    county = make_county(slug="leishan-x", name="雷山县")
    coop = make_cooperative(county=county)
    _households(coop, 7, 2, date(2026, 2, 2))
    page = client.get("/counties/leishan-x/impact/?year=2026&month=2")
    html = page.content.decode()
    assert page.status_code == 200
    assert "household 0" not in html and "&lt;5" in html and "¥700.00" in html
    assert 'id="report-charts"' in html and "<script>" not in html
    assert client.get("/counties/nowhere/impact/").status_code == 404
    assert client.get("/counties/leishan-x/impact/?year=abc&month=99").status_code == 200


def test_the_pdf_pages_render_with_their_charts(client):
    """The PDF as county officials see it: each page rendered to an image (kept under
    test-artifacts/ to look at), the charts drawn in colour, no page blank."""
    import pypdfium2

    county = make_county(name="吉木乃县", slug="jeminay-png")
    coop = make_cooperative(county=county, name="金麦田合作社")
    for month in (1, 2, 3):
        _households(coop, 6, 4, date(2026, month, 2), amount=f"{80 + 20 * month}.00")
    client.force_login(make_user(is_staff=True, is_platform_staff=True))
    response = client.get("/admin/reports/impact/pdf/?county=jeminay-png&year=2026")
    assert response.status_code == 200
    out = ROOT / "test-artifacts" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(response.content)
    coloured_pages = 0
    for number in range(len(document)):
        image = document[number].render(scale=1.5).to_pil().convert("RGB")
        image.save(out / f"impact-pdf-page-{number + 1}.png")
        raw = image.tobytes()
        pixels = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
        ink = sum(1 for r, g, b in pixels if min(r, g, b) < 200)
        colour = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60)
        assert ink > len(pixels) // 200, f"page {number + 1} is almost blank"
        coloured_pages += colour > len(pixels) // 100
    assert coloured_pages >= 1  # the bar charts are drawn, not only the tables
