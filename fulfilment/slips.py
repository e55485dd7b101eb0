"""Packing slip PDFs (fpdf2): order number, the cooperative's lines with SKU and batch,
the delivery address, and a QR code of each batch's public trace page.

Chinese text needs a CJK TrueType font; Debian's ``fonts-wqy-microhei`` is looked for
first. ``PACKING_SLIP_FONT`` (a path) overrides the search.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace

from catalog.qr import trace_qr_png
from storefront.pdf_fonts import cjk_font, cjk_font_candidates

from .exceptions import PackingSlipFontMissing
from .models import Shipment


def find_cjk_font() -> Path:
    path = cjk_font()
    if path is None:
        raise PackingSlipFontMissing(details={"searched": list(cjk_font_candidates())})
    return path


def _quantity(line) -> str:
    """Units, and for a line sold by weight what the scale said (or that it must be
    weighed): "1 · 4.873 kg"."""
    if line.final_weight_grams is not None:
        return f"{line.quantity} · {Decimal(line.final_weight_grams) / 1000:.3f} kg"
    if line.price_per_kg is not None:
        return f"{line.quantity} · 待称重 weigh"
    return str(line.quantity)


def render_packing_slip(shipment: Shipment) -> bytes:
    """The slip as PDF bytes (A4). Text is ASCII labels plus whatever the data holds."""
    order = shipment.order
    lines = list(shipment.lines.select_related("order_line", "batch").order_by("order_line_id"))
    font = find_cjk_font()

    pdf = FPDF(format="A4")
    pdf.set_title(f"Packing slip {order.number}")
    pdf.set_creator("Farmgate")
    pdf.set_creation_date(timezone.now())
    pdf.add_font("cjk", fname=str(font))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    pdf.set_font("cjk", size=18)
    pdf.cell(0, 10, "装箱单 Packing slip", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 7, f"订单号 Order: {order.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 7, f"合作社 Cooperative: {shipment.cooperative.name}", new_x="LMARGIN", new_y="NEXT"
    )
    paid = timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M") if order.paid_at else "—"
    pdf.cell(0, 7, f"付款时间 Paid: {paid}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    pdf.set_font("cjk", size=12)
    pdf.cell(0, 7, "收货地址 Ship to:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    for text in order.address_lines():
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    widths = (70, 35, 35, 40)
    pdf.set_font("cjk", size=10)
    # One regular CJK face only: headings are shaded, not bold (no bold face to add).
    headings = FontFace(emphasis="", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=widths, text_align=("LEFT", "LEFT", "LEFT", "RIGHT"), headings_style=headings
    ) as table:
        table.row(["商品 Item", "SKU", "批次 Batch", "数量 Qty"])
        for line in lines:
            table.row(
                [
                    line.order_line.title,
                    line.order_line.sku,
                    line.batch.code if line.batch else "—",
                    _quantity(line.order_line),
                ]
            )
    pdf.ln(6)

    batches = []
    for line in lines:
        if line.batch and line.batch.code not in {b.code for b in batches}:
            batches.append(line.batch)
    if batches:
        pdf.set_font("cjk", size=11)
        pdf.cell(0, 7, "溯源二维码 Trace QR codes", new_x="LMARGIN", new_y="NEXT")
        size = 35
        x0, y = pdf.l_margin, pdf.get_y() + 2
        for i, batch in enumerate(batches):
            x = x0 + (i % 4) * (size + 10)
            if i and i % 4 == 0:
                y += size + 12
            if y + size + 10 > pdf.h - pdf.b_margin:
                pdf.add_page()
                y = pdf.get_y()
            pdf.image(io.BytesIO(trace_qr_png(batch.code)), x=x, y=y, w=size, h=size)
            pdf.set_xy(x, y + size)
            pdf.set_font("cjk", size=8)
            pdf.cell(size, 5, batch.code, align="C")
    return bytes(pdf.output())
