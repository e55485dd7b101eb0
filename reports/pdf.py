"""The impact report as a PDF for county officials (A4, Chinese, charts drawn as
vector shapes by fpdf2 itself: no image library, no browser, the same CJK font as the
packing slips).

Only the county version is rendered: aggregates, small household cells suppressed.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from fulfilment.slips import find_cjk_font

from .impact import ImpactReport
from .suppression import MIN_HOUSEHOLDS, Cell

COLOURS = [
    (46, 125, 50),
    (198, 40, 40),
    (120, 144, 156),
    (21, 101, 192),
    (239, 108, 0),
    (106, 27, 154),
]


def _yuan(amount: Decimal | None) -> str:
    if amount is None:
        return _("fewer than %(n)d households") % {"n": MIN_HOUSEHOLDS}
    # Grouped by thousands whatever the locale: Django's zh_Hans has no thousands separator.
    return f"¥{amount:,.2f}"


def _households(cell: Cell, records: bool) -> str:
    if not records:
        return _("not recorded")
    if cell.hidden:
        return _("<%(n)d") % {"n": MIN_HOUSEHOLDS}
    return str(cell.households)


def _bars(pdf: FPDF, items: list[tuple[str, Decimal | None]], *, width: float) -> None:
    """Horizontal bars with their label and amount; a suppressed amount draws no bar."""
    shown = [v for _label, v in items if v is not None]
    top = max([*shown, Decimal(1)])
    label_w, bar_w = 55, width - 55 - 45
    for index, (label, value) in enumerate(items):
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w, 7, label)
        if value is not None and value > 0:
            pdf.set_fill_color(*COLOURS[index % len(COLOURS)])
            pdf.rect(pdf.l_margin + label_w, y + 1, float(value / top) * bar_w, 5, style="F")
        pdf.set_xy(pdf.l_margin + label_w + bar_w + 2, y)
        pdf.cell(43, 7, _yuan(value), align="R")
        pdf.ln(8)


def _month_chart(pdf: FPDF, months: list[dict], *, width: float) -> None:
    """Grouped columns per month: paid by buyers, what reached the cooperatives and what
    reached member households (a suppressed month draws no household column)."""
    height, x0 = 55.0, pdf.l_margin + 12
    y0 = pdf.get_y()
    series = ("paid", "reached", "households")

    def value(month, key) -> Decimal:
        if key == "households":
            return month["households"].shown_amount or Decimal(0)
        return month[key]

    top = max([value(m, k) for m in months for k in series] + [Decimal(1)])
    slot = (width - 12) / len(months)
    bar = (slot - 2) / len(series)
    pdf.set_draw_color(180, 180, 180)
    pdf.line(x0, y0 + height, x0 + width - 12, y0 + height)
    for i, month in enumerate(months):
        x = x0 + i * slot
        for j, key in enumerate(series):
            amount = value(month, key)
            h = float(amount / top) * height if amount > 0 else 0
            pdf.set_fill_color(*COLOURS[j * 2])
            pdf.rect(x + 1 + j * bar, y0 + height - h, bar, h, style="F")
        pdf.set_xy(x, y0 + height + 1)
        pdf.set_font("cjk", size=7)
        pdf.cell(slot, 4, str(month["month"]), align="C")
    pdf.set_font("cjk", size=8)
    pdf.set_xy(x0, y0 + height + 6)
    labels = (_("Paid by buyers"), _("Reached the cooperatives"), _("Reached member households"))
    for j, label in enumerate(labels):
        pdf.set_fill_color(*COLOURS[j * 2])
        pdf.rect(pdf.get_x(), pdf.get_y() + 1, 4, 3, style="F")
        pdf.set_x(pdf.get_x() + 5)
        pdf.cell(50, 5, label)
    pdf.ln(9)


def render_impact_pdf(report: ImpactReport) -> bytes:
    """The county version of ``report`` as PDF bytes."""
    pdf = FPDF(format="A4")
    title = _("Impact report: %(county)s, %(period)s") % {
        "county": report.county.name,
        "period": report.period.label,
    }
    pdf.set_title(title)
    pdf.set_creator("Farmgate")
    pdf.set_creation_date(timezone.now())
    pdf.add_font("cjk", fname=str(find_cjk_font()))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("cjk", size=18)
    pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        0,
        5,
        _(
            "%(province)s. Made by Farmgate on %(date)s from its payment records and ledger. "
            "Household figures are recorded by the cooperatives; cells of fewer than %(n)d "
            "households are not shown."
        )
        % {
            "province": report.county.province,
            "date": timezone.localdate().isoformat(),
            "n": MIN_HOUSEHOLDS,
        },
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)

    total = report.total
    pdf.set_font("cjk", size=13)
    pdf.cell(0, 8, _("Where the money went"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    _bars(
        pdf,
        [
            (_("Paid by buyers"), total.paid),
            (_("Refunded to buyers"), total.refunds),
            (_("Platform fees"), total.fees),
            (_("Reached the cooperatives"), total.reached),
            (_("Paid out to cooperatives"), total.payouts),
            (_("Reached member households"), total.households.shown_amount),
            (_("of which registered poor households"), total.poor.shown_amount),
        ],
        width=width,
    )
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(
        0,
        6,
        _("Households reached: %(all)s, of which registered poor: %(poor)s.")
        % {
            "all": _households(total.households, total.records_households),
            "poor": _households(total.poor, total.records_households),
        },
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)

    if report.months:
        pdf.set_font("cjk", size=13)
        pdf.cell(0, 8, _("Month by month"), new_x="LMARGIN", new_y="NEXT")
        _month_chart(pdf, report.months, width=width)

    pdf.set_font("cjk", size=13)
    pdf.cell(0, 8, _("Cooperatives"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    pdf.set_fill_color(255, 255, 255)  # the charts' last colour must not fill the table
    headings = FontFace(emphasis="", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=(44, 22, 20, 24, 22, 16, 22, 16),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=headings,
    ) as table:
        table.row(
            [
                _("Cooperative"),
                _("Paid by buyers"),
                _("Refunds"),
                _("Reached the cooperative"),
                _("Paid out"),
                _("Households"),
                _("To households"),
                _("Poor households"),
            ]
        )
        for row in [*report.rows, total]:
            table.row(
                [
                    row.cooperative.name if row.cooperative else _("Total"),
                    _yuan(row.paid),
                    _yuan(row.refunds),
                    _yuan(row.reached),
                    _yuan(row.payouts),
                    _households(row.households, row.records_households),
                    _yuan(row.households.shown_amount) if row.records_households else "—",
                    _households(row.poor, row.records_households),
                ]
            )
    pdf.ln(5)

    rec = report.reconciliation
    pdf.set_font("cjk", size=13)
    pdf.cell(0, 8, _("Reconciliation"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    lines = [
        _("Paid by buyers less refunds, from the orders: %(v)s") % {"v": _yuan(rec.net_orders)},
        _("The same from the payments and refunds received and given: %(v)s")
        % {"v": _yuan(rec.net_payments)},
        _("The same from the ledger: %(v)s") % {"v": _yuan(rec.net_ledger)},
        _("Reconciled to the fen.")
        if rec.reconciled
        else _("NOT reconciled: the figures above differ and must be looked into."),
    ]
    for text in lines:
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
