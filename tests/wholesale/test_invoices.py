"""Invoices, credit notes and payments: gapless numbers under 50 concurrent deliveries,
the receivable right to the fen, the tax rate as data, and the PDF in Chinese."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from fulfilment.models import ShipmentLine
from fulfilment.services import shipments_create_for_order
from lifecycle.services.wholesale import wholesale_invoice_issue, wholesale_invoices_issue_due
from orders.constants import OrderStatus
from orders.models import Order
from storefront.errors import InvalidInput, InvalidState
from tests.concurrency import run_together
from tests.factories import make_batch, make_carriers
from wholesale import exceptions as exc
from wholesale import services
from wholesale.models import CreditAccount, Invoice, TaxRate
from wholesale.pdf import render_invoice
from wholesale.selectors import statement

from .test_orders import _place, _setup

ROOT = Path(__file__).resolve().parents[2]


def _delivered(buyer, variant, qty, po, on_credit=True):
    order, _ = _place(buyer, variant, qty=qty, po=po, on_credit=on_credit)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    order.refresh_from_db()
    return order.wholesale


@pytest.mark.django_db
def test_invoice_credit_note_and_partial_payment_leave_the_receivable_right_to_the_fen():
    _coop, variant, org, buyer, _pl = _setup(price="33.33", limit="100000.00", shipping="12.34")
    TaxRate.objects.create(variant=variant, rate=Decimal("0.09"), note="processed flour")
    wo = _delivered(buyer, variant, 7, "PO-A")
    invoice = services.invoice_issue(wholesale_order=wo)
    # 7 × 33.33 = 233.31 at 9 % (tax-inclusive) + 12.34 shipping, exempt.
    assert invoice.total == wo.order.total == Decimal("245.65")
    goods = invoice.lines.get(sku=variant.sku)
    assert (goods.net, goods.tax, goods.tax_rate) == (
        Decimal("214.05"),
        Decimal("19.26"),
        Decimal("0.0900"),
    )
    assert invoice.net_total + invoice.tax_total == invoice.total
    assert services.invoice_issue(wholesale_order=wo) == invoice  # one per delivery
    note = services.credit_note_issue(invoice=invoice, amount=Decimal("10.01"), reason="2 bags wet")
    assert note.kind == "credit_note" and note.credits == invoice and note.seq == invoice.seq + 1
    assert sum(ln.net + ln.tax for ln in note.lines.all()) == Decimal("10.01")
    assert note.net_total + note.tax_total == Decimal("10.01")
    services.invoice_payment_record(invoice=invoice, amount=Decimal("100.00"), reference="ICBC-001")
    s = statement(organisation_id=org.pk)
    assert (s.invoiced, s.credited, s.paid) == (
        Decimal("245.65"),
        Decimal("10.01"),
        Decimal("100.00"),
    )
    assert s.receivable == Decimal("135.64") == Invoice.objects.get(pk=invoice.pk).outstanding
    assert CreditAccount.objects.get(organisation=org).used == Decimal("135.64")
    with pytest.raises(exc.InvoiceOverpaid):
        services.invoice_payment_record(invoice=invoice, amount=Decimal("135.65"), reference="X")
    with pytest.raises(InvalidInput):
        services.invoice_payment_record(
            invoice=invoice, amount=Decimal("1.00"), reference="ICBC-001"
        )
    with pytest.raises(InvalidInput):
        services.invoice_payment_record(invoice=invoice, amount=Decimal("0.001"), reference="Y")
    with pytest.raises(exc.CreditNoteTooLarge):
        services.credit_note_issue(invoice=invoice, amount=Decimal("135.65"), reason="x")
    services.invoice_payment_record(invoice=invoice, amount=Decimal("135.64"), reference="ICBC-002")
    s = statement(organisation_id=org.pk)
    assert s.receivable == 0 and CreditAccount.objects.get(organisation=org).used == 0


@pytest.mark.django_db
def test_the_invoice_of_a_delivery_lists_its_batches_and_the_pdf_renders_chinese():
    make_carriers()
    coop, variant, _org, buyer, _pl = _setup(limit="100000.00")
    coop.name = "吉木乃县金麦田面粉合作社"
    coop.save()
    batch = make_batch(product=variant.product, code="JMN-2026-08", ash_pct=Decimal("0.55"))
    order, _ = _place(buyer, variant, qty=12, po="PO-大单", on_credit=True)
    shipments_create_for_order(order_id=order.pk)
    ShipmentLine.objects.filter(order_line__order=order).update(batch=batch)
    with pytest.raises(InvalidState):
        wholesale_invoice_issue(wholesale_order=order.wholesale)  # not delivered yet
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    assert wholesale_invoices_issue_due() == 1
    assert wholesale_invoices_issue_due() == 0
    invoice = Invoice.objects.get(wholesale_order__order=order)
    assert invoice.batches[0]["code"] == "JMN-2026-08"
    assert invoice.batches[0]["protein_pct"] == "13.50" and invoice.batches[0]["ash_pct"] == "0.55"
    assert invoice.e_invoice_id == ""  # submitted on commit (none in this test transaction)
    pdf = render_invoice(invoice)
    assert pdf.startswith(b"%PDF")
    note = services.credit_note_issue(invoice=invoice, amount=Decimal("90.00"), reason="退货 2 袋")
    # Each page as an image (kept under test-artifacts/ to look at): ink on every page,
    # the credit note's red heading in colour, and the Chinese text in the text layer.
    import pypdfium2

    out = ROOT / "test-artifacts" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for name, data in (("invoice", pdf), ("credit-note", render_invoice(note))):
        document = pypdfium2.PdfDocument(data)
        text = document[0].get_textpage().get_text_range()
        assert "发票" in text and "吉木乃" in text, text[:200]
        image = document[0].render(scale=1.5).to_pil().convert("RGB")
        image.save(out / f"wholesale-{name}-page-1.png")
        pixels = list(image.get_flattened_data())
        assert sum(1 for r, g, b in pixels if min(r, g, b) < 200) > len(pixels) // 200
        red = sum(1 for r, g, b in pixels if r > 150 and g < 80 and b < 80)
        assert (red > 50) is (name == "credit-note")
    assert "JMN-2026-08" in pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_stay_gapless_under_fifty_concurrent_deliveries():
    coop, variant, _org, buyer, _pl = _setup(limit="1000000.00")
    orders = [_delivered(buyer, variant, 1, f"PO-{i}") for i in range(50)]

    def work(i):
        return services.invoice_issue(wholesale_order=orders[i]).seq

    results = run_together(50, work)
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results) == list(range(1, 51))
    seqs = list(Invoice.objects.filter(cooperative=coop).values_list("seq", flat=True))
    assert sorted(seqs) == list(range(1, 51))
    # Issued at once, submitted to the (sandbox) e-invoice provider after commit.
    assert not Invoice.objects.filter(e_invoice_id="").exists()
    assert timezone.localdate() <= Invoice.objects.first().due_on
