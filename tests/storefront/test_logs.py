"""Request ids (made here or taken from a trusted proxy, answered, on every log line of
the request and on the tasks it enqueues), JSON lines, and secrets redacted."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest
from celery import signals
from django.conf import settings
from django.test import override_settings

from storefront import logs
from storefront.logs import REDACTED, RedactSecretsFilter

from .helpers import root_log, run_django, send_in_request


@pytest.fixture
def json_log():
    with root_log() as buffer:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_every_answer_has_a_new_request_id_and_its_log_lines_carry_it(client, json_log):
    big = {"CONTENT_LENGTH": str(10 * 1024 * 1024)}
    first = client.generic("POST", "/api/v1/orders/?token=tok-in-query-123", b"", **big)
    second = client.generic("POST", "/api/v1/orders/", b"", **big)
    assert first.status_code == second.status_code == 413
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert ids[0] != ids[1] and all(len(i) == 32 for i in ids)
    lines = json_log()
    # The middleware's metric line and Django's own "Request Entity Too Large".
    for request_id in ids:
        mine = [line for line in lines if line["request_id"] == request_id]
        assert {line["logger"] for line in mine} >= {"farmgate.metrics", "django.request"}
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    # Django's lines name the request by method and path: never its query string.
    assert "tok-in-query-123" not in json.dumps(lines)
    assert {line.get("request") for line in lines} >= {"POST /api/v1/orders/"}
    assert logs.request_id_var.get() == ""  # nothing left over for the next request


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_trusted_proxys_request_id_is_kept_and_anyone_elses_replaced(client):
    kept = client.get("/healthz", REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID="edge-7f3a9c21")
    assert kept["X-Request-ID"] == "edge-7f3a9c21"
    forged = client.get("/healthz", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="edge-7f3a9c21")
    assert forged["X-Request-ID"] != "edge-7f3a9c21"
    # Only a short id of safe characters: nothing that could forge a log line.
    hostile = client.get("/healthz", REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID='x"\n{"a":1}')
    assert hostile["X-Request-ID"] != 'x"\n{"a":1}' and len(hostile["X-Request-ID"]) == 32


def test_tasks_enqueued_in_a_request_carry_its_id_and_log_it():
    from storefront.celery import app

    sent = []

    def capture(headers=None, **kwargs):
        sent.append(dict(headers))

    signals.before_task_publish.connect(capture)
    try:
        send_in_request(app, "orders.tasks.orders_expire_task", "req-from-web-0001")
    finally:
        signals.before_task_publish.disconnect(capture)
    assert sent and sent[-1]["request_id"] == "req-from-web-0001"

    # The worker side: the header becomes the task's request id while it runs.
    class Task:
        name = "orders.tasks.orders_expire_task"

        class request:
            request_id = "req-from-web-0001"

    tokens = logs.task_context_enter(Task, "task-1")
    record = logging.makeLogRecord({"msg": "x"})
    logs.ContextFilter().filter(record)
    logs.task_context_exit(tokens)
    assert (record.request_id, record.task_id, record.task) == (
        "req-from-web-0001",
        "task-1",
        "orders.tasks.orders_expire_task",
    )
    assert logs.request_id_var.get() == ""


@override_settings(
    SANDBOX_WALLET_SECRET="wallet-secret-0123456789",
    CARRIER_WEBHOOK_SECRETS={"sf": "carrier-secret-abcdefgh"},
    METRICS_TOKEN="metrics-token-zyxwvuts",
)
def test_a_secret_that_reaches_a_log_call_is_redacted(json_log):
    RedactSecretsFilter.forget()
    log = logging.getLogger("farmgate.test")
    log.warning("key %s and %s", settings.SECRET_KEY, "wallet-secret-0123456789")
    log.warning("carrier", extra={"header": "t=1,v1=carrier-secret-abcdefgh"})
    log.warning("token metrics-token-zyxwvuts in a message")
    text = json.dumps(json_log())
    for secret in (
        settings.SECRET_KEY,
        "wallet-secret-0123456789",
        "carrier-secret-abcdefgh",
        "metrics-token-zyxwvuts",
    ):
        assert secret not in text
    assert text.count(REDACTED) == 4


def _setting(expression: str, **env) -> subprocess.CompletedProcess:
    return run_django(f"from django.conf import settings as s\nprint({expression})", **env)


def test_json_is_the_default_and_text_only_for_a_person_running_debug():
    formatter = "s.LOGGING['formatters']['main'].get('()', 'text')"
    assert "JsonFormatter" in _setting(formatter, DEBUG="0").stdout
    assert _setting(formatter, DEBUG="1").stdout.strip() == "text"
    assert "JsonFormatter" in _setting(formatter, DEBUG="1", LOG_FORMAT="json").stdout
    refused = _setting(formatter, LOG_FORMAT="xml")
    assert refused.returncode != 0 and "LOG_FORMAT" in refused.stderr


def test_a_workers_loglevel_flag_still_counts(settings):
    """Workers log through Django's LOGGING, at the level their --loglevel asks for
    (the bench harness and operators wait for the INFO line "… ready.")."""
    import logging.config

    from storefront.celery import _django_logging
    from storefront.logs import logging_config

    original = settings.LOGGING
    settings.LOGGING = logging_config(fmt="json", level="WARNING")
    try:
        _django_logging(loglevel=logging.INFO)
        assert logging.getLogger().level == logging.INFO
        (handler,) = logging.getLogger().handlers
        assert type(handler.formatter).__name__ == "JsonFormatter"
        _django_logging(loglevel=None)
        assert logging.getLogger().level == logging.WARNING
    finally:
        logging.config.dictConfig(original)
