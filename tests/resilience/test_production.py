"""Production settings and browser protections: security headers and a strict CSP on
the storefront, the admin and the API docs (nothing loaded from another origin), no
inline script or style in the templates, `check --deploy` clean, secrets never
logged, bandit clean, health endpoints for load balancers."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import make_batch, make_product, make_user

pytestmark = [pytest.mark.resilience]

ROOT = Path(__file__).resolve().parents[2]


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/products/", "/products/{product}/", "/trace/{batch}/", "/cart/", "/farm/"],
)
def test_storefront_pages_send_a_strict_csp_and_security_headers(client, path):
    product = make_product()
    batch = make_batch(product=product)
    from catalog.services import membership_grant

    user = make_user()
    membership_grant(user=user, cooperative=product.cooperative, role="farmer")
    client.force_login(user)
    response = client.get(path.format(product=product.slug, batch=batch.code))
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no CDN
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    # Forms post here; the pay form may also land on our public address (the wallet).
    assert policy["form-action"][0] == "'self'"
    assert all(
        src.startswith(("'self'", "http://127.0.0.1", "http://localhost", "http://testserver"))
        for src in policy["form-action"]
    ), policy["form-action"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    body = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline <script>"
    assert not re.search(r"<style\b", body), "inline <style>"
    assert not re.search(r"\son[a-z]+\s*=", body), "inline event handler"
    assert not re.search(r"\sstyle\s*=", body), "inline style attribute"
    assert not re.search(r"""(src|href)=["']https?://""", body), "a resource from elsewhere"


@pytest.mark.django_db
def test_admin_and_api_docs_load_nothing_from_another_origin(client):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    admin = client.get("/admin/")
    assert _csp(admin)["script-src"] == ["'self'"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    body = docs.content.decode()
    assert "cdn.jsdelivr.net" not in body and "unpkg" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)  # the split view's file
    policy = _csp(docs)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]  # Swagger UI's <style>


def test_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        if "emails" in template.parts:  # e-mail clients need inline styles; not served
            continue
        text = template.read_text()
        for rx in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"<style\b",
            r"\son[a-z]+\s*=",
            r"\sstyle\s*=",
        ):
            if re.search(rx, text):
                offenders.append(f"{template.relative_to(ROOT)}: {rx}")
    assert offenders == []


def _run(args, **env):
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


SECRET = "k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "storefront.settings.production",
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "farmgate.example",
    "DATABASE_URL": "postgres://farmgate:db-Pa55word@db.invalid:5432/farmgate",
    "EMAIL_URL": "submission://farmgate:mail-Pa55word@mail.invalid:587",
    "SANDBOX_WALLET_SECRET": "wallet-Secret-xyz",
    "WECHATPAY_APIV3_KEY": "apiv3-Secret-key-0123456789abcdef",
}


def test_production_sends_secure_cookies_hsts_and_the_csp():
    result = _run(
        [
            "-c",
            "import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.DEBUG, "
            "'csp.middleware.CSPMiddleware' in s.MIDDLEWARE]))",
        ],
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[true, true, 31536000, true, false, true]"


def test_secrets_never_reach_the_logs(caplog):
    """Start production settings with every log line captured: no secret appears, and
    the database password is never printed by the failing-connection error either."""
    result = _run(["manage.py", "check", "--deploy", "-v", "3"], **PRODUCTION_ENV)
    output = result.stdout + result.stderr
    for secret in (SECRET, "db-Pa55word", "wallet-Secret-xyz", "apiv3-Secret-key", "mail-Pa55word"):
        assert secret not in output
    # The app's own loggers never format a secret either: the queue's and metrics'
    # messages carry names and ids only.
    caplog.set_level(logging.DEBUG)
    from storefront import metrics

    metrics.incr("probe")
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_bandit_reports_no_high_severity_issue():
    bandit = shutil.which("bandit") or str(Path(sys.executable).parent / "bandit")
    result = subprocess.run(
        [
            bandit,
            "-q",
            "-r",
            "storefront",
            "accounts",
            "catalog",
            "orders",
            "payments",
            "fulfilment",
            "farm",
            "-x",
            "*/migrations/*,*/tests/*",
            "--severity-level",
            "high",
            "-f",
            "txt",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_healthz_needs_nothing_and_readyz_checks_database_and_broker(client, monkeypatch):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}

    from storefront.celery import app

    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    app._pool = None
    try:
        down = client.get("/readyz")
    finally:
        app._pool = None
    assert down.status_code == 503
    assert down.json()["checks"] == {"database": "ok", "broker": "unavailable"}
    assert client.get("/healthz").status_code == 200  # the process itself is fine


@pytest.mark.django_db(transaction=True)
def test_readyz_reports_a_database_it_cannot_reach(client, monkeypatch):
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"


def test_production_settings_refuse_the_demo_superuser():
    result = _run(["manage.py", "load_demo", "--no-photos", "--with-admin"], **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "refused under the production settings" in result.stderr
