"""The Redis cache backend builds one client per connection pool (Django's built one per
call) and otherwise behaves as Django's."""

from __future__ import annotations

import os
import secrets
import threading

import pytest
import redis

from storefront.cache.redis import RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def backend():
    cache = RedisCache(os.environ.get("REDIS_URL", ""), {"KEY_PREFIX": f"t{secrets.token_hex(4)}"})
    yield cache
    cache.delete_many(["a", "b", "c"])


def test_one_client_per_pool_for_every_call(backend, monkeypatch):
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    backend.set("a", 1)
    backend.set_many({"b": 2, "c": 3})
    assert backend.get("a") == 1
    assert backend.get_many(["a", "b", "c"]) == {"a": 1, "b": 2, "c": 3}
    assert backend.incr("a") == 2
    backend.delete("a")
    assert backend.get("a") is None
    assert len(built) == 1
    assert backend._cache.get_client() is backend._cache.get_client(write=True)


def test_a_shared_client_serves_threads_at_once(backend):
    errors = []

    def work(n):
        try:
            for i in range(50):
                backend.set(f"k{n}", i)
                assert backend.get(f"k{n}") == i
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    backend.delete_many([f"k{n}" for n in range(8)])
    assert errors == []
