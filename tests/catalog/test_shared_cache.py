"""Issue 12 item 15: with no Redis configured, every process shares one cache.

The embedded set-up of ``make run`` (SQLite, no ``REDIS_URL``) runs here for real:
a gunicorn with two worker processes serves the catalogue API and caches its pages;
a second process (``manage.py shell``, as the Celery worker or an operator would)
archives a product and returns stock to a sold-out one; the very next requests must
show both. With a per-process cache they showed the old pages for five minutes.
"""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest

from scripts import fuzz_api as processes

pytestmark = [pytest.mark.slow]

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


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _products(base: str) -> dict[str, int]:
    """slug -> units available, over every page of the list."""
    found, url = {}, f"{base}/api/v1/products/?page_size=100"
    while url:
        page = _get(url)
        for p in page["results"]:
            detail = _get(f"{base}/api/v1/products/{p['slug']}/")
            found[p["slug"]] = sum(v["available"] for v in detail["variants"])
        url = page.get("next")
    return found


@pytest.fixture
def embedded_server(tmp_path):
    """`make run`'s set-up (SQLite, no Redis) under tmp_path, served by two gunicorn
    worker processes, as the fuzzer starts it."""
    env = processes.embedded_env(tmp_path)
    processes.manage(env, "migrate", "--noinput", "-v0")
    port = processes.free_port()
    server = processes.start_gunicorn(env, port, tmp_path / "gunicorn.log", "-w", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        processes.wait_ready(f"{base}/healthz", server)
        yield env, base
    finally:
        processes.stop(server)
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def test_a_write_from_another_process_is_served_at_once(embedded_server):
    env, base = embedded_server
    archived, restocked = "jeminay-bread-flour", "chengkou-wild-honey"
    processes.manage(env, "shell", "-c", SETUP.replace("SLUG", restocked))
    for _ in range(4):  # both gunicorn workers have cached the list and the details
        before = _products(base)
    assert archived in before and before[restocked] == 0

    processes.manage(
        env,
        "shell",
        "-c",
        SECOND_PROCESS.replace("ARCHIVED", archived).replace("RESTOCKED", restocked),
    )
    for _ in range(4):
        after = _products(base)
        assert archived not in after
        assert after[restocked] == 40  # two sizes, 20 each


def test_two_processes_bumping_at_once_never_write_the_same_version(tmp_path, monkeypatch):
    """The file cache's ``incr`` is a read then a write, not atomic across processes.
    Two bumps that both read the version before either writes (simulated here) must
    still leave a version that no page built before the second write was stored under."""
    from django.core.cache.backends.filebased import FileBasedCache

    from catalog import cache as catalog_cache

    shared = FileBasedCache(str(tmp_path / "cache"), {})
    monkeypatch.setattr(catalog_cache, "cache", shared)
    shared.set(catalog_cache.VERSION_KEY, 1000, timeout=None)
    read = shared.get
    monkeypatch.setattr(
        shared,
        "get",
        lambda key, *a, **kw: 1000 if key == catalog_cache.VERSION_KEY else read(key, *a, **kw),
    )
    catalog_cache._bump()  # process A
    first = read(catalog_cache.VERSION_KEY)
    catalog_cache._bump()  # process B, which read the version before A wrote
    second = read(catalog_cache.VERSION_KEY)
    assert 1000 not in (first, second)
    assert first != second
