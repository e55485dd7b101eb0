"""Cells for files people open in a spreadsheet (CSV, XLSX exports).

Excel, WPS and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some versions, a tab or carriage return before one, or the full-width forms a Chinese
input method types) as a formula: a product title such as ``=HYPERLINK(...)`` typed by
anyone would run on a manager's computer. Every text cell of an export goes through
:func:`cell_safe`; numbers stay numbers (a negative amount is not text and is not escaped).
"""

from __future__ import annotations

_FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")


def cell_safe(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula.

    The apostrophe is what Excel itself writes to keep text as text; it is not shown in
    the cell. Leading spaces do not hide a formula from some readers, so they are looked
    through as well.
    """
    if not value:
        return value
    stripped = value.lstrip(" \u3000")
    if stripped[:1] in _FORMULA_STARTS:
        return "'" + value
    return value
