"""The suite-wide stock-ledger check (tests/conftest.py): after every concurrency test
(transactional database, ``postgres`` mark, or threads released by ``run_together``)
each variant's stock must equal the sum of its movements, or the test fails."""

from __future__ import annotations

import pytest

import tests.conftest as suite
from catalog.models import Variant
from tests import concurrency
from tests.concurrency import run_together
from tests.factories import make_product


def test_a_test_without_the_database_is_not_checked(request):
    assert not suite.stock_ledger_checked(request.node)
    assert not suite.stock_ledger_checked(request.node, ran_together=True)


@pytest.mark.django_db
def test_a_plain_database_test_is_checked_only_when_it_ran_threads(request):
    assert not suite.stock_ledger_checked(request.node)
    assert suite.stock_ledger_checked(request.node, ran_together=True)


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_is_checked(request):
    assert suite.stock_ledger_checked(request.node)


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_postgres_test_is_checked(request):
    assert suite.stock_ledger_checked(request.node)


@pytest.mark.django_db(transaction=True)
def test_stock_written_without_a_movement_fails_a_concurrency_test(request):
    variant = make_product(stock=5).variants.get()
    Variant.objects.filter(pk=variant.pk).update(stock=7)
    with pytest.raises(AssertionError, match="stock != sum of movements"):
        suite.stock_ledger_check(request.node, runs_before=concurrency.runs)
    Variant.objects.filter(pk=variant.pk).update(stock=5)  # this test's own check passes


@pytest.mark.django_db
def test_a_plain_database_test_that_ran_threads_is_checked(request):
    variant = make_product(stock=5).variants.get()
    runs_before = concurrency.runs
    assert run_together(2, lambda i: i) == [0, 1]
    Variant.objects.filter(pk=variant.pk).update(stock=7)
    with pytest.raises(AssertionError, match="stock != sum of movements"):
        suite.stock_ledger_check(request.node, runs_before=runs_before)
    Variant.objects.filter(pk=variant.pk).update(stock=5)  # this test's own check passes


@pytest.mark.django_db(transaction=True)
def test_the_check_runs_with_the_tests_monkeypatches_undone(monkeypatch):
    """A test that breaks the database connection for its own purpose (as the readyz test
    does) is still checked, through the real connection."""
    from django.db import connection

    def refuse(*args, **kwargs):
        raise RuntimeError("no database here")

    monkeypatch.setattr(connection, "cursor", refuse)


def test_a_database_asked_for_by_name_is_checked(transactional_db, request):
    make_product(stock=3)  # the check at teardown reads it before the flush
    assert suite.stock_ledger_checked(request.node)
