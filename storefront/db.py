"""Bounded retries of transactions PostgreSQL aborted to resolve a conflict.

PostgreSQL may end a transaction with a serialization failure (SQLSTATE 40001) or
pick it as a deadlock victim (40P01). Neither is the caller's fault and both
usually succeed on a second try, so a service that owns its transaction may be
wrapped in :func:`retry_on_conflict`: it runs again a few times with a short,
jittered pause, and when the conflicts persist the caller gets
``ServiceUnavailable`` (503 ``service_unavailable``) instead of a stack trace.
Every other database error passes through unchanged.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, connections
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators

from . import metrics
from .errors import ServiceUnavailable

logger = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected

P = ParamSpec("P")
R = TypeVar("R")


def conflict_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a serialization failure or deadlock behind ``exc``, else None."""
    cause = exc.__cause__ or exc.__context__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code if code in RETRYABLE_SQLSTATES else None


def retry_on_conflict(
    *, attempts: int = 3, base_delay: float = 0.05, name: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the wrapped function up to ``attempts`` times while PostgreSQL reports a
    serialization failure or deadlock; then raise ``ServiceUnavailable``.

    The function must open its own ``transaction.atomic()`` (a savepoint when called
    inside another transaction), so each try starts from a clean state.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        label = name or func.__qualname__

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    sqlstate = conflict_sqlstate(exc)
                    if sqlstate is None:
                        raise
                    metrics.incr(f"db_conflict:{label}:{sqlstate}")
                    if attempt == attempts:
                        metrics.incr(f"db_conflict_gave_up:{label}")
                        logger.error(
                            "%s: database conflict %s persisted after %d tries",
                            label,
                            sqlstate,
                            attempts,
                        )
                        raise ServiceUnavailable(
                            "The service is busy; please try again in a moment.",
                            details={"retry_after_seconds": 2},
                        ) from exc
                    pause = random.uniform(0, base_delay * 2**attempt)  # noqa: S311 (jitter)
                    logger.warning(
                        "%s: database conflict %s (try %d of %d); again in %.0f ms",
                        label,
                        sqlstate,
                        attempt,
                        attempts,
                        pause * 1000,
                    )
                    time.sleep(pause)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    return decorate


def prepared_statements() -> AbstractContextManager:
    """Statements run inside are prepared once per connection on PostgreSQL
    (``storefront.postgres``): PostgreSQL plans them once, not at every execution.
    Elsewhere (SQLite, or ``DB_PREPARED_STATEMENTS=0``) it changes nothing."""
    enter = getattr(connection, "prepared_statements", None)
    return enter() if enter is not None else nullcontext()


# --- reads compiled once per connection -------------------------------------------------
# Django compiles a QuerySet to SQL anew at every evaluation, and for a read with joins and
# an annotation that costs more CPU than PostgreSQL spends running it (the checkout's
# variant read: about a third of a sold-out refusal). A ``CompiledRead`` builds its
# QuerySet once per database connection and shape with stand-in values, finds where each
# stand-in landed in the compiled parameters (each must appear exactly once, or it refuses
# to cache and compiles every time), and from then on only substitutes the values and runs
# the SQL, turning the rows into model instances the way ``ModelIterable`` does
# (select_related objects and annotations included).

_INT_STAND_IN = -1_900_000_000  # inside a 32-bit column's range; no id is negative


class _StandIns:
    def __init__(self) -> None:
        self.by_value: dict[tuple[type, object], tuple[str, int | None]] = {}
        self._next = 0

    def make(self, name: str, value, index: int | None):
        self._next += 1
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"CompiledRead values are ints or strings, not {type(value)!r}")
        stand_in = (
            _INT_STAND_IN - self._next if isinstance(value, int) else f"\x01fg{self._next}\x01"
        )
        self.by_value[(type(stand_in), stand_in)] = (name, index)
        return stand_in


class _Compiled:
    __slots__ = ("annotations", "compiler", "end", "init_list", "iterable", "model", "params")
    __slots__ += ("populators",)
    __slots__ += ("slots", "sql", "start")


