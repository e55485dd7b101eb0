"""Every error page in the site's layout and the reader's language, with a way back
(issue 18): 404 (also with DEBUG on, as ``make run`` has it), 403, 500, a CSRF failure,
and the admin's log-in for someone signed in who may not use it. The API keeps its
JSON answers (tests/storefront/test_error_answers.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.services import membership_grant
from tests.factories import make_cooperative, make_user

pytestmark = pytest.mark.django_db

LANGUAGES = {"zh-hans": "页面不存在", "ug": "بەت تېپىلمىدى", "en": "Page not found"}


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize(("lang", "words"), LANGUAGES.items())
def test_404_is_the_sites_page_in_the_readers_language(client, settings, debug, lang, words):
    settings.DEBUG = debug
    client.cookies["django_language"] = lang
    for path in ("/no-such-page/", "/products/no-such-product/"):
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code == 404
        assert 'data-error="404"' in body and 'class="site-header"' in body
        assert f'lang="{lang}"' in body and words in body
        assert 'href="/"' in body and "URLconf" not in body  # no list of every URL
    assert client.get("/api/v1/nothing/")["Content-Type"].startswith("application/json")


def test_csrf_failure_is_a_page_with_a_way_back(settings):
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "ug"
    response = client.post(
        "/accounts/login/", {"username": "x"}, HTTP_REFERER="http://testserver/accounts/login/"
    )
    body = response.content.decode()
    assert response.status_code == 403
    assert 'data-error="csrf"' in body and 'lang="ug"' in body and "Forbidden" not in body
    assert 'href="http://testserver/accounts/login/"' in body  # back to the form
    evil = client.post("/accounts/login/", {}, HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in evil.content.decode()
    api = client.post("/api/v1/cart/items/", {}, HTTP_COOKIE="sessionid=x")
    assert api["Content-Type"].startswith("application/json")


def test_a_farmer_at_the_admin_gets_the_sites_403_with_the_portal_link(client):
    farmer = make_user("farmer1")
    membership_grant(user=farmer, cooperative=make_cooperative(), role="farmer")
    client.force_login(farmer)
    response = client.get("/admin/", follow=True)
    body = response.content.decode()
    assert response.status_code == 403
    assert "The administration is for cooperative managers" in body
    assert "/farm/" in body and "another account" not in body
    assert Client().get("/admin/login/").status_code == 200  # the log-in form as before


def test_500_is_the_sites_page_in_the_readers_language(rf, settings):
    from django.utils import translation

    from storefront.views import server_error

    request = rf.get("/products/")
    with translation.override("zh-hans"):
        response = server_error(request)
    body = response.content.decode()
    assert response.status_code == 500 and 'data-error="500"' in body
    assert 'lang="zh-hans"' in body and 'href="/"' in body and "site.css" in body
