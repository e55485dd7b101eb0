"""Running work in threads released at once, for the PostgreSQL concurrency tests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

#: How many times ``run_together`` ran in this process: the suite-wide stock-ledger
#: check (tests/conftest.py) runs after every test that raised it.
runs = 0


def run_together(count: int, work):
    """Run ``work(i)`` in ``count`` threads released together by a barrier; return each
    result, or the exception it raised, in order. Each thread closes its connections."""
    global runs
    runs += 1
    barrier = threading.Barrier(count)

    def call(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        except Exception as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))