class CompiledRead:
    """``CompiledRead(lambda ids, user_id: Model.objects....filter(pk__in=ids, ...))``;
    calling it with the same keyword arguments returns the list of instances the QuerySet
    would. Ints and strings (or lists of them) are compiled once per connection and shape;
    any other value runs the QuerySet itself."""

    def __init__(self, build: Callable[..., object]):
        self._build = build

    def _entry(self, values) -> _Compiled | None:
        # The shape is each value's type (a list's: each element's, so its length too): a
        # statement compiled for ints is never run with a string where Django would have
        # converted or refused it; that call compiles (or falls back) on its own.
        shape = tuple(
            (k, tuple(map(type, v)) if isinstance(v, list | tuple) else type(v))
            for k, v in sorted(values.items())
        )
        # On the thread's own DatabaseWrapper (``connection`` is a proxy shared by all
        # threads): each connection keeps its compiled statements, bound to itself.
        own = connections[connection.alias]
        cache = own.__dict__.setdefault("_farmgate_compiled_reads", {})
        entry = cache.get((self, shape), False)
        if entry is False:
            entry = cache[(self, shape)] = self._compile(values)
        return entry

    @staticmethod
    def _params(entry: _Compiled, values) -> list:
        params = list(entry.params)
        for position, (name, index) in entry.slots:
            params[position] = values[name] if index is None else values[name][index]
        return params

    def statement(self, **values) -> tuple[str, list, object]:
        """The SQL and parameters of the QuerySet for these values, and its ``Query``
        (for its table aliases), for callers that add to the SQL (e.g. a lock clause)."""
        entry = self._entry(values)
        if entry is None:
            query = self._build(**values).query
            sql, params = query.get_compiler(using=connection.alias).as_sql()
            return sql, list(params), query
        return entry.sql, self._params(entry, values), entry.compiler.query

    def dicts(self, **values) -> list[dict]:
        """For a ``values()`` QuerySet: its rows as the dictionaries it would give."""
        entry = self._entry(values)
        if entry is None or entry.iterable is not ValuesIterable:
            return list(self._build(**values))
        with connection.cursor() as cursor:
            cursor.execute(entry.sql, self._params(entry, values))
            rows = cursor.fetchall()
        query = entry.compiler.query
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return [dict(zip(names, row, strict=True)) for row in entry.compiler.results_iter([rows])]

    def __call__(self, **values) -> list:
        conn = connection
        entry = self._entry(values)
        if entry is None or entry.iterable is not ModelIterable:  # not cached: the QuerySet
            return list(self._build(**values))
        with conn.cursor() as cursor:
            cursor.execute(entry.sql, self._params(entry, values))
            rows = cursor.fetchall()
        objects = []
        db = conn.alias
        for row in entry.compiler.results_iter([rows]):
            obj = entry.model.from_db(db, entry.init_list, row[entry.start : entry.end])
            for populator in entry.populators:
                populator.populate(row, obj)
            for attr, column in entry.annotations.items():
                setattr(obj, attr, row[column])
            objects.append(obj)
        return objects

    def _compile(self, values) -> _Compiled | None:
        from django.core.exceptions import EmptyResultSet

        stand_ins = _StandIns()
        try:
            built = {
                name: (
                    [stand_ins.make(name, v, i) for i, v in enumerate(value)]
                    if isinstance(value, list | tuple)
                    else stand_ins.make(name, value, None)
                )
                for name, value in values.items()
            }
            queryset = self._build(**built)
            if queryset._known_related_objects or queryset._prefetch_related_lookups:
                return None
            compiler = queryset.query.get_compiler(using=connection.alias)
            sql, params = compiler.as_sql()
        except (EmptyResultSet, TypeError, ValueError):
            # A value with no stand-in (not an int or a string), or a stand-in the QuerySet
            # refuses (another type than it expects): the plain QuerySet runs with the
            # real values, as it would without this.
            return None
        slots = []
        for position, param in enumerate(params):
            slot = stand_ins.by_value.get((type(param), param))
            if slot is not None:
                slots.append((position, slot))
        if len(slots) != len(stand_ins.by_value) or len({s for _, s in slots}) != len(slots):
            return None  # a value was transformed or repeated: not safe to substitute
        entry = _Compiled()
        entry.sql, entry.params, entry.slots, entry.compiler = sql, list(params), slots, compiler
        entry.iterable = queryset._iterable_class
        klass_info, select = compiler.klass_info, compiler.select
        entry.model = None
        if entry.iterable is not ModelIterable or klass_info is None:
            return entry  # values(): ``dicts`` and ``statement``; values_list(): ``statement``
        entry.model = klass_info["model"]
        fields = klass_info["select_fields"]
        entry.start, entry.end = fields[0], fields[-1] + 1
        entry.init_list = [f[0].target.attname for f in select[entry.start : entry.end]]
        entry.populators = get_related_populators(klass_info, select, connection.alias)
        entry.annotations = dict(compiler.annotation_col_map or {})
        return entry


# --- saving chosen fields with an UPDATE compiled once ------------------------------------
_UPDATES: dict[tuple, tuple[str, list]] = {}


def _update_fields_of(model, names) -> list:
    from django.core.exceptions import FieldDoesNotExist

    meta, fields = model._meta, []
    for name in names:
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            field = next(f for f in meta.concrete_fields if f.attname == name)
        if not field.concrete or field.primary_key:
            raise ValueError(f"{model.__name__}.{name} cannot be saved by save_fields")
        fields.append(field)
    return fields


