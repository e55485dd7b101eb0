"""Accounts API: register, token, me, throttling and the error format."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from catalog.constants import MembershipRole
from catalog.services import membership_grant
from tests.factories import make_cooperative, make_user

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_register_returns_token_and_user(api_client):
    response = api_client.post(
        REGISTER,
        {"username": "amina", "password": "Wheat-field-2026", "phone": "13800138000"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="amina")
    assert body["token"] == Token.objects.get(user=user).key
    assert body["user"] == {
        "id": user.pk,
        "username": "amina",
        "email": "",
        "phone": "+8613800138000",  # stored in E.164 whatever was typed
        "roles": ["buyer"],
    }
    assert user.check_password("Wheat-field-2026")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "bob", "password": "123"}, "password"),
        ({"username": "bob", "password": "password"}, "password"),
        ({"username": "wheatfield2026", "password": "Wheatfield2026"}, "password"),
        ({"username": "bad name!", "password": "Wheat-field-2026"}, "username"),
        ({"username": "x" * 151, "password": "Wheat-field-2026"}, "username"),
        ({"username": "bob", "password": "Wheat-field-2026", "email": "nope"}, "email"),
        ({"username": "bob", "password": "Wheat-field-2026", "phone": "call me"}, "phone"),
        ({"password": "Wheat-field-2026"}, "username"),
    ],
)
def test_register_refuses_bad_input(api_client, payload, field):
    error = _error(api_client.post(REGISTER, payload, format="json"), 400, "invalid")
    assert field in error["details"]
    assert User.objects.count() == 0


def test_register_refuses_taken_username_case_insensitively(api_client):
    make_user("Amina")
    error = _error(
        api_client.post(REGISTER, {"username": "amina", "password": "Wheat-field-2026"}),
        400,
        "invalid",
    )
    assert "username" in error["details"]
    assert User.objects.count() == 1


def test_register_refuses_non_json_body(api_client):
    response = api_client.post(REGISTER, data="username=a", content_type="text/plain")
    _error(response, 415, "unsupported_media_type")
    response = api_client.post(REGISTER, data="{not json", content_type="application/json")
    _error(response, 400, "parse_error")
    assert User.objects.count() == 0


def test_token_for_good_and_bad_credentials(api_client):
    user = make_user("farid", password="Wheat-field-2026")
    response = api_client.post(TOKEN, {"username": "farid", "password": "Wheat-field-2026"})
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    # asking again gives the same token
    again = api_client.post(TOKEN, {"username": "farid", "password": "Wheat-field-2026"})
    assert again.json() == response.json()

    _error(
        api_client.post(TOKEN, {"username": "farid", "password": "wrong"}),
        400,
        "invalid_credentials",
    )
    _error(
        api_client.post(TOKEN, {"username": "nobody", "password": "x"}), 400, "invalid_credentials"
    )
    user.is_active = False
    user.save()
    _error(
        api_client.post(TOKEN, {"username": "farid", "password": "Wheat-field-2026"}),
        400,
        "invalid_credentials",
    )
    _error(api_client.post(TOKEN, {"username": "farid"}), 400, "invalid")


def test_me_with_token_and_with_session(api_client):
    user = make_user("li", email="li@example.com", phone="13900000000")
    coop = make_cooperative()
    membership_grant(user=user, cooperative=coop, role=MembershipRole.MANAGER)
    token = Token.objects.create(user=user)

    _error(api_client.get(ME), 401, "not_authenticated")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = api_client.get(ME).json()
    assert body == {
        "id": user.pk,
        "username": "li",
        "email": "li@example.com",
        "phone": "13900000000",
        "roles": ["buyer", "manager"],
    }

    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    _error(api_client.get(ME), 401, "authentication_failed")

    api_client.credentials()
    api_client.force_login(user)
    assert api_client.get(ME).json()["username"] == "li"


def test_platform_staff_role(api_client):
    user = make_user(is_platform_staff=True)
    api_client.force_authenticate(user)
    assert api_client.get(ME).json()["roles"] == ["buyer", "platform_staff"]


@pytest.mark.parametrize(
    ("url", "scope", "payload"),
    [
        (REGISTER, "register", {"username": "x", "password": "y"}),
        (TOKEN, "auth", {"username": "x", "password": "y"}),
    ],
)
def test_register_and_token_are_throttled(api_client, monkeypatch, url, scope, payload):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {scope: "2/min"})
    for _ in range(2):
        assert api_client.post(url, payload).status_code == 400
    response = api_client.post(url, payload)
    error = _error(response, 429, "throttled")
    assert error["details"]["retry_after_seconds"] > 0
    assert "Retry-After" in response.headers
