"""Fixtures of the orders tests: a buyer, an address, an authenticated API client."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import ADDRESS, make_user


@pytest.fixture
def address() -> dict:
    return dict(ADDRESS)


@pytest.fixture
def buyer(db):
    return make_user("buyer")


@pytest.fixture
def client_for():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def buyer_client(buyer, client_for) -> APIClient:
    return client_for(buyer)
