"""Payments admin: read-only money records, refunds and payouts through services,
cooperative scoping, constant queries for lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from payments import services
from payments.models import LedgerEntry, Payout, Refund
from tests.factories import make_cooperative, make_manager, make_order, make_payment, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fulfilment(monkeypatch):
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


@pytest.fixture
def staff(client):
    user = make_user(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def paid_order(cooperative=None, price="50.00", *, parts=None, **inbox_fields):
    order = make_order(parts=parts or [(cooperative, [(price, 1)], "0.00")])
    payment = make_payment(order=order)
    from payments.models import PaymentNotification

    inbox = PaymentNotification.objects.create(
        provider="sandbox",
        event_id=f"e{payment.pk}",
        kind="payment",
        event_status="succeeded",
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        **inbox_fields,
    )
    flows.payment_notification_apply(inbox_id=inbox.pk)
    order.refresh_from_db()
    return order, payment


@pytest.mark.parametrize(
    "name",
    ["payment", "paymentnotification", "refund", "ledgerentry", "cooperativebalance", "payout"],
)
def test_changelists_render(client, staff, name):
    paid_order()
    assert client.get(f"/admin/payments/{name}/").status_code == 200


@pytest.mark.parametrize("rows", [3, 12])
def test_payment_list_queries_do_not_grow(client, staff, rows, django_assert_max_num_queries):
    for _ in range(rows):
        make_payment()
    with django_assert_max_num_queries(12):
        assert client.get("/admin/payments/payment/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/admin/payments/cooperativebalance/").status_code == 200


def test_payout_action_and_csv_export(client, staff):
    coop = make_cooperative()
    order, _ = paid_order(coop)
    from orders.services import order_mark_completed, order_mark_delivered, order_mark_shipped

    order_mark_shipped(order=order)
    order_mark_delivered(order=order)
    order_mark_completed(order=order)
    services.ledger_release_for_order(order=order)
    answer = client.post(
        "/admin/payments/cooperativebalance/",
        {"action": "create_payouts", "_selected_action": [coop.pk]},
    )
    assert answer.status_code == 302
    payout = Payout.objects.get()
    assert (payout.cooperative, payout.amount, payout.created_by) == (coop, Decimal("50.00"), staff)
    answer = client.post(
        "/admin/payments/payout/", {"action": "export_csv", "_selected_action": [payout.pk]}
    )
    assert answer["Content-Type"].startswith("text/csv")
    assert f"{payout.reference},{coop.name},{coop.slug},50.00,CNY" in answer.content.decode()


def test_refund_action_refuses_a_live_order_payment(client, staff):
    _, payment = paid_order()
    client.post(
        "/admin/payments/payment/", {"action": "refund_payments", "_selected_action": [payment.pk]}
    )
    assert not Refund.objects.exists()


def test_manager_sees_only_their_ledger_and_cannot_pay_out(client):
    mine, theirs = make_cooperative(), make_cooperative()
    paid_order(mine, "11.11")
    paid_order(theirs, "22.22")
    manager = make_manager(mine)
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    page = client.get("/admin/payments/ledgerentry/").content.decode()
    assert "11.11" in page and "22.22" not in page
    page = client.get("/admin/payments/cooperativebalance/").content.decode()
    assert "create_payouts" not in page
    other_entry = LedgerEntry.objects.get(cooperative=theirs)
    assert client.get(f"/admin/payments/ledgerentry/{other_entry.pk}/change/").status_code == 302


def test_a_manager_sees_their_cooperatives_share_and_never_raw_bodies(client, settings):
    """Issue 12 item 7: a payment covers the whole order; a manager sees only the goods
    and shipping of their cooperative, in the lists and on the pages, and never the
    provider's raw notification body or payload. Platform staff see everything."""
    from payments.models import PaymentNotification

    settings.LANGUAGE_CODE = "en"
    mine, theirs = make_cooperative(), make_cooperative()
    _order, payment = paid_order(
        parts=[(mine, [("11.11", 1)], "1.00"), (theirs, [("22.22", 1)], "2.00")],
        payload={"secret_marker": "PAYLOAD-MARKER"},
        raw_body='{"amount": "36.33", "marker": "RAW-BODY-MARKER"}',
    )
    inbox = PaymentNotification.objects.get(payment=payment)
    refund = Refund.objects.create(
        payment=payment,
        out_refund_no="R-SHARE-1",
        amount=payment.amount,
        status="failed",
        provider_response={"marker": "PAYLOAD-MARKER"},
    )
    assert str(payment.amount) == "36.33"

    manager = make_manager(mine)
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    pages = {
        "payment list": "/admin/payments/payment/",
        "payment": f"/admin/payments/payment/{payment.pk}/change/",
        "refund list": "/admin/payments/refund/",
        "refund": f"/admin/payments/refund/{refund.pk}/change/",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "12.11" in page, name  # 11.11 of goods + 1.00 of shipping
        assert "36.33" not in page, name
        assert "RAW-BODY-MARKER" not in page and "PAYLOAD-MARKER" not in page, name
    # The providers' technical inbox is not a manager's (issue 18).
    inbox_row = f"/admin/payments/paymentnotification/{inbox.pk}/change/"
    assert client.get("/admin/payments/paymentnotification/").status_code == 403
    assert client.get(inbox_row).status_code in (302, 403)
    assert "paymentnotification" not in client.get("/admin/").content.decode()

    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get(inbox_row).content.decode()
    assert "36.33" in page and "RAW-BODY-MARKER" in page and "PAYLOAD-MARKER" in page
    assert "36.33" in client.get(pages["payment list"]).content.decode()


@pytest.mark.parametrize("rows", [3, 12])
def test_the_managers_payment_list_costs_the_same_for_any_length(
    client, rows, django_assert_max_num_queries
):
    mine = make_cooperative()
    for _ in range(rows):
        paid_order(mine)
    manager = make_manager(mine)
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        assert client.get("/admin/payments/payment/").status_code == 200


def test_a_managers_ledger_speaks_their_language_and_shows_their_cooperative_only(client):
    """Issue 18: the ledger had English headings and filters ("以 status"), listed every
    cooperative in its filter, and the balance read "109.5" without a currency sign."""
    mine, theirs = make_cooperative(name="Jeminay"), make_cooperative(name="Tekes")
    paid_order(mine, "109.50")
    paid_order(theirs)
    client.force_login(make_manager(mine))
    client.cookies["django_language"] = "zh-hans"
    ledger = client.get("/admin/payments/ledgerentry/").content.decode()
    assert "合作社" in ledger and "Tekes" not in ledger
    assert "以 status" not in ledger and "By status" not in ledger
    balance = client.get("/admin/payments/cooperativebalance/").content.decode()
    assert "¥" in balance and ">109.5<" not in balance
    payouts = client.get("/admin/payments/payout/").content.decode()
    assert "以 status" not in payouts
