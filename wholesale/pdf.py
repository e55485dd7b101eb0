"""Invoice and credit-note PDFs (fpdf2): seller and buyer tax details, lines with
their tax rate, totals, and the delivery's batch certificate (quality figures and the
trace QR of each batch shipped).

Chinese text needs a CJK TrueType font; the same fonts as the packing slip are looked
for (``PACKING_SLIP_FONT`` overrides the search)."""

from __future__ import annotations

import io
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace

from catalog.qr import trace_qr_png
from storefront.errors import ApplicationError
from storefront.pdf_fonts import cjk_font, cjk_font_candidates

from .constants import InvoiceKind
from .models import Invoice


class InvoiceFontMissing(ApplicationError):
    code = "invoice_font_missing"
    status_code = 500
    default_message = "No CJK font is installed for invoice PDFs (fonts-wqy-microhei)."


def _font() -> Path:
    path = cjk_font()
    if path is None:
        raise InvoiceFontMissing(details={"searched": list(cjk_font_candidates())})
    return path


def _rate(rate) -> str:
    return "免税 exempt" if not rate else f"{rate * 100:.0f}%"


def render_invoice(invoice: Invoice) -> bytes:
    """The invoice (or credit note) as PDF bytes (A4)."""
    lines = list(invoice.lines.all())
    red = invoice.kind == InvoiceKind.CREDIT_NOTE
    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {invoice.number}")
    pdf.set_creator("Farmgate")
    pdf.set_creation_date(timezone.now())
    pdf.add_font("cjk", fname=str(_font()))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def text(size, value, h=7):
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(0, h, value, new_x="LMARGIN", new_y="NEXT")

    if red:
        pdf.set_text_color(180, 0, 0)
    text(18, "红字发票（销项负数）Credit note" if red else "发票 Invoice", h=10)
    pdf.set_text_color(0, 0, 0)
    issued = timezone.localtime(invoice.issued_at).strftime("%Y-%m-%d")
    text(11, f"发票号码 No.: {invoice.number}    开票日期 Date: {issued}")
    if invoice.due_on:
        text(11, f"付款期限 Due: {invoice.due_on}")
    if red and invoice.credits_id:
        text(
            11,
            f"对应蓝字发票 Credits invoice: {invoice.credits.number}"
            f"    原因 Reason: {invoice.reason}",
        )
    if invoice.wholesale_order_id:
        wo = invoice.wholesale_order
        text(11, f"采购单号 PO: {wo.po_number}    订单号 Order: {wo.order.number}")
    pdf.ln(2)
    buyer, seller = invoice.buyer, invoice.seller
    text(12, "购买方 Buyer")
    text(10, f"名称: {buyer.get('name', '')}", h=6)
    text(
        10,
        f"统一社会信用代码/纳税人识别号: {buyer.get('credit_code', '')}"
        f" / {buyer.get('tax_number', '')}",
        h=6,
    )
    text(10, f"地址: {buyer.get('address', '')}    开户行及账号: {buyer.get('bank', '')}", h=6)
    pdf.ln(1)
    text(12, "销售方 Seller")
    text(
        10,
        f"名称: {seller.get('name', '')}    电话: {seller.get('phone', '')}"
        f"    {seller.get('county', '')}",
        h=6,
    )
    pdf.ln(3)

    def money(value) -> str:
        return f"-{value:.2f}" if red and value else f"{value:.2f}"

    pdf.set_font("cjk", size=9)
    headings = FontFace(emphasis="", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=(62, 26, 16, 22, 24, 18, 22),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=headings,
    ) as table:
        table.row(
            ["货物名称 Item", "SKU", "数量 Qty", "单价 Price", "金额 Net", "税率 Rate", "税额 Tax"]
        )
        for ln in lines:
            qty = f"{ln.quantity.normalize():f}" if ln.quantity else ""
            price = f"{ln.unit_price:.2f}" if ln.unit_price else ""
            table.row(
                [
                    ln.description,
                    ln.sku,
                    qty,
                    price,
                    money(ln.net),
                    _rate(ln.tax_rate),
                    money(ln.tax),
                ]
            )
    pdf.ln(2)
    text(
        11,
        f"合计 Net {money(invoice.net_total)}    税额 Tax {money(invoice.tax_total)}"
        f"    价税合计 Total ¥{money(invoice.total)}",
    )
    if not red:
        text(
            10,
            f"已结 Settled ¥{invoice.settled:.2f}    未付 Outstanding ¥{invoice.outstanding:.2f}",
        )

    if invoice.batches:
        pdf.ln(3)
        text(12, "批次质量证明 Batch certificate")
        pdf.set_font("cjk", size=9)
        with pdf.table(col_widths=(34, 26, 26, 22, 22, 22, 22), headings_style=headings) as table:
            table.row(
                [
                    "批次 Batch",
                    "收获 Harvested",
                    "磨粉 Milled",
                    "蛋白质 Protein %",
                    "水分 Moisture %",
                    "灰分 Ash %",
                    "面筋 Gluten %",
                ]
            )
            for b in invoice.batches:
                table.row(
                    [
                        b.get("code", ""),
                        b.get("harvested_on", ""),
                        b.get("milled_on", ""),
                        b.get("protein_pct", ""),
                        b.get("moisture_pct", ""),
                        b.get("ash_pct", ""),
                        b.get("gluten_pct", ""),
                    ]
                )
        pdf.ln(3)
        size = 30
        x0, y = pdf.l_margin, pdf.get_y()
        if y + size + 10 > pdf.h - pdf.b_margin:
            pdf.add_page()
            y = pdf.get_y()
        for i, b in enumerate(invoice.batches[:5]):
            x = x0 + i * (size + 8)
            pdf.image(io.BytesIO(trace_qr_png(b["code"])), x=x, y=y, w=size, h=size)
            pdf.set_xy(x, y + size)
            pdf.set_font("cjk", size=8)
            pdf.cell(size, 5, b["code"], align="C")
    return bytes(pdf.output())
