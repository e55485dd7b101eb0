"""Each benchmark, run at its tiny ``--smoke`` size, still works and its correctness checks pass.

These are not timed tests: the figures they print are not asserted (a busy CI
machine would make them flaky); the exit status is, and it is 1 whenever a
correctness figure is wrong (oversold units, lost or forged payments, stale stock
or price, a query count that grows with the page). Each script makes and drops its
own ``fg_bench_*_smoke`` database and uses Redis db 9.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def run(script: str, *extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{script}.py"), "--smoke", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "all correctness checks passed" in proc.stdout, output[-4000:]
    return proc.stdout


def test_queries_per_list_are_constant_in_page_size():
    out = run("queries")
    assert "/api/v1/products/" in out
    assert "queries constant in size" in out
    # Issue 20: the cooperative and county pages cost the same queries at 2,000 products.
    assert "[ok] page cooperative: queries identical at 10 and 2000 products" in out
    assert "[ok] page county: queries identical at 10 and 2000 products" in out


def test_catalog_serves_fresh_stock_and_price_under_load():
    out = run("catalog", "--concurrency", "8")
    assert "products list / DRF hello" in out
    assert "sold-out visible in the list at once" in out


def test_catalogue_stays_correct_while_a_flash_sale_runs():
    out = run("flash_catalog", "--concurrency", "8", "--readers", "4")
    assert "list during sale / DRF hello idle" in out
    assert "[ok] sale: oversold units = 0" in out
    assert "[ok] sold-out visible in the list" in out


def test_flash_sale_never_oversells():
    out = run("flash_sale")
    assert "oversold units = 0" in out
    assert "bare conditional UPDATE" in out


def test_callbacks_apply_each_genuine_payment_once_despite_a_killed_worker():
    out = run("callbacks")
    assert "lost = 0" in out
    assert "forged accepted = 0" in out


def test_pixel_flood_upload_is_refused_without_memory_growth():
    out = run("memory")
    assert "pixel floods refused with 400" in out
