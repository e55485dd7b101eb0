"""The buyer's choice of how they hear about their orders: the account page
(``/accounts/notifications/``), the API (``GET/PATCH /api/v1/me/notifications/``) and
the language switch, which the account remembers for e-mails and text messages."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications import services
from notifications.constants import NotificationKind
from notifications.models import NotificationPreference
from sms.models import OutboxMessage
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/notifications/"
PAGE = "/accounts/notifications/"


@pytest.fixture
def buyer():
    return make_user(
        email="amina@example.com", phone="+8613800138000", phone_verified=True, language="en"
    )


def _paid_news(user, commit, key="order:FG1:paid"):
    with commit(execute=True):
        services.notify(
            user=user,
            kind=NotificationKind.ORDER_PAID,
            event_key=key,
            context={"number": "FG1", "total": "88.30"},
        )


# --- API -------------------------------------------------------------------------------


def test_api_reads_the_defaults_then_changes_one_choice_at_a_time(api_client, buyer):
    api_client.force_authenticate(buyer)
    assert api_client.get(URL).json() == {
        "in_app": True,
        "email": True,
        "sms": True,
        "language": "en",
        "email_possible": True,
        "sms_possible": True,
    }
    body = api_client.patch(URL, {"sms": False}, format="json").json()
    assert (body["email"], body["sms"]) == (True, False)
    body = api_client.patch(URL, {"email": False, "language": "ug"}, format="json").json()
    assert (body["email"], body["sms"], body["language"]) == (False, False, "ug")
    buyer.refresh_from_db()
    assert buyer.language == "ug"
    preference = NotificationPreference.objects.get(user=buyer)
    assert (preference.in_app, preference.email, preference.sms) == (True, False, False)


def test_api_choice_is_what_the_flows_use(api_client, buyer, django_capture_on_commit_callbacks):
    api_client.force_authenticate(buyer)
    api_client.patch(URL, {"email": False, "language": "ug"}, format="json")
    buyer.refresh_from_db()
    _paid_news(buyer, django_capture_on_commit_callbacks)
    assert not mail.outbox
    text = OutboxMessage.objects.get().text
    assert any("\u0600" <= ch <= "\u06ff" for ch in text), text


def test_api_says_when_a_channel_cannot_reach_the_person(api_client):
    user = make_user(email="", phone="+8613900139000", phone_verified=False)
    api_client.force_authenticate(user)
    body = api_client.get(URL).json()
    assert (body["email_possible"], body["sms_possible"]) == (False, False)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "maybe"}, "email"),
        ({"email": "true"}, "email"),
        ({"sms": 0}, "sms"),
        ({"sms": [True]}, "sms"),
        ({"in_app": None}, "in_app"),
        ({"language": "fr"}, "language"),
        ({"language": 7}, "language"),
    ],
)
def test_api_refuses_bad_input_and_changes_nothing(api_client, buyer, data, field):
    api_client.force_authenticate(buyer)
    response = api_client.patch(URL, data, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["details"]
    assert not NotificationPreference.objects.exists()
    buyer.refresh_from_db()
    assert buyer.language == "en"


def test_api_refuses_a_body_that_is_not_an_object(api_client, buyer):
    api_client.force_authenticate(buyer)
    response = api_client.patch(URL, [1, 2], format="json")
    assert response.status_code == 400 and "error" in response.json()


def test_api_needs_a_signed_in_person(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.patch(URL, {"sms": False}, format="json").status_code == 401


def test_the_schema_documents_the_settings_endpoint(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/me/notifications/"]
    assert {"200", "401"} <= set(operations["get"]["responses"])
    assert {"200", "400", "401"} <= set(operations["patch"]["responses"])


# --- the account page ------------------------------------------------------------------


def test_the_page_shows_and_saves_the_choice(client, buyer):
    client.force_login(buyer)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="email"' in html and 'name="sms"' in html and 'name="language"' in html
    # An unticked box is absent from the form: off.
    response = client.post(PAGE, {"email": "on", "language": "zh-hans"})
    assert response.status_code == 302 and response["Location"] == PAGE
    preference = NotificationPreference.objects.get(user=buyer)
    assert (preference.email, preference.sms) == (True, False)
    buyer.refresh_from_db()
    assert buyer.language == "zh-hans"
    assert 'name="sms"' in client.get(PAGE).content.decode()


def test_the_page_refuses_an_unknown_language(client, buyer):
    client.force_login(buyer)
    response = client.post(PAGE, {"email": "on", "sms": "on", "language": "fr"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_page_says_why_text_messages_cannot_come(client):
    user = make_user(phone="", email="")
    client.force_login(user)
    html = client.get(PAGE).content.decode()
    assert "signed in with by a code" in html and "no e-mail address" in html


def test_the_page_needs_a_signed_in_person(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_header_links_to_the_page(client, buyer):
    client.force_login(buyer)
    assert PAGE in client.get("/orders/").content.decode()


# --- the language switch ---------------------------------------------------------------


def test_the_language_switch_is_remembered_for_a_signed_in_person(client, buyer):
    client.force_login(buyer)
    response = client.post("/i18n/setlang/", {"language": "ug", "next": "/"})
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert buyer.language == "ug"


def test_the_language_switch_ignores_an_unknown_language(client, buyer):
    client.force_login(buyer)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    buyer.refresh_from_db()
    assert buyer.language == "en"


def test_the_language_switch_still_works_for_a_visitor(client):
    response = client.post("/i18n/setlang/", {"language": "ug", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "ug"
