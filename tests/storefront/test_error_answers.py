"""Issue 12 items 9 and 13: error answers a client can cause.

Under ``/api/`` every answer is JSON ``{"error": {...}}`` (API.md "Additions in v1"),
with ``DEBUG`` on (``make run``) as well as off: a path that matches no route, a 405
and a 500. In the pages, a 403 is a page in the site's layout; someone without a
cooperative who opens the farmer portal is told what it is for and led to the shop.
"""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.services import membership_grant
from tests.factories import make_cooperative, make_user

pytestmark = pytest.mark.django_db

UNROUTED = [
    "/api/v1/products/%20%C2%BE/",
    "/api/v1/cart/items/null,null/",
    "/api/v1/nothing/",
    "/api/v1/cart/items/99999999999999999999999999/",
    "/api/nothing",
]


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["error"]["code"] == code, body
    assert set(body["error"]) == {"code", "message", "details"}
    return body


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("path", UNROUTED)
def test_an_api_path_that_matches_no_route_answers_json_404(settings, debug, path):
    settings.DEBUG = debug
    client = Client()
    client.force_login(make_user())
    _assert_error(client.get(path), 404, "not_found")
    _assert_error(client.post(path, {}), 404, "not_found")


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_a_method_the_api_does_not_allow_answers_json_405(settings, debug, path):
    settings.DEBUG = debug
    body = _assert_error(Client().delete(path), 405, "method_not_allowed")
    assert body["error"]["message"]


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_an_uncaught_exception_under_the_api_answers_json_500(settings, monkeypatch, debug):
    settings.DEBUG = debug
    from accounts.api import views

    def boom(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.MeView, "get", boom)
    client = Client(raise_request_exception=False)
    client.force_login(make_user())
    body = _assert_error(client.get("/api/v1/me/"), 500, "server_error")
    assert "a bug" not in str(body) and "Traceback" not in str(body)


def test_a_buyer_opening_the_farmer_portal_gets_a_page_in_the_site_layout():
    client = Client()
    client.force_login(make_user(username="just-a-buyer"))
    response = client.get("/farm/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="site-header"' in page and 'class="site-footer"' in page
    assert "The farmer portal is for cooperative members" in page
    assert 'href="/"' in page and "Go to the shop" in page


def test_the_portal_page_speaks_the_buyers_language():
    client = Client()
    client.force_login(make_user(username="ug-buyer"))
    page = client.get("/farm/stock/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "合作社" in page and "The farmer portal" not in page


def test_a_member_forbidden_one_portal_page_gets_the_general_403_page():
    farmer = make_user()
    membership_grant(user=farmer, cooperative=make_cooperative(), role="farmer")
    client = Client()
    client.force_login(farmer)
    response = client.get("/farm/review/", HTTP_ACCEPT_LANGUAGE="en")  # managers only
    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="site-header"' in page and "Go to the shop" in page
