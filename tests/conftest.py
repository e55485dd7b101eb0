"""Suite-wide fixtures and the rules for tests that need real services.

``@pytest.mark.postgres`` tests need PostgreSQL (row locks, real concurrency) and
``@pytest.mark.redis`` tests a Redis server. Outside CI they are skipped with a
reason when the service is not configured. In CI (``FARMGATE_REQUIRE_SERVICES=1``)
a missing service stops the whole run instead: such tests must never skip there.

After every concurrency test (a transactional-database test, a ``postgres`` test, or
one that called ``tests.concurrency.run_together``) each variant's stock must equal
the sum of its movements; the autouse fixture ``_stock_equals_its_movements`` checks it.
"""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

REQUIRE_SERVICES = os.environ.get("FARMGATE_REQUIRE_SERVICES") == "1"


def _db_is_postgres() -> bool:
    from django.db import connections

    # Django's backend or the project's (storefront.postgres): both say "postgresql".
    return connections["default"].vendor == "postgresql"


def _redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def _redis_reachable() -> bool:
    if not _redis_url():
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(_redis_url(), socket_connect_timeout=2).ping())
    except Exception:
        return False


def pytest_configure(config):
    if REQUIRE_SERVICES:
        if not _db_is_postgres():
            pytest.exit("CI needs DATABASE_URL pointing at PostgreSQL", returncode=3)
        if not _redis_reachable():
            pytest.exit(f"CI needs a reachable Redis at REDIS_URL={_redis_url()!r}", returncode=3)


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def stock_ledger_checked(item, *, ran_together: bool = False) -> bool:
    """Whether the stock-ledger invariant is checked after ``item``: it uses the database
    and is a concurrency test (transactional database, ``postgres`` mark or threads
    released by ``run_together``)."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    if marker is None and not fixtures & _DB_FIXTURES:
        return False
    transactional = marker is not None and bool(
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    return (
        transactional
        or ran_together
        or "postgres" in item.keywords
        or bool(fixtures & {"transactional_db", "live_server"})
    )


def stock_ledger_check(item, *, runs_before: int) -> None:
    """Fail unless every variant's stock equals the sum of its movements, when ``item``
    is a concurrency test (``runs_before``: ``run_together``'s count before it ran)."""
    from tests import concurrency

    if stock_ledger_checked(item, ran_together=concurrency.runs != runs_before):
        from tests.factories import assert_stock_ledger_consistent

        assert_stock_ledger_consistent()


def pytest_collection_modifyitems(config, items):
    if REQUIRE_SERVICES:
        return
    no_pg = (
        None
        if _db_is_postgres()
        else pytest.mark.skip(
            reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI runs it)"
        )
    )
    no_redis = (
        None
        if _redis_reachable()
        else pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://... (CI runs it)")
    )
    for item in items:
        if no_pg and "postgres" in item.keywords:
            item.add_marker(no_pg)
        if no_redis and "redis" in item.keywords:
            item.add_marker(no_redis)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


# A cooperative with a farmer and a manager, each signed in on a page client.
@pytest.fixture
def coop(db):
    from tests.factories import make_cooperative

    return make_cooperative()


@pytest.fixture
def farmer(coop):
    from tests.factories import make_farmer

    return make_farmer(coop)


@pytest.fixture
def manager(coop):
    from tests.factories import make_manager

    return make_manager(coop)


@pytest.fixture
def farmer_client(client, farmer):
    client.force_login(farmer)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the settings' language: a request's LocaleMiddleware leaves
    its language active in the thread, and product texts are read in the active one
    (catalog/translation.py), so one test's Uyghur page must not change the next test's
    ``product.title``."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from storefront import metrics

    cache.clear()
    metrics.reset_for_tests()  # metrics.get() counts from zero in every test
    yield


@pytest.fixture(scope="session", autouse=True)
def _end_stray_test_database_sessions(django_db_setup, django_db_blocker):
    """Worker threads and subprocesses of the integration tests may still hold a session
    on the test database when the run ends; PostgreSQL then refuses to drop it. End
    those sessions first, so every run leaves the server clean for the next."""
    yield
    if not _db_is_postgres():
        return
    from django.db import connection
    from django.db.backends.base.creation import TEST_DATABASE_PREFIX

    name = connection.settings_dict["NAME"]
    if name != connection.settings_dict["TEST"].get("NAME") and not name.startswith(
        TEST_DATABASE_PREFIX
    ):
        return  # no test database was made: the run's tests never touched one (tests/bench)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _stock_equals_its_movements(request, monkeypatch):
    """After a concurrency test, every variant's stock equals the sum of its movements.

    Checked at teardown, once the test's own fixtures (Celery workers, threads) are gone
    and its monkeypatches undone (pytest-django's own autouse fixtures hold
    ``monkeypatch`` past this one), but before its database is flushed or rolled back:
    the database fixture a test asks for by name is set up first, so it is torn down
    after this check (``django_db`` marks set theirs up before every conftest fixture)."""
    from tests import concurrency

    for name in ("live_server", "transactional_db", "django_db_reset_sequences", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            break
    runs_before = concurrency.runs
    yield
    if stock_ledger_checked(request.node, ran_together=concurrency.runs != runs_before):
        monkeypatch.undo()  # a test may have broken the connection on purpose (readyz)
        stock_ledger_check(request.node, runs_before=runs_before)
