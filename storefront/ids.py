"""Bounds of integers a client sends, checked before any reaches the database.

Row ids are 64-bit (``BigAutoField``): SQLite raises ``OverflowError`` for a Python
int past 2**63 - 1 and PostgreSQL refuses it. Counts kept in ``integer`` columns
(stock, weights, quantities) stop at 2**31 - 1 on PostgreSQL, so SQLite (the
embedded default) and PostgreSQL must refuse the same numbers. Every id or count in
a URL, a query string, a form or a JSON body is checked against these first:
URL patterns use the ``<id:...>`` converter (anything else is no route: 404),
serializers and forms name ``MAX_ID`` / ``MAX_COUNT`` as their bounds, and views
reading a raw parameter use :func:`parse_id`.
"""

from __future__ import annotations

from typing import Any

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
