"""Bounds of integers a client sends, checked before any reaches the database.

Row ids are 64-bit (``BigAutoField``): SQLite raises ``OverflowError`` for a Python
int past 2**63 - 1 and PostgreSQL refuses it. Counts kept in ``integer`` columns
(stock, weights, quantities) stop at 2**31 - 1 on PostgreSQL, so SQLite (the
embedded default) and PostgreSQL must refuse the same numbers. Every id or count in
a URL, a query string, a form or a JSON body is checked against these first:
URL patterns use the ``<id:...>`` converter (anything else is no route: 404),
serializers and forms name ``MAX_ID`` / ``MAX_COUNT`` as their bounds, and views
reading a raw parameter use :func:`parse_id`.

Behind those, the ORM: Django leaves out an ``exact``/``gt``/``lt`` value an integer
column cannot hold (it can match no row) instead of sending it; :func:`register_lookups`
does the same for ``in`` (``?id__in=1,<huge>`` in an admin list was a 500 on SQLite).
"""

from __future__ import annotations

from typing import Any

from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

MAX_ID = 2**63 - 1
MAX_COUNT = 2**31 - 1


def parse_id(value: Any) -> int | None:
    """A row id from a form or query value (ASCII digits, 1..MAX_ID), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


class IdConverter:
    """``<id:pk>``: a row id of 1 to 19 ASCII digits within ``MAX_ID``; else no route."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError("not a row id")  # the resolver tries the next pattern: 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def _column_range(field, connection) -> tuple[int | None, int | None]:
    target = getattr(field, "target_field", None) or field  # a foreign key: its target column
    try:
        return connection.ops.integer_field_range(target.get_internal_type())
    except KeyError:  # not an integer column
        return None, None


class _InRange:
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = _column_range(self.lhs.output_field, connection)
            self.rhs = [
                v
                for v in self.rhs
                if not isinstance(v, int)
                or ((low is None or v >= low) and (high is None or v <= high))
            ]
        return super().process_rhs(compiler, connection)  # an empty list matches nothing


class IntegerFieldIn(_InRange, In):
    """``in`` on an integer column, without the values the column cannot hold."""


class RelatedIntegerIn(_InRange, RelatedIn):
    """``in`` on a foreign key to an integer column, likewise."""


def register_lookups() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
    ForeignObject.register_lookup(RelatedIntegerIn)