def save_fields(instance, fields) -> None:
    """``instance.save(update_fields=fields)``, with the ``UPDATE`` compiled once per
    process (Django builds and compiles an ``UpdateQuery`` at every save: in a profile
    of the payment apply, its three saves were a sixth of the task). Same SQL, same
    ``pre_save`` of each field (``auto_now`` stamps), same error when no row matched.
    Falls back to ``save`` itself whenever that could differ: a model with
    ``pre_save``/``post_save`` receivers, an unsaved instance, or a value that is an
    expression (``F("n") + 1``)."""
    from django.db import DatabaseError
    from django.db.models.signals import post_save, pre_save

    model = type(instance)
    names = tuple(fields)
    if (
        instance._state.adding
        or instance.pk is None
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
    ):
        instance.save(update_fields=names)
        return
    key = (connection.vendor, model, names)
    entry = _UPDATES.get(key)
    if entry is None:
        meta, qn = model._meta, connection.ops.quote_name
        targets = _update_fields_of(model, names)
        columns = ", ".join(f"{qn(f.column)} = %s" for f in targets)
        sql = f"UPDATE {qn(meta.db_table)} SET {columns} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608 — names from the model, values as parameters
        entry = _UPDATES[key] = (sql, targets)
    sql, targets = entry
    values = [f.pre_save(instance, False) for f in targets]
    if any(hasattr(v, "resolve_expression") for v in values):
        instance.save(update_fields=names)
        return
    params = [f.get_db_prep_save(v, connection) for f, v in zip(targets, values, strict=True)]
    params.append(model._meta.pk.get_db_prep_value(instance.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    instance._state.db = connection.alias


# --- inserting new rows with an INSERT compiled once --------------------------------------
_INSERTS: dict[tuple, tuple[str, list, object]] = {}


def _insert_fallback(objs: list, as_save: bool, unless_taken: tuple | None = None) -> list:
    from django.db import IntegrityError, transaction

    if unless_taken:
        try:
            with transaction.atomic():
                objs[0].save(force_insert=True)
        except IntegrityError:
            return []
        return objs
    if as_save:
        for obj in objs:
            obj.save(force_insert=True)
        return objs
    return type(objs[0]).objects.bulk_create(objs)


def insert_rows(objs: list, *, as_save: bool = False, unless_taken: tuple | None = None) -> list:
    """Insert new rows of one model, with the ``INSERT ... RETURNING`` compiled once per
    process, model and number of rows (Django compiles an ``InsertQuery`` for every
    ``save``/``bulk_create``: five of them were a sixth of a placed order's CPU).

    ``as_save=True`` stands for ``obj.save(force_insert=True)`` on each, otherwise for
    ``bulk_create(objs)``: the same columns and values (each field's ``pre_save``, so
    ``auto_now_add`` stamps; ``get_db_prep_save``), primary keys set from ``RETURNING``,
    the same ``IntegrityError`` on a unique conflict. Anything that could differ goes
    through Django itself: save receivers, rows that already have a primary key, model
    inheritance, expression or database-default values, fields with their own SQL
    placeholder, a database that cannot return the inserted keys.

    ``unless_taken=("user", "event_key")`` (one row, ``as_save`` semantics): a row that
    would break the unique constraint on those fields is not written and ``[]`` comes
    back, with no error and no savepoint (``ON CONFLICT (...) DO NOTHING``)."""
    from django.db.models.signals import post_save, pre_save

    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    as_save = as_save or bool(unless_taken)
    if (
        any(type(obj) is not model or obj.pk is not None for obj in objs)
        or meta.parents
        or (as_save and (pre_save.has_listeners(model) or post_save.has_listeners(model)))
        or not connection.features.can_return_rows_from_bulk_insert
        or (
            unless_taken
            and (len(objs) != 1 or not connection.features.supports_update_conflicts_with_target)
        )
    ):
        return _insert_fallback(objs, as_save, unless_taken)
    key = (connection.vendor, model, len(objs), unless_taken)
    entry = _INSERTS.get(key)
    if entry is None:
        qn = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
        if any(hasattr(f, "get_placeholder") for f in fields) or not meta.pk.db_returning:
            return _insert_fallback(objs, as_save, unless_taken)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        conflict = ""
        if unless_taken:
            targets = ", ".join(qn(meta.get_field(name).column) for name in unless_taken)
            conflict = f" ON CONFLICT ({targets}) DO NOTHING"
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608 — names from the model, values as parameters
            f"VALUES {', '.join([row] * len(objs))}{conflict} RETURNING {qn(meta.pk.column)}"
        )
        entry = _INSERTS[key] = (sql, fields, meta.pk)
    sql, fields, pk = entry
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        values = [f.pre_save(obj, True) for f in fields]
        if any(hasattr(v, "resolve_expression") for v in values):
            return _insert_fallback(objs, as_save, unless_taken)
        params.extend(
            f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    if unless_taken and not keys:
        return []
    alias = connection.alias
    for obj, value in zip(objs, keys, strict=True):
        setattr(obj, pk.attname, value)
        obj._state.adding = False
        obj._state.db = alias
    return objs
