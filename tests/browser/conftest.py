"""Browser tests: Playwright driving Debian's Chromium (no browser download) against
pytest-django's live server.

Outside CI a missing Chromium skips these tests with the reason; in CI
(``FARMGATE_REQUIRE_SERVICES=1``) it fails them. Screenshots go to
``test-artifacts/screenshots/`` (git-ignored): one per step, phone and desktop.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The live server is threaded and Playwright's sync API runs an event loop in this
# thread: Django's async-safety guard would otherwise refuse ORM calls in the tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        message = "Chromium not found: apt-get install chromium, or set CHROMIUM_PATH"
        if os.environ.get("FARMGATE_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(viewport=PHONE, lang="zh-hans")``: a fresh context (own cookies)."""
    contexts = []

    def make(*, viewport=PHONE, lang="zh-hans"):
        context = browser.new_context(
            viewport=viewport, base_url=live_server.url, locale="zh-CN", device_scale_factor=1
        )
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shoot(page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, username: str, password: str = "farmgate-demo", next_url: str = "/") -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def celery_worker_all_queues(settings):
    """A real Celery worker (thread, solo pool) on the Redis broker, consuming every queue."""
    from celery.contrib.testing.worker import start_worker

    from storefront.celery import app

    keys = ("broker_url", "task_always_eager", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(
        broker_url=os.environ["REDIS_URL"],
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": 3600},
    )
    # Drop connections and the producer pool made for a previous broker (another test's
    # private Redis or the in-memory one): publishing must reach this worker's Redis.
    app._pool = None
    app.amqp._producer_pool = None
    queues = list(settings.CELERY_TASK_QUEUES_NAMES)
    with app.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, queues=queues, loglevel="WARNING"
        ):
            yield app
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None
