"""Issue 18: signing in landed everyone on the shop's home page."""

from __future__ import annotations

import pytest

from tests.factories import make_farmer, make_manager, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "wheat-field-2026"
TO_PACK = "/admin/fulfilment/shipment/"  # the manager's first screen


def _log_in(client, user, next_url=None):
    user.set_password(PASSWORD)
    user.save()
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": PASSWORD})


@pytest.mark.parametrize("next_url", [None, "/"])
def test_each_role_lands_where_its_work_is(client, coop, next_url):
    assert _log_in(client, make_manager(coop), next_url)["Location"] == TO_PACK
    client.logout()
    assert _log_in(client, make_farmer(coop), next_url)["Location"] == "/farm/"
    client.logout()
    assert _log_in(client, make_user(), next_url)["Location"] == "/"


def test_a_page_asked_for_still_wins(client, coop):
    response = _log_in(client, make_manager(coop), "/products/")
    assert response["Location"] == "/products/"


def test_the_site_menu_links_a_manager_to_the_admin(client, coop):
    client.force_login(make_manager(coop))
    assert 'href="/admin/"' in client.get("/").content.decode()
    client.force_login(make_farmer(coop))
    assert 'href="/admin/"' not in client.get("/").content.decode()
