"""Settings and project wiring."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def _run(args, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "storefront.settings.production",
    "SECRET_KEY": "k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3,
    "ALLOWED_HOSTS": "farmgate.example",
    "DATABASE_URL": "postgres://farmgate@db.invalid:5432/farmgate",
    "EMAIL_URL": "smtp://mail.invalid:25",
}


def test_check_deploy_with_production_settings_is_clean():
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing):
    env = {**PRODUCTION_ENV, missing: ""}
    result = _run(["check"], **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_sqlite():
    result = _run(["check"], **{**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///x.db"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


@pytest.mark.django_db
def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_celery_is_configured_for_safety():
    from storefront.celery import app

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    queues = {q.name for q in conf.task_queues}
    assert queues == {"default", "payments", "fulfilment", "media", "sms", "reports"}
    assert conf.task_routes["sms.tasks.*"] == {"queue": "sms"}
    assert conf.task_routes["reports.tasks.*"] == {"queue": "reports"}
    assert conf.task_time_limit and conf.task_soft_time_limit
    # Every queue has a worker, in production (Procfile) and in `make run` (Procfile.dev).
    for procfile in ("Procfile", "Procfile.dev"):
        text = (ROOT / procfile).read_text()
        consumed = {q for found in re.findall(r"-Q (\S+)", text) for q in found.split(",")}
        assert consumed == queues, procfile


def test_health_endpoints(client, db):
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.json()["checks"]["database"] == "ok"


def test_unknown_api_path_answers_json_404(client, db):
    response = client.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_public_base_url_follows_the_served_port_and_csp_allows_the_wallets():
    code = (
        "from django.conf import settings as s; "
        "print('URL', s.PUBLIC_BASE_URL); "
        "print('FORM', s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "storefront.settings.local",
        "PORT": "8765",
        "HOST": "127.0.0.1",
        "PUBLIC_BASE_URL": "",
        "ALIPAY_APP_ID": "2021000000000001",
    }
    result = _run(["shell", "-c", code], **env)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    url, form_action = lines["URL"], lines["FORM"]
    assert url == "http://127.0.0.1:8765"
    assert "http://127.0.0.1:8765" in form_action and "https://openapi.alipay.com" in form_action
