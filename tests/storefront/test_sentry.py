"""Error reports: off without a DSN; with one, an unhandled error reaches the server (a
local HTTP server plays Sentry/GlitchTip) without the buyer's personal data or any
secret of the request."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
import sentry_sdk
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from storefront.sentry import sentry_init
from tests.factories import make_user

from .helpers import run_django

PHONE = "13700001111"
EMAIL = "li.na@example.cn"
PASSWORD = "Li-Na-Pa55word"
STREET = "Village Road 9"


@csrf_exempt
def _explode(request):
    address = PHONE + STREET  # a local variable holding personal data
    raise RuntimeError(f"order failed ({len(address)})")


def _fine(request):
    return HttpResponse("ok")


urlpatterns = [path("explode/", _explode), path("fine/", _fine)]


def _events(httpserver) -> list[dict]:
    events = []
    for request, _ in httpserver.log:
        body = request.get_data()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = body.decode().splitlines()
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


@pytest.fixture
def sentry(httpserver):
    httpserver.expect_request("/api/1/envelope/").respond_with_data("{}")
    dsn = f"http://public0123456789abcdef@127.0.0.1:{httpserver.port}/1"
    sentry_init(dsn=dsn, environment="test")
    try:
        yield httpserver
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn=None)


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__, DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_an_error_is_reported_without_personal_data(sentry):
    user = make_user("lina", password=PASSWORD, email=EMAIL, phone=PHONE)
    login = Client()
    login.force_login(user)
    session = login.cookies["sessionid"].value
    # Through Django's WSGI handler, as under gunicorn (the integration hooks it).
    web = httpx.Client(
        transport=httpx.WSGITransport(app=get_wsgi_application()),
        base_url="http://testserver",
        cookies={"sessionid": session},
    )
    response = web.post(
        f"/explode/?phone={PHONE}&token=tok-0123456789",
        data={"password": PASSWORD, "address": STREET},
        headers={
            "Authorization": "Token tok-abcdef0123456789",
            "X-Forwarded-For": "203.0.113.7",
            "User-Agent": "Mozilla/5.0 (Linux; Android 14; LiNa-Phone)",
        },
    )
    assert response.status_code == 500
    assert web.get("/fine/").status_code == 200
    sentry_sdk.flush(timeout=10)
    events = _events(sentry)
    assert len(events) == 1, events
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["environment"] == "test"
    assert event["request"]["url"].endswith("/explode/")
    assert event["request"]["method"] == "POST"
    assert set(event["request"]["headers"]) <= {"Content-Type", "Content-Length"}
    text = json.dumps(event)
    for private in (
        PHONE,
        EMAIL,
        PASSWORD,
        "lina",
        session,
        "tok-abcdef0123456789",
        "tok-0123456789",
        "203.0.113.7",
        STREET,
        "LiNa-Phone",
    ):
        assert private not in text, private
    assert "vars" not in json.dumps(event["exception"])  # no local variables at all


def test_reporting_is_off_without_a_dsn_and_on_with_one():
    def active(**env) -> str:
        result = run_django(
            "import sentry_sdk\nc = sentry_sdk.get_client()\n"
            "print(c.is_active(), sorted(c.integrations) if c.is_active() else [], "
            "c.should_send_default_pii())",
            **env,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert active().startswith("False")
    on = active(SENTRY_DSN="http://key@127.0.0.1:9/1")
    assert on.startswith("True") and "'celery'" in on and "'django'" in on
    assert on.endswith("False")  # send_default_pii stays off
