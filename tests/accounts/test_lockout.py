"""Issue 12 item 6: sign-in throttling cannot be walked around.

The client is the socket address unless ``TRUSTED_PROXY_COUNT`` says how many proxies
to trust, for the API's throttles and the lock-out alike, so a new ``X-Forwarded-For``
per request buys nothing. Repeated failures lock the account and the address on every
login form (the storefront's, the admin's, the API token endpoint) until the cool-off
ends or staff unlock it; sign-ups are rate-limited per address, page and API together.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from storefront.client_ip import client_ip
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
PASSWORD = "pw-Secret-123"


def _forwarded(i: int) -> dict:
    return {"HTTP_X_FORWARDED_FOR": f"198.51.{i // 250}.{i % 250 + 1}"}


def test_forty_wrong_passwords_each_with_a_new_forwarded_for_are_locked_out():
    make_user("alice", is_active=True)
    client = APIClient()
    codes = [
        client.post(TOKEN, {"username": "alice", "password": f"guess-{i}"}, **_forwarded(i))
        for i in range(40)
    ]
    statuses = [r.status_code for r in codes]
    assert statuses[:9] == [400] * 9
    assert set(statuses[10:]) == {429}, statuses
    body = codes[-1].json()["error"]
    assert body["code"] == "too_many_attempts" and body["details"]["retry_after_seconds"] > 0
    # Locked: the right password does not open the account now either.
    right = client.post(TOKEN, {"username": "alice", "password": PASSWORD}, **_forwarded(99))
    assert right.status_code == 429


def test_the_api_throttle_keys_on_the_socket_address_not_forwarded_for(settings, monkeypatch):
    settings.AXES_ENABLED = False  # the throttle alone
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"auth": "10/min"})
    client = APIClient()
    statuses = [
        client.post(TOKEN, {"username": f"u{i}", "password": "x"}, **_forwarded(i)).status_code
        for i in range(40)
    ]
    assert statuses[:10] == [400] * 10
    assert set(statuses[10:]) == {429}


def test_one_address_trying_many_accounts_is_locked_out():
    client = APIClient()
    statuses = [
        client.post(TOKEN, {"username": f"user{i}", "password": "x"}).status_code for i in range(12)
    ]
    assert statuses[-1] == 429 and statuses[0] == 400


def test_varying_the_usernames_case_gains_nothing():
    make_user("bob")
    client = APIClient()
    names = ["bob", "Bob", " BOB", "bOb "]
    statuses = [
        client.post(TOKEN, {"username": names[i % 4], "password": "x"}, **_forwarded(i)).status_code
        for i in range(12)
    ]
    assert statuses[-1] == 429


def test_the_login_page_locks_out_with_a_page_in_the_site_layout():
    make_user("carol")
    client = Client()
    for i in range(10):
        response = client.post(
            "/accounts/login/", {"username": "carol", "password": "bad"}, **_forwarded(i)
        )
    assert response.status_code == 429
    page = response.content.decode()
    assert 'class="site-header"' in page and "Too many attempts" in page
    response = client.post(
        "/accounts/login/", {"username": "carol", "password": PASSWORD}, **_forwarded(50)
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_login_locks_out():
    make_user("dave", is_staff=True, is_superuser=True)
    client = Client()
    for i in range(10):
        response = client.post(
            "/admin/login/", {"username": "dave", "password": "bad"}, **_forwarded(i)
        )
    assert response.status_code == 429
    response = client.post("/admin/login/?next=/admin/", {"username": "dave", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count_and_staff_can_unlock():
    make_user("erin")
    client = APIClient()
    for _ in range(9):
        assert client.post(TOKEN, {"username": "erin", "password": "x"}).status_code == 400
    assert client.post(TOKEN, {"username": "erin", "password": PASSWORD}).status_code == 200
    for _ in range(10):
        client.post(TOKEN, {"username": "erin", "password": "x"})
    assert client.post(TOKEN, {"username": "erin", "password": PASSWORD}).status_code == 429
    call_command("axes_reset_username", "erin")
    call_command("axes_reset_ip", "127.0.0.1")
    assert client.post(TOKEN, {"username": "erin", "password": PASSWORD}).status_code == 200


def test_sign_ups_are_limited_per_address_on_the_page_and_the_api(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"register": "3/min"})
    page, api = Client(), APIClient()
    form = {"username": "", "password": "weak"}
    statuses = [page.post("/accounts/signup/", form, **_forwarded(i)).status_code for i in range(2)]
    statuses.append(
        api.post("/api/v1/auth/register/", {"username": "z", "password": "y"}).status_code
    )
    assert statuses == [200, 200, 400]  # refused for their content, counted all the same
    assert page.post("/accounts/signup/", form, **_forwarded(9)).status_code == 429
    assert api.post("/api/v1/auth/register/", {"username": "z"}).status_code == 429


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "1.2.3.4", "10.0.0.1"),
        (0, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"),
        (2, "10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (3, "10.0.0.1", "1.2.3.4", "1.2.3.4"),
        (1, "10.0.0.1", "", "10.0.0.1"),
    ],
)
def test_one_client_address_rule_for_throttles_and_lock_outs(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    if not forwarded:
        del request.META["HTTP_X_FORWARDED_FOR"]
    assert client_ip(request) == expected
    assert BaseThrottle().get_ident(request) == expected  # what DRF's throttles key on
