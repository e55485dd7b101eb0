"""JSON bodies with a nesting cap, for every JSON body the site accepts.

Python's parser recurses once per ``[`` or ``{``: 200,000 of them raise
``RecursionError`` (a 500) where a client deserves a 400. :func:`loads` turns that
into ``JsonTooDeep`` (a ``ValueError``, as any other malformed JSON) and refuses
documents nested deeper than ``MAX_DEPTH`` once parsed; no request or callback of
ours comes near it. The DRF parser (``storefront.api.parsers``) and the callback
views that read their raw body (the signature covers the exact bytes) both use it.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class JsonTooDeep(ValueError):
    pass


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that raises ``JsonTooDeep`` past ``max_depth`` instead of recursing."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels") from None
    if depth(value) > max_depth:
        raise JsonTooDeep(f"JSON nested deeper than {max_depth} levels")
    return value
