"""Queueing and delivering: sealed words, one message per dedupe key, retries, the
per-number limit, the development outbox and its page."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings

from sms import sealing, services
from sms.constants import SmsStatus
from sms.exceptions import SmsUnavailable
from sms.models import OutboxMessage, SmsMessage
from storefront.models import RateLimit

from .fake_providers import FakeAliyun, use_fake_aliyun

pytestmark = pytest.mark.django_db


def _send(**kwargs):
    fields = {
        "phone": "+8613800138000",
        "template": "login_code",
        "params": {"code": "654321"},
        "text": "Code 654321",
        "language": "en",
    }
    return services.sms_send(**{**fields, **kwargs})


def test_outbox_receives_the_message_and_the_queue_forgets_its_words(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _send()
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.provider == "outbox"
    assert message.payload_sealed == ""  # nothing left to read once sent
    assert OutboxMessage.objects.get().text == "Code 654321"


def test_queued_words_are_sealed_not_clear(django_capture_on_commit_callbacks):
    message = _send()  # not committed: still queued
    stored = SmsMessage.objects.values_list("payload_sealed", flat=True).get(pk=message.pk)
    assert "654321" not in stored
    assert sealing.unseal(stored)["params"] == {"code": "654321"}


def test_a_dedupe_key_sends_one_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _send(dedupe_key="delivery:1")
        second = _send(dedupe_key="delivery:1")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1


@override_settings(SMS_BACKEND="")
def test_no_backend_means_unavailable():
    with pytest.raises(SmsUnavailable):
        _send()


def test_deliver_is_idempotent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _send()
    outcome = services.sms_deliver(message_id=message.pk)
    assert outcome.status == SmsStatus.SENT and outcome.retry_in is None
    assert OutboxMessage.objects.count() == 1


@override_settings(SMS_PER_NUMBER_PER_MINUTE=2, SMS_PER_NUMBER_PER_HOUR=20)
def test_per_number_limit_defers_the_third_message_of_a_minute():
    ids = [_send(text=f"m{i}").pk for i in range(3)]
    outcomes = [services.sms_deliver(message_id=pk) for pk in ids]
    assert [o.status for o in outcomes] == [SmsStatus.SENT, SmsStatus.SENT, SmsStatus.QUEUED]
    assert outcomes[2].error == "rate_limited" and 1 <= outcomes[2].retry_in <= 61
    # another number is not held up
    other = _send(phone="+8613900139000")
    assert services.sms_deliver(message_id=other.pk).status == SmsStatus.SENT


@pytest.fixture
def aliyun(settings, httpserver):
    use_fake_aliyun(settings, httpserver)
    return httpserver


def test_temporary_refusal_requeues_then_success(aliyun):
    httpserver = aliyun
    httpserver.expect_ordered_request("/").respond_with_handler(
        FakeAliyun("ali-secret", answer={"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "x"})
    )
    httpserver.expect_ordered_request("/").respond_with_handler(FakeAliyun("ali-secret"))
    message = _send()
    first = services.sms_deliver(message_id=message.pk, attempt=0)
    assert first.status == SmsStatus.QUEUED and first.retry_in == 15
    message.refresh_from_db()
    assert message.error_code == "isv.BUSINESS_LIMIT_CONTROL" and message.payload_sealed
    assert services.sms_deliver(message_id=message.pk, attempt=1).status == SmsStatus.SENT
    message.refresh_from_db()
    assert (message.status, message.attempts, message.payload_sealed) == ("sent", 2, "")


def test_permanent_refusal_fails_and_forgets(aliyun):
    httpserver = aliyun
    httpserver.expect_request("/").respond_with_handler(
        FakeAliyun("ali-secret", answer={"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad"})
    )
    message = _send()
    assert services.sms_deliver(message_id=message.pk).status == SmsStatus.FAILED
    message.refresh_from_db()
    assert (message.status, message.error_code, message.payload_sealed) == (
        "failed",
        "isv.MOBILE_NUMBER_ILLEGAL",
        "",
    )


def test_task_gives_up_after_its_last_try():
    from sms.tasks import MAX_TRIES, sms_send_task

    message = _send()
    RateLimit.objects.all().delete()
    with override_settings(SMS_PER_NUMBER_PER_MINUTE=0):
        result = sms_send_task.apply(args=[message.pk], retries=MAX_TRIES)
    assert result.get() == "failed"
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED and message.payload_sealed == ""


def test_dev_outbox_page_only_with_debug(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _send(text="您的验证码是 654321")
    assert client.get("/dev/sms/").status_code == 404
    with override_settings(DEBUG=True):
        page = client.get("/dev/sms/")
    assert page.status_code == 200
    assert (
        "您的验证码是 654321" in page.content.decode() and "+8613800138000" in page.content.decode()
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(SMS_PER_NUMBER_PER_MINUTE=3, SMS_PER_NUMBER_PER_HOUR=100)
def test_per_number_limit_holds_under_concurrent_workers():
    ids = [_send(text=f"m{i}").pk for i in range(12)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(ids))

    def work(pk):
        try:
            barrier.wait()
            outcomes.append(services.sms_deliver(message_id=pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(SmsStatus.SENT) == 3
    assert OutboxMessage.objects.count() == 3
