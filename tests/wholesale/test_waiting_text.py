"""A contract's quality fields and a delivery's waiting reason, in the reader's language
(the reason is stored as a machine record ``code: details``)."""

from __future__ import annotations

from django.utils import translation

from wholesale.templatetags.wholesale_text import spec_label, waiting_reason


def test_a_short_delivery_reads_as_a_sentence_in_each_language():
    reason = "insufficient_stock: 20 due, 10 in stock; tried again on the next run"
    with translation.override("zh-hans"):
        assert waiting_reason(reason) == "库存不足：应交 20，库存 10。 下次运行时将再试。"
    with translation.override("en"):
        assert waiting_reason(reason) == (
            "Not enough in stock: 20 due, 10 in stock. Tried again on the next run."
        )
    with translation.override("ug"):
        assert "insufficient_stock" not in waiting_reason(reason)


def test_a_refusal_code_reads_as_its_message_and_an_unknown_one_keeps_its_code():
    with translation.override("en"):
        text = waiting_reason("credit_limit_exceeded: This order would take ...")
        assert text.startswith("This order would take the organisation past its credit limit.")
        assert waiting_reason("something_new: x") == (
            "Could not be placed yet (something_new). Tried again on the next run."
        )
        assert waiting_reason("") == ""


def test_quality_fields_are_labelled():
    with translation.override("zh-hans"):
        assert spec_label("protein_pct") == "蛋白质 %"
        assert spec_label("moisture_pct") == "水分 %"
        assert spec_label("odd") == "odd"
