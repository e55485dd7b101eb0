"""Django's PostgreSQL backend, with a cheaper ``CONN_HEALTH_CHECKS``.

Django's health check sends ``SELECT 1`` at the start of every request that uses a
persistent connection: on the order endpoint that was a sixth of the request
(bench/README.md). The connections it is meant to catch are the ones that sat unused
while something closed them (a server restart, an idle timeout in a proxy or
firewall). So here:

* a connection libpq already knows to be closed or broken is dropped at once (no
  round trip: psycopg's own state);
* a connection whose last request (or Celery task) ended less than
  ``DB_HEALTH_CHECK_IDLE_SECONDS`` ago (default 5) is trusted without a query;
* one idle for longer gets Django's ``SELECT 1`` as before.

What is given up: if the server drops connections while they are in steady use, each
such connection fails one request (answered 503 with ``Retry-After`` by
``DatabaseUnavailableMiddleware`` / the API's exception handler, nothing written) and
is then closed and replaced, as Django closes a connection after such an error.

It also offers :meth:`DatabaseWrapper.prepared_statements`: the statements run inside
it are bound on the server and prepared once per connection (psycopg), so PostgreSQL
plans them once instead of at every execution. Django leaves prepared statements off
(they break transaction-pooling proxies such as PgBouncer in transaction mode); the
checkout's few hot statements use them (``storefront.db.prepared_statements``), which
a deployment behind such a proxy turns off with ``DB_PREPARED_STATEMENTS=0``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db.backends.postgresql import base, operations


def _idle_limit() -> float:
    return float(getattr(settings, "DB_HEALTH_CHECK_IDLE_SECONDS", 5))


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # A prepared statement's cursor keeps no query text: show the SQL with its
        # parameters (as Django does for server-side binding) in debug logs and tests.
        found = super().last_executed_query(cursor, sql, params)
        if found is None:
            try:
                return self.compose_sql(sql, params)
            except Exception:  # only a debug aid
                return sql
        return found


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _last_boundary: float | None = None
    _idle_for: float = float("inf")
    _prepared_depth = 0

    @contextmanager
    def prepared_statements(self) -> Iterator[None]:
        """Cursors opened inside bind their parameters on the server and prepare their
        statement on first use (psycopg keeps up to 100 per connection)."""
        if not getattr(settings, "DB_PREPARED_STATEMENTS", True) or self._prepared_depth:
            yield
            return
        self.ensure_connection()
        raw = self.connection
        self._prepared_depth += 1
        raw.prepare_threshold = 0
        try:
            yield
        finally:
            self._prepared_depth -= 1
            if self.connection is raw:
                raw.prepare_threshold = None  # Django's default: off

    def create_cursor(self, name=None):
        if self._prepared_depth and not name:
            cursor = base.ServerBindingCursor(self.connection)
            tzloader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
            if self.timezone != tzloader.timezone:
                base.register_tzloader(self.timezone, cursor)
            return cursor
        return super().create_cursor(name)

    def connect(self) -> None:
        super().connect()
        self._last_boundary = None
        self._idle_for = 0.0  # a new connection is healthy (Django marks it so too)

    def close_if_unusable_or_obsolete(self) -> None:
        # Called when each request (or task) starts and when it ends: at a start, the
        # time since the previous call is how long the connection sat unused.
        now = time.monotonic()
        last, self._last_boundary = self._last_boundary, now
        self._idle_for = float("inf") if last is None else now - last
        super().close_if_unusable_or_obsolete()

    def _known_broken(self) -> bool:
        conn = self.connection
        return bool(conn.closed or conn.broken)

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not getattr(self, "pool", None)
        ):
            if self._known_broken():
                self.close()
                self.health_check_done = True
                return
            if self._idle_for < _idle_limit():
                self.health_check_done = True
                return
        super().close_if_health_check_failed()
