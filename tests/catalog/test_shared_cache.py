"""Issue 12 item 15: with no Redis configured, every process shares one cache.

The embedded set-up of ``make run`` (SQLite, no ``REDIS_URL``) runs here for real:
a gunicorn with two worker processes serves the catalogue API and caches its pages;
a second process (``manage.py shell``, as the Celery worker or an operator would)
archives a product and returns stock to a sold-out one; the very next requests must
show both. With a per-process cache they showed the old pages for five minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent

SETUP = """
from catalog.demo import load_demo
from catalog.models import Product, Variant
load_demo(with_photos=False)
Variant.objects.filter(product__slug="SLUG").update(stock=0)
"""
SECOND_PROCESS = """
from django.db.models import F
from catalog import services
from catalog.cache import catalog_changed
from catalog.models import Product, Variant
services.product_archive(product=Product.objects.get(slug="ARCHIVED"))
# As the worker gives an expired order's stock back: a bulk UPDATE, then the bump.
Variant.objects.filter(product__slug="RESTOCKED").update(stock=F("stock") + 20)
catalog_changed()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _products(base: str) -> dict[str, int]:
    """slug -> units available, over every page of the list."""
    found, url = {}, f"{base}/api/v1/products/?page_size=100"
    while url:
        page = _get(url)
        for p in page["results"]:
            found[p["slug"]] = sum(
                v["available"] for v in _get(f"{base}/api/v1/products/{p['slug']}/")["variants"]
            )
        url = page.get("next")
    return found


@pytest.fixture
def embedded_server(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TEST_DATABASE_NAME")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="storefront.settings.local",
        FARMGATE_VAR_DIR=str(tmp_path),
        MEDIA_ROOT=str(tmp_path / "media"),
        DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    _manage(env, "migrate", "--noinput", "-v0")
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "storefront.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    "gunicorn did not start"
                )
                time.sleep(0.3)
        yield env, base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def test_a_write_from_another_process_is_served_at_once(embedded_server):
    env, base = embedded_server
    archived, restocked = "jeminay-bread-flour", "chengkou-wild-honey"
    _manage(env, "shell", "-c", SETUP.replace("SLUG", restocked))
    for _ in range(4):  # both gunicorn workers have cached the list and the details
        before = _products(base)
    assert archived in before and before[restocked] == 0

    _manage(
        env,
        "shell",
        "-c",
        SECOND_PROCESS.replace("ARCHIVED", archived).replace("RESTOCKED", restocked),
    )
    for _ in range(4):
        after = _products(base)
        assert archived not in after
        assert after[restocked] == 40  # two sizes, 20 each
