"""Issue 17, part 4: the buyer's order news from the flows where each event happens.

An order paid, each parcel shipped (carrier and tracking number), each refund done:
one notice per event, each channel the buyer chose exactly once (e-mail in
``mail.outbox``, SMS in the dev outbox), none on a channel turned off, in the buyer's
language; a repeated event, a repeated task or two workers at once send nothing twice."""

from __future__ import annotations

import pytest
from django.core import mail

from fulfilment import services as fulfilment
from fulfilment.models import Shipment
from fulfilment.tasks import shipment_notify_buyer_shipped_task
from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from notifications import services as notifications
from notifications.constants import Channel, DeliveryStatus, NotificationKind
from notifications.messages import render
from notifications.models import Delivery, Notification
from notifications.tasks import notification_deliver_task
from orders.constants import OrderStatus
from orders.models import Order
from payments.constants import RefundStatus
from payments.models import Refund
from payments.providers.base import RefundResult
from sms.models import OutboxMessage, SmsMessage
from tests.factories import make_carriers, make_notification, make_order, make_payment, make_user

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "ug", "en")


def _uyghur(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(autouse=True)
def _no_fulfilment_task(monkeypatch):
    # Shipments are made by hand where a test needs them.
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def _buyer(language="en", **fields):
    defaults = {
        "email": "amina@example.com",
        "phone": "+8613800138000",
        "phone_verified": True,
        "language": language,
    }
    return make_user(**{**defaults, **fields})


def _apply(payment, *, kind="payment", status="succeeded", out_refund_no="", event_id=None):
    inbox = make_notification(
        payment, kind=kind, event_status=status, out_refund_no=out_refund_no, event_id=event_id
    )
    return flows.payment_notification_apply(inbox_id=inbox.pk)


def _paid(buyer, commit, *, provider="alipay"):
    order = make_order(user=buyer)
    payment = make_payment(order=order, provider=provider)
    with commit(execute=True):
        _apply(payment)
    return Order.objects.get(pk=order.pk), payment


def _redeliver_everything(commit):
    """A redelivered message (acks_late) runs every delivery task once more."""
    for pk in Delivery.objects.values_list("pk", flat=True):
        with commit(execute=True):
            notification_deliver_task.apply(args=[pk])


def _sent(kind):
    notice = Notification.objects.get(kind=kind)
    return notice, [m for m in mail.outbox if m.to == ["amina@example.com"]]


# --- placed (the receipt) ------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_receipt_when_the_order_is_placed_reaches_each_channel_once(
    language, django_capture_on_commit_callbacks
):
    from catalog.models import Variant
    from tests.factories import ADDRESS, make_product

    commit = django_capture_on_commit_callbacks
    buyer = _buyer(language)
    variant: Variant = make_product(stock=5).variants.get()
    lines = [{"variant": variant.pk, "quantity": 1}]
    with commit(execute=True):
        order, created = flows.checkout_place(
            user=buyer, shipping_address=ADDRESS, lines=lines, idempotency_key="r-1"
        )
    assert created
    with commit(execute=True):  # the same request again (a retry): no second receipt
        again, created = flows.checkout_place(
            user=buyer, shipping_address=ADDRESS, lines=lines, idempotency_key="r-1"
        )
    assert not created and again.pk == order.pk
    _redeliver_everything(commit)
    notice, emails = _sent(NotificationKind.ORDER_PLACED)
    assert notice.event_key == f"order:{order.number}:placed"
    assert notice.context == {"number": order.number, "total": f"{order.total:.2f}"}
    words = render(NotificationKind.ORDER_PLACED, notice.context, language=language)
    assert [m.subject for m in emails] == [words.title]
    assert list(OutboxMessage.objects.values_list("text", flat=True)) == [words.sms]
    # The task running twice (a redelivered message) tells nothing more.
    with commit(execute=True):
        flows.buyer_tell_placed(order_id=order.pk)
    assert Notification.objects.filter(kind=NotificationKind.ORDER_PLACED).count() == 1


# --- paid ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_paid_reaches_each_channel_once_in_the_buyers_language(
    language, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    buyer = _buyer(language)
    order, payment = _paid(buyer, commit)
    assert order.status == OrderStatus.PAID
    with commit(execute=True):
        _apply(payment, event_id="provider-says-it-again")  # the provider's retry
    _redeliver_everything(commit)

    notice, emails = _sent(NotificationKind.ORDER_PAID)
    assert notice.event_key == f"order:{order.number}:paid" and notice.user == buyer
    assert notice.context == {"number": order.number, "total": f"{order.total:.2f}"}
    words = render(NotificationKind.ORDER_PAID, notice.context, language=language)
    assert [m.subject for m in emails] == [words.title]
    assert emails[0].body == words.body and emails[0].extra_headers["Content-Language"] == language
    assert list(OutboxMessage.objects.values_list("phone", "text")) == [
        ("+8613800138000", words.sms)
    ]
    assert order.number in words.sms and f"{order.total:.2f}" in words.sms
    if language == "ug":
        assert _uyghur(words.title) and _uyghur(words.sms)
    if language == "zh-hans":
        assert _han(words.title) and _han(words.sms)


