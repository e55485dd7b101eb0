"""API tokens answered from a short-lived cache (accounts/authentication.py): one read of
the token table per token and TTL, and a deleted token, a deactivated user or a changed
user seen on the very next request."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import authentication
from accounts.authentication import CachedTokenAuthentication
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


@pytest.fixture
def token():
    user = make_user(email="first@example.com")
    return Token.objects.create(user=user)


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _token_reads(ctx) -> int:
    return sum('"authtoken_token"' in q["sql"] for q in ctx.captured_queries)


def test_a_known_token_is_read_from_the_database_once(token):
    client = _client(token.key)
    with CaptureQueriesContext(connection) as first:
        assert client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as second:
        response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == token.user.username
    assert _token_reads(first) == 1
    assert _token_reads(second) == 0
    assert len(second.captured_queries) == len(first.captured_queries) - 1


def test_a_deleted_token_is_refused_at_once(token):
    client = _client(token.key)
    assert client.get(ME).status_code == 200  # now cached
    token.delete()
    assert client.get(ME).status_code == 401


def test_tokens_deleted_in_bulk_are_refused_at_once(token):
    client = _client(token.key)
    assert client.get(ME).status_code == 200
    Token.objects.filter(user=token.user).delete()  # the admin's bulk action does this
    assert client.get(ME).status_code == 401


def test_a_deleted_user_is_refused_at_once(token):
    client = _client(token.key)
    assert client.get(ME).status_code == 200
    token.user.delete()
    assert client.get(ME).status_code == 401


def test_a_deactivated_user_is_refused_at_once(token):
    client = _client(token.key)
    assert client.get(ME).status_code == 200
    user = token.user
    user.is_active = False
    user.save()
    assert client.get(ME).status_code == 401


def test_a_changed_user_is_seen_on_the_next_request(token):
    client = _client(token.key)
    assert client.get(ME).json()["email"] == "first@example.com"
    user = token.user
    user.email = "second@example.com"
    user.save()
    assert client.get(ME).json()["email"] == "second@example.com"


def test_a_request_racing_the_deletion_cannot_put_the_token_back(token, monkeypatch):
    # The request reads the token from the database, then the token is deleted before
    # the request writes its cache entry: the entry must not be written.
    real = CachedTokenAuthentication._from_database

    def read_then_deleted(self, key):
        found = real(self, key)
        Token.objects.filter(key=key).delete()
        return found

    monkeypatch.setattr(CachedTokenAuthentication, "_from_database", read_then_deleted)
    assert _client(token.key).get(ME).status_code == 200  # it was valid when it was read
    monkeypatch.undo()
    assert _client(token.key).get(ME).status_code == 401


def test_the_cache_holds_neither_the_token_nor_the_password_hash(token):
    assert _client(token.key).get(ME).status_code == 200
    entry = cache.get(authentication._entry_key(token.key))
    assert isinstance(entry, tuple)
    flat = repr(entry)
    assert token.key not in flat
    assert token.user.password not in flat
    assert token.key not in authentication._entry_key(token.key)


def test_a_user_from_the_cache_saves_without_touching_the_password(token):
    auth = CachedTokenAuthentication()
    auth.authenticate_credentials(token.key)  # fills the cache
    user, cached = auth.authenticate_credentials(token.key)
    assert cached.key == token.key and user.pk == token.user_id
    assert "password" in user.get_deferred_fields()
    user.first_name = "Amina"
    user.save()
    token.user.refresh_from_db()
    assert token.user.first_name == "Amina"
    assert token.user.check_password("pw-Secret-123")


def test_an_unknown_token_is_refused(token):
    assert _client("0" * 40).get(ME).status_code == 401


def test_the_cache_can_be_turned_off(token, settings):
    settings.TOKEN_AUTH_CACHE_SECONDS = 0
    client = _client(token.key)
    client.get(ME)
    with CaptureQueriesContext(connection) as again:
        assert client.get(ME).status_code == 200
    assert _token_reads(again) == 1
