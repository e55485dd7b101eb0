"""Database faults: conflicts in checkout are retried a bounded number of times, then
answered 503 with a code; a connection lost mid-request answers 503, never a trace.

The conflicts are real: PostgreSQL itself raises SQLSTATE 40001 / 40P01 inside
``order_place``'s transaction, through psycopg and Django's error wrapping.
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.test import Client

from catalog.models import Variant
from orders.models import Order, OrderLine
from orders.services import placement
from storefront import metrics
from tests.factories import make_product

pytestmark = [pytest.mark.resilience]

ORDERS = "/api/v1/orders/"


def _raise_in_postgres(sqlstate: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'injected conflict' USING ERRCODE = %s; END $$"
            % ("'serialization_failure'" if sqlstate == "40001" else "'deadlock_detected'")
        )


@pytest.fixture
def conflicts(monkeypatch):
    """Make the first ``n`` tries of checkout hit a real conflict inside its transaction."""
    state = {"left": 0, "sqlstate": "40001", "tries": 0}
    real = placement.variants_purchasable

    def conflicted(ids):
        state["tries"] += 1
        if state["left"] > 0:
            state["left"] -= 1
            _raise_in_postgres(state["sqlstate"])
        return real(ids)

    monkeypatch.setattr(placement, "variants_purchasable", conflicted)
    monkeypatch.setattr("storefront.db.time.sleep", lambda s: None)  # jitter, not the point
    return state


def _order_body(variant, address):
    return {"lines": [{"variant": variant.pk, "quantity": 2}], "shipping_address": address}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_a_conflict_in_checkout_is_retried_and_the_order_is_placed_once(
    sqlstate, conflicts, buyer_client, address
):
    variant = make_product(stock=10).variants.get()
    conflicts.update(left=2, sqlstate=sqlstate)
    response = buyer_client.post(ORDERS, _order_body(variant, address), format="json")
    assert response.status_code == 201, response.content
    assert conflicts["tries"] == 3
    assert Order.objects.count() == 1
    assert OrderLine.objects.get().quantity == 2
    assert Variant.objects.get(pk=variant.pk).stock == 8  # taken once, not three times
    assert metrics.get(f"db_conflict:order_place:{sqlstate}") == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_conflict_that_persists_answers_503_with_a_code_and_keeps_nothing(
    conflicts, buyer_client, address
):
    variant = make_product(stock=10).variants.get()
    conflicts.update(left=100, sqlstate="40P01")
    response = buyer_client.post(ORDERS, _order_body(variant, address), format="json")
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "service_unavailable"
    assert conflicts["tries"] == 3  # bounded
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 10
    assert metrics.get("db_conflict_gave_up:order_place") == 1


@pytest.mark.django_db
def test_other_database_errors_are_not_retried(monkeypatch, buyer_client, address):
    from django.db import OperationalError

    tries = []

    def broken(ids):
        tries.append(1)
        raise OperationalError("disk full")

    monkeypatch.setattr(placement, "variants_purchasable", broken)
    variant = make_product(stock=10).variants.get()
    response = buyer_client.post(ORDERS, _order_body(variant, address), format="json")
    assert len(tries) == 1
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def _kill_this_connection() -> None:
    """Terminate the request's own server session from another connection, as a
    database failover or a network cut would."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "api"), [("/api/v1/orders/", True), ("/orders/", False)], ids=["api", "page"]
)
def test_a_lost_database_connection_answers_503_not_a_trace(path, api, buyer, monkeypatch):
    from orders import selectors

    real = selectors.order_list_for_user if hasattr(selectors, "order_list_for_user") else None
    client = Client(raise_request_exception=False)
    client.force_login(buyer)

    def lose_connection(*args, **kwargs):
        _kill_this_connection()
        return real(*args, **kwargs)

    assert real is not None, "orders.selectors.order_list_for_user is what both lists use"
    monkeypatch.setattr(selectors, "order_list_for_user", lose_connection)
    response = client.get(path)
    connection.close()  # the test's own connection died with the request's
    assert response.status_code == 503, response.content[:500]
    assert b"Traceback" not in response.content
    assert response["Retry-After"]
    if api:
        assert response.json()["error"]["code"] == "service_unavailable"
    else:
        assert response["Content-Type"].startswith("text/html")
