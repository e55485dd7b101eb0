"""Helpers of the operating tests: a fresh Django process with chosen environment
variables, the root logger as production configures it, a task sent as a request would."""

from __future__ import annotations

import io
import logging
import logging.config
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from storefront import logs
from storefront.logs import RedactSecretsFilter, logging_config

ROOT = Path(__file__).resolve().parents[2]
# Variables a test sets itself: the outer environment's values must not leak in.
_OWN = ("DJANGO_", "EMAIL_", "S3_", "MEDIA_", "SENTRY_", "LOG_")


def run_django(statements: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``statements`` after ``django.setup()`` in a new process (development
    settings unless ``DJANGO_SETTINGS_MODULE`` is given)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN)}
    return subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{statements}"],
        cwd=ROOT,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "storefront.settings.local", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextmanager
def root_log(*, fmt: str = "json", level: str = "INFO") -> Iterator[io.StringIO]:
    """The root logger configured as ``LOGGING`` would be, writing into a buffer."""
    logging.config.dictConfig(logging_config(fmt=fmt, level=level))
    buffer = io.StringIO()
    (handler,) = logging.getLogger().handlers
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        logging.config.dictConfig(settings.LOGGING)
        RedactSecretsFilter.forget()


def send_in_request(app, task_name: str, request_id: str, **options) -> None:
    """Send a task the way one enqueued while serving request ``request_id`` is sent."""
    token = logs.request_id_var.set(request_id)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False  # a real send
    try:
        app.send_task(task_name, **options)
    finally:
        app.conf.task_always_eager = eager
        logs.request_id_var.reset(token)


def compiles_of(monkeypatch, compiler) -> list:
    """The models whose SQL ``compiler`` (a Django SQL compiler class) compiles from now
    on, one entry per compilation: the statement caches of ``storefront.db`` are tested
    by what they no longer compile."""
    calls: list = []
    real = compiler.as_sql

    def counted(self, *args, **kwargs):
        calls.append(self.query.model)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(compiler, "as_sql", counted)
    return calls
