"""Logging: one JSON object a line in production, the request id on every line, and
no secret ever written.

* ``request_id`` is set by ``storefront.middleware.RequestIdMiddleware`` for the
  request's thread, travels with every Celery task the request enqueues (a message
  header, see ``storefront/celery.py``) and is set again while the worker runs it,
  so ``grep <id>`` finds the request and everything it started. ``task_id`` and
  ``task`` are on the lines a task writes.
* ``RedactSecretsFilter`` replaces the value of every configured secret (the secret
  key, payment and carrier keys, the SMTP password, the metrics token …) by
  ``[redacted]`` in any line that would carry one, as a last line of defence; the
  code itself logs names and ids, never keys, tokens, signatures or wallet accounts.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
task_var: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("task", default=("", ""))

# Settings whose values are secrets (strings, or dicts of strings such as per-carrier keys).
SECRET_SETTINGS = (
    "SECRET_KEY",
    "SANDBOX_WALLET_SECRET",
    "WECHATPAY_APIV3_KEY",
    "CARRIER_WEBHOOK_SECRETS",
    "EMAIL_HOST_PASSWORD",
    "S3_SECRET_ACCESS_KEY",
    "METRICS_TOKEN",
)
REDACTED = "[redacted]"
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``task`` to every record (empty when none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id, record.task = task_var.get()
        # Django adds the request object to its own lines; as text it would carry the
        # query string (tokens, phone numbers): keep the method and path only.
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            record.request = f"{getattr(request, 'method', '')} {request.path}"
        return True


def _secret_values() -> list[str]:
    from django.conf import settings

    if not settings.configured:
        return []
    found: list[str] = []
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, "")
        for item in value.values() if isinstance(value, dict) else [value]:
            # Short values would redact ordinary words; real secrets are long.
            if isinstance(item, str) and len(item) >= 8:
                found.append(item)
    return found


class RedactSecretsFilter(logging.Filter):
    """Replaces configured secrets in the message and in string ``extra`` fields."""

    _secrets: list[str] | None = None

    @classmethod
    def secrets(cls) -> list[str]:
        if cls._secrets is None:
            try:
                cls._secrets = _secret_values()
            except Exception:  # settings not importable yet: try again next time
                return []
        return cls._secrets

    @classmethod
    def forget(cls) -> None:
        """Read the secrets from settings again (tests that change them)."""
        cls._secrets = None

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self.secrets()
        if not secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in secrets):
            for secret in secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                for secret in secrets:
                    if secret in value:
                        value = value.replace(secret, REDACTED)
                setattr(record, key, value)
        return True


THIRD_PARTY_QUIET_LOGGERS = (
    "fontTools",
    "fpdf",
    "PIL",
    "httpx",
    "httpcore",
    "urllib3",
    "kombu",
    "amqp",
    "axes",
    "asyncio",
    "segno",
)


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """Django's ``LOGGING``: ``fmt`` is ``json`` (production) or ``text`` (a person)."""
    formatters: dict[str, Any] = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    }
    if fmt not in formatters:
        raise ValueError(f"LOG_FORMAT must be json or text, not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "storefront.logs.ContextFilter"},
            "redact": {"()": "storefront.logs.RedactSecretsFilter"},
        },
        "formatters": {"main": formatters[fmt]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Libraries that narrate their work at INFO (fpdf2's font subsetting writes
            # dozens of lines per packing slip, httpx every outgoing URL with its query
            # string): only their warnings reach the log, so an operator can read it.
            # Set on the loggers themselves, so they survive a worker's --loglevel.
            **{name: {"level": "WARNING"} for name in THIRD_PARTY_QUIET_LOGGERS},
        },
    }


# --- Celery: the request id travels in a message header ------------------------------
HEADER = "request_id"


def add_request_id_header(headers: dict[str, Any] | None) -> None:
    """``before_task_publish``: stamp the current request id on the outgoing message."""
    current = request_id_var.get()
    if current and headers is not None and HEADER not in headers:
        headers[HEADER] = current


def task_context_enter(task: Any, task_id: str) -> tuple[contextvars.Token, contextvars.Token]:
    """``task_prerun``: the task's lines carry its id, name and the request id it came
    with (an eager task, run inside the request, keeps the request's)."""
    request = getattr(task, "request", None)
    incoming = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(
        HEADER
    )
    return (
        request_id_var.set(incoming or request_id_var.get()),
        task_var.set((task_id or "", getattr(task, "name", "") or "")),
    )


def task_context_exit(tokens: tuple[contextvars.Token, contextvars.Token] | None) -> None:
    if tokens:
        request_id_var.reset(tokens[0])
        task_var.reset(tokens[1])
