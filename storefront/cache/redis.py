"""Django's Redis cache, with one client object per connection pool.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new
``redis.Redis`` around the pool for every cache call, and building one fills a
dictionary of about 170 response callbacks: in a profile of the sold-out refusal that
was a tenth of the request's CPU (five cache calls). A ``redis.Redis`` is safe to share
between threads (each command takes a connection from the pool), and Django keeps one
cache backend per thread anyway, so the client is built once per pool and reused.
Everything else — pools, serialisation, timeouts, key prefixes — is Django's.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as _RedisCache
from django.core.cache.backends.redis import RedisCacheClient as _RedisCacheClient


class RedisCacheClient(_RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(_RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
