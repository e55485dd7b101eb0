"""What a page's form would send: its controls and the values the page showed.

Tests of stale pages load the page, keep what it showed, change what a person would
change, and post it later, exactly like a browser that stayed open.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, pick: Callable[[dict], bool]):
        super().__init__(convert_charrefs=True)
        self.pick = pick
        self.inside = False
        self.found = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.inside = not self.found and self.pick(a)
            self.found = self.found or self.inside
            return
        if self.inside and tag == "option" and self._select is not None:
            if "selected" in a or self._select_value is None:
                self._select_value = a.get("value", "")
            return
        if not self.inside or "name" not in a or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._select_value = a["name"], None
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            self.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def form_data(html: str, *, id: str | None = None, action: str | None = None) -> dict[str, str]:
    """The controls of the first form with this ``id`` (or ``action``) and their values."""
    reader = _FormReader(
        lambda a: (
            (id is None or a.get("id") == id) and (action is None or a.get("action") == action)
        )
    )
    reader.feed(html)
    assert reader.found, f"no form with id={id!r} action={action!r} on the page"
    return dict(reader.fields)
