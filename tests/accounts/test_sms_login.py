"""Sign-in by SMS code: the API, the limits, the hashing, the page, and concurrency."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.models import SmsLoginCode, User
from sms.models import OutboxMessage, SmsMessage
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CODE = "/api/v1/auth/sms/code/"
TOKEN = "/api/v1/auth/sms/token/"
PHONE = "+8613800138000"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


def _last_code() -> str:
    return re.search(r"\b(\d{6})\b", OutboxMessage.objects.latest("id").text).group(1)


@pytest.fixture
def ask(api_client, django_capture_on_commit_callbacks):
    """Ask for a code; the text message is sent as the request commits."""

    def _ask(phone="138 0013 8000", addr="10.0.0.1"):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(CODE, {"phone": phone}, format="json", REMOTE_ADDR=addr)

    return _ask


def test_a_new_number_gets_a_code_and_then_a_new_buyer_account(api_client, ask):
    response = ask()
    assert response.status_code == 202
    assert response.json() == {"expires_in_seconds": 300, "resend_after_seconds": 60}
    outbox = OutboxMessage.objects.get()
    assert outbox.phone == PHONE  # normalised to E.164 from "138 0013 8000"

    answer = api_client.post(TOKEN, {"phone": "+86 138-0013-8000", "code": _last_code()})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    user = User.objects.get(phone=PHONE)
    assert body["created"] is True and user.phone_verified and not user.has_usable_password()
    assert body["token"] == Token.objects.get(user=user).key
    assert body["user"]["phone"] == PHONE and body["user"]["roles"] == ["buyer"]


def test_a_known_number_signs_into_its_account(api_client, ask):
    owner = make_user("li", phone=PHONE, phone_verified=True)
    ask()
    body = api_client.post(TOKEN, {"phone": PHONE, "code": _last_code()}).json()
    assert body["created"] is False and body["user"]["id"] == owner.pk
    assert User.objects.count() == 1


def test_an_unproven_number_typed_at_sign_up_does_not_open_that_account(api_client, ask):
    squatter = make_user("squatter", phone=PHONE)  # typed, never proven
    ask()
    body = api_client.post(TOKEN, {"phone": PHONE, "code": _last_code()}).json()
    assert body["created"] is True and body["user"]["id"] != squatter.pk
    squatter.refresh_from_db()
    assert squatter.phone == ""


def test_the_sixth_try_is_refused_even_with_the_right_code(api_client, ask):
    ask()
    code = _last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        _error(api_client.post(TOKEN, {"phone": PHONE, "code": wrong}), 400, "invalid_code")
    _error(api_client.post(TOKEN, {"phone": PHONE, "code": code}), 429, "too_many_attempts")
    assert SmsLoginCode.objects.get().attempts == 5
    assert not User.objects.exists()


def test_an_expired_code_is_refused(api_client, ask):
    ask()
    SmsLoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    _error(api_client.post(TOKEN, {"phone": PHONE, "code": _last_code()}), 400, "code_expired")


def test_a_second_code_within_a_minute_is_refused_per_number_and_per_address(api_client, ask):
    assert ask().status_code == 202
    error = _error(ask(addr="10.0.0.2"), 429, "throttled")  # same number
    assert 1 <= error["details"]["retry_after_seconds"] <= 61
    _error(ask(phone="13900139000"), 429, "throttled")  # same address
    assert ask(phone="13900139000", addr="10.0.0.3").status_code == 202
    assert OutboxMessage.objects.count() == 2
    assert SmsLoginCode.objects.count() == 2  # the refusals wrote nothing


def test_at_most_ten_codes_an_hour(api_client, settings, ask):
    settings.SMS_CODE_PER_MINUTE = 100
    for _ in range(10):
        assert ask().status_code == 202
    _error(ask(), 429, "throttled")


def test_only_the_newest_code_counts(api_client, settings, ask):
    settings.SMS_CODE_PER_MINUTE = 100
    ask()
    first = _last_code()
    ask()
    second = _last_code()
    if first != second:
        _error(api_client.post(TOKEN, {"phone": PHONE, "code": first}), 400, "invalid_code")
    assert api_client.post(TOKEN, {"phone": PHONE, "code": second}).status_code == 200
    # used: the same code cannot sign in twice
    _error(api_client.post(TOKEN, {"phone": PHONE, "code": second}), 400, "invalid_code")


def test_no_code_is_ever_stored_in_clear(api_client, settings, httpserver, ask):
    from tests.sms.fake_providers import FakeAliyun, use_fake_aliyun

    use_fake_aliyun(settings, httpserver, secret="secret")
    fake = FakeAliyun("secret")
    httpserver.expect_request("/").respond_with_handler(fake)
    assert ask().status_code == 202
    code = re.search(r'"code": "(\d{6})"', fake.requests[0]["query"]["TemplateParam"]).group(1)
    with connection.cursor() as cursor:
        for table in (SmsLoginCode._meta.db_table, SmsMessage._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")
            assert code not in repr(cursor.fetchall())
    assert api_client.post(TOKEN, {"phone": PHONE, "code": code}).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "010-12345678"}, "phone"),  # a landline receives no text message
        ({"phone": ""}, "phone"),
        ({}, "phone"),
        ({"phone": 13800138000}, None),
    ],
)
def test_bad_numbers_are_refused(api_client, body, field):
    response = api_client.post(CODE, body, format="json")
    if field is None:  # a JSON number is read as text by DRF's CharField: then valid
        assert response.status_code == 202
        return
    error = _error(response, 400, "invalid")
    assert field in error["details"]
    assert not SmsLoginCode.objects.exists()


def test_no_sms_provider_means_503(api_client, settings, ask):
    settings.SMS_BACKEND = ""
    _error(ask(), 503, "sms_unavailable")


def test_verify_without_any_code_is_invalid(api_client):
    _error(api_client.post(TOKEN, {"phone": PHONE, "code": "123456"}), 400, "invalid_code")
    _error(api_client.post(TOKEN, {"phone": PHONE}), 400, "invalid")


def test_the_page_signs_in_in_two_steps(client, django_capture_on_commit_callbacks):
    page = client.get("/accounts/login/sms/?next=/cart/")
    assert page.status_code == 200 and 'name="phone"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/accounts/login/sms/?next=/cart/", {"action": "send", "phone": "13800138000"}
        )
    assert sent.status_code == 302 and "next=%2Fcart%2F" in sent["Location"]
    step_two = client.get(sent["Location"]).content.decode()
    assert 'name="code"' in step_two and "+86****8000" not in step_two
    wrong = client.post("/accounts/login/sms/?next=/cart/", {"action": "verify", "code": "000000"})
    if _last_code() != "000000":
        assert wrong.status_code == 200 and "errorlist" in wrong.content.decode()
    done = client.post(
        "/accounts/login/sms/?next=/cart/", {"action": "verify", "code": _last_code()}
    )
    assert done.status_code == 302 and done["Location"] == "/cart/"
    assert client.session.get("_auth_user_id")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_compare_at_most_five():
    services.sms_code_request(phone=PHONE, client_address="10.9.9.9")
    code = SmsLoginCode.objects.get()
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def guess(i):
        try:
            barrier.wait()
            services.sms_code_verify(phone=PHONE, code=f"{i:06d}x")
            outcomes.append("ok")
        except Exception as exc:  # the refusals are what is counted
            outcomes.append(getattr(exc, "code", type(exc).__name__))
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("invalid_code") == 5
    assert outcomes.count("too_many_attempts") == 15
    code.refresh_from_db()
    assert code.attempts == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_send_one_code_a_minute():
    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def ask(i):
        try:
            barrier.wait()
            # half share the number, half the client address: each limit must hold
            phone = PHONE if i % 2 else f"+861390013900{i}"
            services.sms_code_request(
                phone=phone, client_address="10.8.8.8" if i % 2 == 0 else f"10.7.7.{i}"
            )
            outcomes.append("sent")
        except Exception as exc:
            outcomes.append(getattr(exc, "code", type(exc).__name__))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("sent") == 2  # one for the shared number, one for the shared address
    assert outcomes.count("throttled") == 8
    assert SmsLoginCode.objects.count() == 2
