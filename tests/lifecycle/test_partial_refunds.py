"""Partial refunds: a weighed line's difference (issue 14 §6) and units of a line given
back after their share of the discount (issue 13 §1), through payments' partial refunds
and the ledger."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum

from lifecycle import services as flows
from lifecycle.services.channels import order_net_paid
from lifecycle.services.partial import line_units_amounts
from orders.constants import OrderStatus
from payments import services as payments
from payments.constants import LedgerKind, PaymentStatus, RefundStatus
from payments.models import LedgerEntry, Payment, Refund
from storefront.errors import ApplicationError
from tests.factories import make_cooperative, make_county, make_product, make_user, make_voucher
from tests.lifecycle.weight_helpers import make_weight_variant, pay_in_wallet, place_and_pay

pytestmark = pytest.mark.django_db


def _sum(qs) -> D:
    return qs.aggregate(s=Sum("amount"))["s"] or D("0")


def _coop_with_fee():
    return make_cooperative(county=make_county(poverty_relief=False))


def _weigh(line, grams, *, by=None, capture):
    with capture(execute=True):
        return flows.line_weigh(line_id=line.pk, grams=grams, by=by)


def test_the_issues_example_weighed_three_times_refunds_0_86_once(
    django_capture_on_commit_callbacks, settings
):
    settings.PLATFORM_FEE_PERCENT = "3"
    variant = make_weight_variant(cooperative=_coop_with_fee())
    assert variant.price == D("34.00")
    order, payment = place_and_pay([(variant, 1)])
    line = order.lines.get()
    assert (line.line_total, line.price_per_kg, line.estimated_weight_grams) == (
        D("34.00"),
        D("6.80"),
        5000,
    )
    packer = make_user()
    for _ in range(3):
        result = _weigh(line, 4873, by=packer, capture=django_capture_on_commit_callbacks)
    line.refresh_from_db()
    assert (line.final_weight_grams, line.final_amount) == (4873, D("33.14"))
    assert line.weighed_by == packer and line.weighed_at is not None
    refund = Refund.objects.get(payment=payment)
    assert result.refund == refund and not result.created
    assert (refund.amount, refund.key, refund.status) == (
        D("0.86"),
        f"weigh:line:{line.pk}",
        RefundStatus.SUCCEEDED,
    )
    # A partial refund leaves the order and the payment as they were.
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert payment.status == PaymentStatus.SUCCEEDED
    # The ledger: what the cooperative is owed is the sale less the refund, to the fen,
    # and the platform gives back its fee on the refunded part.
    entries = LedgerEntry.objects.filter(order=order)
    assert _sum(entries.filter(kind=LedgerKind.SALE)) == payment.amount
    assert _sum(entries.filter(kind=LedgerKind.PARTIAL_REFUND)) == D("-0.86")
    assert _sum(entries.filter(kind=LedgerKind.FEE_REVERSAL)) == D("0.03")  # 3 % of 0.86
    fee = _sum(entries.filter(kind=LedgerKind.PLATFORM_FEE))
    assert _sum(entries) == payment.amount - D("0.86") + fee + D("0.03")
    assert order_net_paid(order.pk) == payment.amount - D("0.86")


def test_a_heavier_piece_is_capped_at_what_was_paid(django_capture_on_commit_callbacks):
    variant = make_weight_variant()
    order, payment = place_and_pay([(variant, 1)])
    line = order.lines.get()
    result = _weigh(line, 5400, capture=django_capture_on_commit_callbacks)
    line.refresh_from_db()
    assert line.final_amount == D("34.00") and result.refund is None
    assert not Refund.objects.filter(payment=payment).exists()


def test_with_a_buffer_a_heavier_piece_is_charged_up_to_the_buffer(
    django_capture_on_commit_callbacks,
):
    variant = make_weight_variant(buffer_bp=500)  # 34.00 + 5 % = 35.70
    assert variant.price == D("35.70")
    order, payment = place_and_pay([(variant, 1)])
    line = order.lines.get()
    _weigh(line, 5100, capture=django_capture_on_commit_callbacks)  # 34.68
    line.refresh_from_db()
    assert line.final_amount == D("34.68")
    assert Refund.objects.get(payment=payment).amount == D("1.02")
    other, other_payment = place_and_pay([(variant, 1)])
    _weigh(other.lines.get(), 6000, capture=django_capture_on_commit_callbacks)  # 40.80
    assert other.lines.get().final_amount == D("35.70")
    assert not Refund.objects.filter(payment=other_payment).exists()


def test_a_lighter_parcel_gets_its_shipping_difference_back_once_all_is_weighed(
    django_capture_on_commit_callbacks,
):
    coop = make_cooperative(shipping_base_fee=D("8.00"), shipping_fee_per_kg=D("2.00"))
    heavy = make_weight_variant(cooperative=coop)
    light = make_weight_variant(cooperative=coop, price_per_kg="20.00", grams=500)
    order, payment = place_and_pay([(heavy, 1), (light, 1)])
    part = order.shipping_parts.get()
    assert part.fee == D("20.00")  # 5.5 kg: 6 started kg, 8 + 6 × 2
    first, second = order.lines.order_by("id")
    _weigh(first, 3900, capture=django_capture_on_commit_callbacks)  # 26.52, back 7.48
    part.refresh_from_db()
    assert part.final_fee is None  # a line still waits for the scale
    result = _weigh(second, 480, capture=django_capture_on_commit_callbacks)  # 9.60, back 0.40
    part.refresh_from_db()
    # 4.38 kg: 5 started kg → 18.00, so 2.00 of shipping goes back.
    assert (part.final_weight_grams, part.final_fee) == (4380, D("18.00"))
    refunds = {r.key: r.amount for r in Refund.objects.filter(payment=payment)}
    assert refunds == {
        f"weigh:line:{first.pk}": D("7.48"),
        f"weigh:line:{second.pk}": D("0.40"),
        f"weigh:shipping:{part.pk}": D("2.00"),
    }
    assert result.refund.amount == D("0.40")
    # Saving the form again changes nothing.
    _weigh(second, 480, capture=django_capture_on_commit_callbacks)
    assert Refund.objects.filter(payment=payment).count() == 3
    assert order_net_paid(order.pk) == payment.amount - D("9.88")
    assert _sum(LedgerEntry.objects.filter(order=order, kind=LedgerKind.PARTIAL_REFUND)) == D(
        "-9.88"
    )


def test_weighing_refusals_change_nothing(django_capture_on_commit_callbacks):
    variant = make_weight_variant()
    order, payment = place_and_pay([(variant, 1)])
    line = order.lines.get()
    for grams, code in (
        (0, "weight_invalid"),
        (D("4873.5"), "weight_invalid"),
        (4.8, "weight_invalid"),
    ):
        with pytest.raises(ApplicationError) as err:
            flows.line_weigh(line_id=line.pk, grams=grams, by=None)
        assert err.value.code == code
    unit_order, _ = place_and_pay([(make_product().variants.get(), 1)])
    with pytest.raises(ApplicationError) as err:
        flows.line_weigh(line_id=unit_order.lines.get().pk, grams=100, by=None)
    assert err.value.code == "not_sold_by_weight"
    # Another cooperative's line is not found for a manager of this one.
    with pytest.raises(ApplicationError) as err:
        flows.line_weigh(
            line_id=line.pk, grams=4873, by=None, cooperative_ids=[make_cooperative().pk]
        )
    assert err.value.code == "not_found"
    line.refresh_from_db()
    assert line.final_weight_grams is None
    _weigh(line, 4873, capture=django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as err:
        flows.line_weigh(line_id=line.pk, grams=4800, by=None)
    assert err.value.code == "already_weighed"
    assert Refund.objects.filter(payment=payment).count() == 1


def test_refunding_units_in_steps_adds_up_to_the_lines_net_with_a_voucher(
    django_capture_on_commit_callbacks, settings
):
    settings.PLATFORM_FEE_PERCENT = "3"
    coop = _coop_with_fee()
    variant = make_product(cooperative=coop, price="33.33", stock=50).variants.get()
    other = make_product(cooperative=make_cooperative(), price="10.01", stock=50).variants.get()
    make_voucher("SEVEN", value=D("7"), per_buyer_limit=None)
    order, payment = _voucher_order([(variant, 7), (other, 1)], "SEVEN")
    line = order.lines.get(variant=variant)
    assert line.discount > 0 and line.discount_platform == line.discount
    net = line.line_total - line.discount
    manager = make_user()
    refunds = []
    done = 0
    for units in (2, 1, 3, 1):
        with django_capture_on_commit_callbacks(execute=True):
            result = flows.line_refund_units(line_id=line.pk, units=units, by=manager, already=done)
        # The same form sent again returns the same refund.
        again = flows.line_refund_units(line_id=line.pk, units=units, by=manager, already=done)
        assert again.refund == result.refund and not again.created
        done += units
        refunds.append(result.refund)
    assert sum(r.amount for r in refunds) == net
    assert sum(r.subsidy for r in refunds) == line.discount_platform
    assert all(
        r.status == RefundStatus.SUCCEEDED
        for r in Refund.objects.filter(pk__in=[r.pk for r in refunds])
    )
    with pytest.raises(ApplicationError) as err:
        flows.line_refund_units(line_id=line.pk, units=1, by=manager)
    assert err.value.code == "units_invalid"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    # This cooperative's ledger: what it kept for the line is now zero, and its own
    # shipping is still its own.
    coop_entries = LedgerEntry.objects.filter(order=order, cooperative=coop)
    kept = _sum(
        coop_entries.filter(
            kind__in=[
                LedgerKind.SALE,
                LedgerKind.PLATFORM_SUBSIDY,
                LedgerKind.PARTIAL_REFUND,
                LedgerKind.SUBSIDY_REVERSAL,
            ]
        )
    )
    assert kept == order.shipping_parts.get(cooperative=coop).fee
    # Cancelling now refunds what is left of the payment, and the order's entries
    # come to zero for every cooperative.
    with django_capture_on_commit_callbacks(execute=True):
        flows.order_cancel(order=order, note="test")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert order.status == OrderStatus.REFUNDED
    live = Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED)
    assert _sum(live) == payment.amount
    assert _sum(LedgerEntry.objects.filter(order=order)) == 0


def _voucher_order(items, code):
    from lifecycle.services import checkout_place_marketed
    from tests.factories import ADDRESS

    order, _ = checkout_place_marketed(
        user=make_user(),
        shipping_address=ADDRESS,
        lines=[{"variant": v.pk, "quantity": q} for v, q in items],
        voucher=code,
    )
    payment = pay_in_wallet(order)
    order.refresh_from_db()
    payment.refresh_from_db()
    return order, payment


@pytest.mark.parametrize("quantity", [1, 3, 7, 13])
def test_unit_shares_add_up_whatever_the_steps(quantity):
    from orders.models import OrderLine

    line = OrderLine(
        quantity=quantity,
        line_total=D("100.00"),
        discount=D("9.99"),
        discount_platform=D("4.01"),
    )
    singles = [line_units_amounts(line, u, u) for u in range(1, quantity + 1)]
    assert sum(a for a, _ in singles) == D("90.01")
    assert sum(s for _, s in singles) == D("4.01")
    assert line_units_amounts(line, 1, quantity) == (D("90.01"), D("4.01"))


def test_a_partial_refund_never_exceeds_what_is_left():
    _order, payment = place_and_pay([(make_product(price="20.00").variants.get(), 1)])
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        payments.refund_partial_create(payment=locked, amount=D("15.00"), key="a", reason="t")
        with pytest.raises(ApplicationError) as err:
            payments.refund_partial_create(
                payment=locked, amount=payment.amount - D("14.99"), key="b", reason="t"
            )
        assert err.value.code == "refund_exceeds_payment"
        for bad in (D("0"), D("-1"), D("0.001"), D("NaN")):
            with pytest.raises(ApplicationError) as err:
                payments.refund_partial_create(payment=locked, amount=bad, key="c", reason="t")
            assert err.value.code == "refund_amount_invalid"
        # The same cause again is the same refund, whatever the amount asked.
        same, created = payments.refund_partial_create(
            payment=locked, amount=D("1.00"), key="a", reason="t"
        )
        assert not created and same.amount == D("15.00")
        # The whole refund takes what is left.
        whole, created = payments.refund_create(payment=locked, reason="cancel")
        assert created and whole.amount == payment.amount - D("15.00")
    assert Refund.objects.filter(payment=payment).count() == 2


def test_provider_notifications_of_partial_refunds_complete_each_once():
    from payments.constants import InboxStatus
    from payments.models import PaymentNotification
    from tests.factories import make_notification

    order, payment = place_and_pay([(make_product(price="40.00").variants.get(), 1)])
    line = order.lines.get()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        first, _ = payments.refund_partial_create(
            payment=locked, amount=D("0.86"), key="a", reason="t", order_line_id=line.pk
        )
        second, _ = payments.refund_partial_create(
            payment=locked, amount=D("5.00"), key="b", reason="t", order_line_id=line.pk
        )

    def apply(**fields):
        inbox = make_notification(payment, kind="refund", **fields)
        flows.payment_notification_apply(inbox_id=inbox.pk)
        return PaymentNotification.objects.get(pk=inbox.pk)

    # WeChat reports each refund's own amount; Alipay's refund_fee is the running total.
    assert apply(out_refund_no=first.out_refund_no, refund_amount=D("0.86")).status == (
        InboxStatus.APPLIED
    )
    assert apply(out_refund_no=second.out_refund_no, refund_amount=D("5.86")).status == (
        InboxStatus.APPLIED
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == RefundStatus.SUCCEEDED
    # A wrong amount for a known refund, or a partial refund we never asked for: staff.
    assert apply(out_refund_no=second.out_refund_no, refund_amount=D("3.00")).status == (
        InboxStatus.REJECTED
    )
    assert apply(out_refund_no="ELSEWHERE-1", refund_amount=D("1.00")).status == (
        InboxStatus.REJECTED
    )
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and order.status == OrderStatus.PAID
    assert _sum(LedgerEntry.objects.filter(order=order, kind=LedgerKind.PARTIAL_REFUND)) == D(
        "-5.86"
    )


def test_the_api_and_the_packing_slip_show_the_weighed_line(
    api_client, django_capture_on_commit_callbacks
):
    import io

    from pypdf import PdfReader

    from fulfilment.services import shipments_create_for_order
    from fulfilment.slips import render_packing_slip

    order, _payment = place_and_pay([(make_weight_variant(), 1)])
    (shipment,) = shipments_create_for_order(order_id=order.pk)
    api_client.force_authenticate(order.user)
    url = f"/api/v1/orders/{order.number}/"
    (line,) = api_client.get(url).json()["lines"]
    assert (line["price_per_kg"], line["final_weight_grams"], line["final_amount"]) == (
        "6.80",
        None,
        None,
    )
    text = PdfReader(io.BytesIO(render_packing_slip(shipment))).pages[0].extract_text()
    assert "weigh" in text
    _weigh(order.lines.get(), 4873, capture=django_capture_on_commit_callbacks)
    (line,) = api_client.get(url).json()["lines"]
    assert (line["final_weight_grams"], line["final_amount"]) == (4873, "33.14")
    shipment.refresh_from_db()
    assert not shipment.packing_slip  # out of date: rendered again on the next look
    text = PdfReader(io.BytesIO(render_packing_slip(shipment))).pages[0].extract_text()
    assert "4.873 kg" in text
