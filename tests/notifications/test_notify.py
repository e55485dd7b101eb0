"""``notify``: one notice per event, each chosen channel exactly once, in the person's
language; the order-news words in three languages; the list API."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications import services
from notifications.constants import Channel, DeliveryStatus, NotificationKind
from notifications.messages import MESSAGES, render
from notifications.models import Delivery, Notification
from notifications.tasks import notification_deliver_task
from sms.models import OutboxMessage, SmsMessage
from storefront.errors import InvalidInput
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CONTEXTS = {
    NotificationKind.ORDER_PLACED: {"number": "FG2026120100001", "total": "128.00"},
    NotificationKind.ORDER_PAID: {"number": "FG2026120100001", "total": "128.00"},
    NotificationKind.ORDER_SHIPPED: {
        "number": "FG2026120100001",
        "carrier": "顺丰速运",
        "tracking_number": "SF1234567890",
    },
    NotificationKind.ORDER_READY_FOR_PICKUP: {
        "number": "FG2026120100001",
        "station": "托斯特乡服务站",
        "pickup_code": "482913",
    },
    NotificationKind.ORDER_PAY_LINK: {
        "number": "FG2026120100001",
        "total": "40.00",
        "pay_url": "https://shop.example.com/sandbox/pay/abc/",
    },
    NotificationKind.ORDER_REFUNDED: {"number": "FG2026120100001", "amount": "39.90"},
    # Farmers' and managers' notices (issue 18).
    NotificationKind.LISTING_APPROVED: {"title": "石磨面粉 FG2026120100001"},
    NotificationKind.LISTING_REJECTED: {
        "title": "石磨面粉 FG2026120100001",
        "reason": "照片模糊。",
    },
    NotificationKind.SOLD: {"number": "FG2026120100001", "items": "石磨面粉 5 kg × 2"},
    NotificationKind.LOW_STOCK: {"item": "石磨面粉 — 5 kg FG2026120100001", "stock": "3"},
    NotificationKind.TO_PACK: {"number": "FG2026120100001", "items": "石磨面粉 5 kg × 2"},
    NotificationKind.LISTING_TO_REVIEW: {"title": "石磨面粉 FG2026120100001"},
    NotificationKind.PAID_ORDER_CANCELLED: {"number": "FG2026120100001"},
    NotificationKind.PAYOUT_MADE: {"amount": "109.50", "reference": "POFG2026120100001"},
}


@pytest.fixture
def buyer():
    return make_user(
        "amina",
        email="amina@example.com",
        phone="+8613800138000",
        phone_verified=True,
        language="en",
    )


def _notify(user, kind=NotificationKind.ORDER_SHIPPED, key="order:FG1:shipped:1", commit=None):
    with commit(execute=True):
        return services.notify(user=user, kind=kind, event_key=key, context=CONTEXTS[kind])


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_each_kind_reaches_each_chosen_channel_exactly_once(
    buyer, kind, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    first = _notify(buyer, kind, key=f"order:FG1:{kind}", commit=commit)
    again = _notify(buyer, kind, key=f"order:FG1:{kind}", commit=commit)  # the flow ran twice
    assert first.pk == again.pk and Notification.objects.count() == 1
    for delivery in Delivery.objects.all():  # a redelivered task changes nothing
        with commit(execute=True):
            assert notification_deliver_task.apply(args=[delivery.pk]).get() == "sent"
    if MESSAGES[kind].channels == ():
        # In the list only ("to pack" has the pipeline's own e-mail to managers).
        assert not Delivery.objects.exists() and not mail.outbox
        return
    assert len(mail.outbox) == 1
    words = render(kind, CONTEXTS[kind], language="en")
    assert mail.outbox[0].subject == words.title and mail.outbox[0].to == ["amina@example.com"]
    assert "FG2026120100001" in words.sms
    if MESSAGES[kind].channels == (Channel.EMAIL,):
        # Texted by its flow to the phone on the order (notify_phone_in_flow), not here.
        assert not SmsMessage.objects.exists()
        assert set(Delivery.objects.values_list("channel", "status")) == {
            (Channel.EMAIL, DeliveryStatus.SENT)
        }
        return
    assert OutboxMessage.objects.count() == 1 and SmsMessage.objects.count() == 1
    assert OutboxMessage.objects.get().text == words.sms
    assert set(Delivery.objects.values_list("channel", "status")) == {
        (Channel.EMAIL, DeliveryStatus.SENT),
        (Channel.SMS, DeliveryStatus.SENT),
    }


def test_shipped_news_carries_carrier_and_tracking_number(
    buyer, django_capture_on_commit_callbacks
):
    _notify(buyer, commit=django_capture_on_commit_callbacks)
    text = OutboxMessage.objects.get().text
    assert "顺丰速运" in text and "SF1234567890" in text
    assert SmsMessage.objects.get().template == "order_shipped"


@pytest.mark.parametrize(
    ("prefs", "channels"),
    [
        ({"email": False}, {"sms"}),
        ({"sms": False}, {"email"}),
        ({"email": False, "sms": False}, set()),
    ],
)
def test_the_persons_choice_of_channels(buyer, prefs, channels, django_capture_on_commit_callbacks):
    services.notification_preferences_update(user=buyer, **prefs)
    _notify(buyer, commit=django_capture_on_commit_callbacks)
    assert set(Delivery.objects.values_list("channel", flat=True)) == channels
    assert len(mail.outbox) == ("email" in channels)
    assert OutboxMessage.objects.count() == ("sms" in channels)
    assert Notification.objects.count() == 1  # in the shop whatever the choice


def test_no_sms_to_an_unproven_number_and_no_mail_without_an_address(
    django_capture_on_commit_callbacks,
):
    user = make_user(phone="+8613900139000", phone_verified=False, email="")
    _notify(user, commit=django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists() and not mail.outbox and not OutboxMessage.objects.exists()


def test_in_app_off_keeps_the_notice_but_not_unread(buyer, django_capture_on_commit_callbacks):
    services.notification_preferences_update(user=buyer, in_app=False)
    notice = _notify(buyer, commit=django_capture_on_commit_callbacks)
    assert notice.is_read


def test_mail_server_down_puts_the_delivery_back_for_a_retry(buyer, monkeypatch):
    services.notification_preferences_update(user=buyer, sms=False)
    services.notify(user=buyer, kind="order_paid", event_key="k", context=CONTEXTS["order_paid"])
    delivery = Delivery.objects.get()

    def down(self, *args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", down)
    with pytest.raises(OSError):
        services.notification_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    monkeypatch.undo()
    assert services.notification_deliver(delivery_id=delivery.pk) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("kind", "context"),
    [("order_lost", {"number": "1"}), ("order_paid", {"number": "1"})],
)
def test_unknown_kind_or_missing_context_is_refused(buyer, kind, context):
    with pytest.raises(InvalidInput):
        services.notify(user=buyer, kind=kind, event_key="k", context=context)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_order_news_words_exist_in_three_languages(kind):
    rendered = {
        lang: render(kind, CONTEXTS[kind], language=lang) for lang in ("zh-hans", "ug", "en")
    }
    titles = {r.title for r in rendered.values()}
    assert len(titles) == 3, titles  # translated, not the English fallback
    for words in rendered.values():
        for value in CONTEXTS[kind].values():
            assert value in words.body and value in words.sms
    assert set(MESSAGES[kind].needs) == set(CONTEXTS[kind])


def test_api_lists_the_callers_notices_in_their_language(
    api_client, buyer, django_assert_max_num_queries
):
    other = make_user()
    for i in range(5):
        services.notify(
            user=buyer, kind="order_paid", event_key=f"k{i}", context=CONTEXTS["order_paid"]
        )
    services.notify(user=other, kind="order_paid", event_key="k0", context=CONTEXTS["order_paid"])
    api_client.force_authenticate(buyer)
    with django_assert_max_num_queries(3):
        body = api_client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["count"] == 5
    first = body["results"][0]
    assert first["kind"] == "order_paid" and first["read"] is False
    assert (
        "FG2026120100001" in first["title"]
        and first["title"] != render("order_paid", CONTEXTS["order_paid"], language="en").title
    )
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/notifications/").status_code == 401
