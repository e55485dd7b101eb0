"""The project's PostgreSQL backend (storefront/postgres/base.py): a health check that
sends no ``SELECT 1`` on a connection in steady use, still catches a connection libpq
knows is dead or one that sat idle, and prepared statements for the hot statements."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from catalog.models import Variant
from orders.selectors import variants_purchasable
from storefront.db import prepared_statements
from tests.factories import make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_connection():
    """A connection of its own, with health checks on, outside the test's transaction."""
    conn = connections.create_connection("default")
    conn.settings_dict["CONN_HEALTH_CHECKS"] = True
    conn.settings_dict["CONN_MAX_AGE"] = 60
    yield conn
    conn.close()


def _checks(conn, monkeypatch) -> list[int]:
    calls: list[int] = []
    real = conn.is_usable

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(conn, "is_usable", counted)
    return calls


def _request(conn) -> None:
    """What Django does around a request (or Celery around a task) that uses the DB."""
    conn.close_if_unusable_or_obsolete()  # request_started
    with conn.cursor() as cursor:
        cursor.execute("SELECT 42")
        assert cursor.fetchone() == (42,)
    conn.close_if_unusable_or_obsolete()  # request_finished


def test_the_project_backend_is_in_use():
    assert connections["default"].__class__.__module__ == "storefront.postgres.base"


def test_a_connection_in_steady_use_is_not_pinged(own_connection, monkeypatch):
    _request(own_connection)  # opens it
    calls = _checks(own_connection, monkeypatch)
    for _ in range(5):
        _request(own_connection)
    assert calls == []


def test_a_connection_idle_longer_than_the_limit_is_pinged(own_connection, monkeypatch, settings):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 0
    _request(own_connection)
    calls = _checks(own_connection, monkeypatch)
    _request(own_connection)
    assert calls == [1]


def test_a_connection_libpq_knows_is_closed_is_replaced_without_an_error(own_connection):
    _request(own_connection)
    first = own_connection.connection
    first.close()  # as when the server ended it and libpq noticed
    _request(own_connection)  # no error: replaced before the query
    assert own_connection.connection is not first
    assert not own_connection.connection.closed


def test_a_connection_killed_by_the_server_fails_one_request_then_recovers(own_connection):
    from django.db import OperationalError

    _request(own_connection)
    pid = own_connection.connection.info.backend_pid
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    own_connection.close_if_unusable_or_obsolete()
    with pytest.raises(OperationalError), own_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    own_connection.close_if_unusable_or_obsolete()  # request_finished: errors → closed
    _request(own_connection)  # the next request gets a new connection


def test_hot_statements_are_prepared_once_per_connection():
    variant = make_product(stock=3).variants.get()
    conn = connections["default"]
    with CaptureQueriesContext(conn):
        for _ in range(3):
            with prepared_statements():
                found = variants_purchasable([variant.pk])
    assert found[variant.pk].stock == 3
    with conn.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert len([s for s in prepared if '"catalog_variant"' in s]) == 1, prepared
    # Outside the block nothing is prepared (Django's default).
    Variant.objects.filter(pk=variant.pk).exists()
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == len(prepared)
