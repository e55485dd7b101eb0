"""Cleaning of free text typed by people: control characters out, HTML out.

Applied by the services that store text a buyer will see (product titles and
descriptions, cooperative stories, addresses), so that neither the storefront
nor the mobile app ever receives markup or invisible control characters from
another user. Templates escape on output as well; this is the second wall.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

# C0/C1 controls except TAB, LF (kept in multi-line text) and CR (normalised away);
# also the bidi overrides that can disguise text (Trojan Source style).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_line(value: str | None, *, max_length: int | None = None) -> str:
    """One line of plain text: no markup, no control characters, no newlines, trimmed."""
    text = unicodedata.normalize("NFC", value or "")
    if "<" in text:
        text = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
    text = _CONTROL.sub("", text.replace("\r", " ").replace("\n", " ").replace("\t", " "))
    text = " ".join(text.split())
    return text[:max_length] if max_length else text


def clean_multiline(value: str | None, *, max_length: int | None = None) -> str:
    """Plain multi-line text: HTML tags removed (text kept), controls removed."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    # nh3 (ammonia) parses like a browser, so broken or nested markup cannot slip through;
    # with no tags allowed it keeps only the text, entity-escaped: unescape it back to
    # plain text, which the templates escape again on output.
    text = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
    text = _CONTROL.sub("", text)
    text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text[:max_length] if max_length else text