@pytest.mark.parametrize(
    ("choice", "emails", "texts"),
    [
        ({"email": False}, 0, 1),
        ({"sms": False}, 1, 0),
        ({"email": False, "sms": False}, 0, 0),
        ({}, 1, 1),
    ],
)
def test_a_channel_turned_off_gets_nothing(
    choice, emails, texts, django_capture_on_commit_callbacks
):
    buyer = _buyer()
    notifications.notification_preferences_update(user=buyer, **choice)
    _paid(buyer, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == emails and OutboxMessage.objects.count() == texts
    assert Notification.objects.filter(user=buyer).count() == 1  # listed in the shop anyway


def test_no_text_message_to_an_unproven_number(django_capture_on_commit_callbacks):
    buyer = _buyer(phone_verified=False)
    _paid(buyer, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and not OutboxMessage.objects.exists()
    assert not SmsMessage.objects.exists()


def test_a_notice_that_cannot_be_written_never_fails_the_payment(
    monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("a bug in the words")

    monkeypatch.setattr(notifications, "notify", broken)
    order, _payment = _paid(_buyer(), django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.PAID  # the money counts more than its notice
    assert not Notification.objects.exists() and not mail.outbox


# --- shipped ---------------------------------------------------------------------------


def _shipped_two_parcels(buyer, commit):
    from tests.factories import make_two_coop_order

    make_carriers()
    order, *_ = make_two_coop_order(user=buyer)
    a, b = fulfilment.shipments_create_for_order(order_id=order.pk)
    mail.outbox.clear()
    with commit(execute=True):
        fulfilment.shipment_mark_shipped(
            shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890"
        )
    with commit(execute=True):
        fulfilment.shipment_mark_shipped(
            shipment_id=b.pk, carrier="ems", tracking_number="EE123456789CN"
        )
    return order, a, b


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_parcel_shipped_is_told_once_with_carrier_and_tracking_number(
    language, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    buyer = _buyer(language)
    order, a, b = _shipped_two_parcels(buyer, commit)
    for shipment in (a, b):  # a task queued by an older release, run twice
        for _ in range(2):
            with commit(execute=True):
                assert shipment_notify_buyer_shipped_task.apply(args=[shipment.pk]).get() is False
    _redeliver_everything(commit)

    notices = Notification.objects.filter(kind=NotificationKind.ORDER_SHIPPED).order_by("pk")
    assert [n.event_key for n in notices] == [
        f"order:{order.number}:shipped:{a.pk}",
        f"order:{order.number}:shipped:{b.pk}",
    ]
    assert len(mail.outbox) == 2 and OutboxMessage.objects.count() == 2
    texts = list(OutboxMessage.objects.order_by("pk").values_list("text", flat=True))
    for text, (carrier, number) in zip(
        texts,
        [("SF Express 顺丰速运", "SF1234567890"), ("China Post EMS 中国邮政", "EE123456789CN")],
        strict=True,
    ):
        assert carrier in text and number in text and order.number in text
        if language == "ug":
            assert _uyghur(text)
    first = mail.outbox[0]
    assert "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890" in first.body
    assert "https://" not in texts[0]  # the link is for the e-mail, not the text message
    assert first.extra_headers["Content-Language"] == language
    assert not Shipment.objects.filter(buyer_notified_at__isnull=True).exists()
    assert SmsMessage.objects.filter(template=NotificationKind.ORDER_SHIPPED).count() == 2


def test_shipped_respects_the_choice_of_channels(django_capture_on_commit_callbacks):
    buyer = _buyer()
    notifications.notification_preferences_update(user=buyer, sms=False)
    _shipped_two_parcels(buyer, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2 and not OutboxMessage.objects.exists()


# --- refunded --------------------------------------------------------------------------


def test_a_cancelled_paid_order_is_told_its_refund_once(django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    buyer = _buyer("ug")
    order, payment = _paid(buyer, commit)
    with commit(execute=False):  # no provider is called here
        flows.order_cancel(order=order)
    refund = Refund.objects.get()
    for event_id in ("refund-1", "refund-1-again"):  # the provider says it twice
        with commit(execute=True):
            _apply(
                payment,
                kind="refund",
                status="refunded",
                out_refund_no=refund.out_refund_no,
                event_id=event_id,
            )
    _redeliver_everything(commit)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    notice = Notification.objects.get(kind=NotificationKind.ORDER_REFUNDED)
    assert notice.event_key == f"order:{order.number}:refund:{refund.out_refund_no}"
    assert notice.context == {"number": order.number, "amount": f"{refund.amount:.2f}"}
    refunded = [m for m in mail.outbox if order.number in m.subject and _uyghur(m.subject)]
    assert len(mail.outbox) == 2 and len(refunded) == 2  # paid, then refunded
    texts = list(OutboxMessage.objects.order_by("pk").values_list("text", flat=True))
    assert len(texts) == 2 and all(_uyghur(t) for t in texts)
    assert texts[1] == render(NotificationKind.ORDER_REFUNDED, notice.context, language="ug").sms


def test_a_refund_answered_at_once_and_then_notified_is_told_once(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The provider completes the refund in its answer and sends a notification as well
    (Alipay, the sandbox wallet): two reports of one refund, one notice."""
    commit = django_capture_on_commit_callbacks
    buyer = _buyer()
    order, payment = _paid(buyer, commit)

    class Provider:
        def refund(self, **kwargs):
            return RefundResult(status="succeeded", refund_id="R-1", raw={"ok": True})

    monkeypatch.setattr("payments.services.refunds.provider_get", lambda name: Provider())
    with commit(execute=True):  # cancel; the refund is submitted on commit
        flows.order_cancel(order=order)
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED
    with commit(execute=True):
        _apply(payment, kind="refund", status="refunded", out_refund_no=refund.out_refund_no)
    with commit(execute=True):
        flows.refund_submit(refund_id=refund.pk)  # the submit task redelivered
    _redeliver_everything(commit)
    assert Notification.objects.filter(kind=NotificationKind.ORDER_REFUNDED).count() == 1
    assert len(mail.outbox) == 2 and OutboxMessage.objects.count() == 2  # paid + refunded


def test_each_refund_of_an_order_is_its_own_notice(django_capture_on_commit_callbacks):
    """A late duplicate payment is refunded while the order goes on; later the order is
    refunded at the provider's console: two refunds, two notices."""
    commit = django_capture_on_commit_callbacks
    buyer = _buyer()
    notifications.notification_preferences_update(user=buyer, email=False)
    order, payment = _paid(buyer, commit)
    duplicate = make_payment(order=order, provider="wechat")
    with commit(execute=False):
        _apply(duplicate)  # paid twice: the duplicate's refund is created
    late = Refund.objects.get(payment=duplicate)
    with commit(execute=True):
        _apply(duplicate, kind="refund", status="refunded", out_refund_no=late.out_refund_no)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    with commit(execute=True):
        _apply(payment, kind="refund", status="refunded", out_refund_no="CONSOLE-1")
    keys = set(
        Notification.objects.filter(kind=NotificationKind.ORDER_REFUNDED).values_list(
            "event_key", flat=True
        )
    )
    assert keys == {
        f"order:{order.number}:refund:{late.out_refund_no}",
        f"order:{order.number}:refund:CONSOLE-1",
    }
    assert OutboxMessage.objects.count() == 3 and not mail.outbox  # paid + two refunds


def test_every_delivery_is_recorded_sent(django_capture_on_commit_callbacks):
    _paid(_buyer(), django_capture_on_commit_callbacks)
    assert set(Delivery.objects.values_list("channel", "status")) == {
        (Channel.EMAIL, DeliveryStatus.SENT),
        (Channel.SMS, DeliveryStatus.SENT),
    }


def test_a_delivery_whose_task_was_lost_is_sent_by_the_sweep_once(
    monkeypatch, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.tasks import notifications_sweep_task

    queue_send_on_commit = notifications.queue.send_on_commit
    buyer = _buyer()
    # The broker was down when the notice committed: no task, the deliveries wait.
    monkeypatch.setattr(notifications.queue, "send_on_commit", lambda *a, **k: None)
    notifications.notify(
        user=buyer,
        kind=NotificationKind.ORDER_PAID,
        event_key="order:FG1:paid",
        context={"number": "FG1", "total": "88.30"},
    )
    monkeypatch.setattr(notifications.queue, "send_on_commit", queue_send_on_commit)
    assert notifications_sweep_task.apply().get() == 0  # too fresh: its task may be alive
    Notification.objects.update(created=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):  # the SMS is queued on commit
        assert notifications_sweep_task.apply().get() == 2
    assert notifications_sweep_task.apply().get() == 0  # sent: nothing left
    assert len(mail.outbox) == 1 and OutboxMessage.objects.count() == 1
