"""The rules of order input, in one place: the REST API and the checkout page both call these.

- A line is ``{"variant": <int id>, "quantity": <int 1..999>}``; strings, floats and
  booleans are refused, not coerced (``"2"`` or ``2.0`` in JSON is a client bug).
- The same variant twice in one request is **merged** (quantities added, then the
  1..999 limit applies to the sum) — the same thing adding it twice to the cart does.
- An address has the fields of ``ADDRESS_FIELDS``; unknown keys are refused.
- An ``Idempotency-Key`` is 1..64 printable ASCII characters.

Every function raises ``storefront.errors.InvalidInput`` (code ``invalid``) with
per-field messages in ``details`` and has no side effects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from regions.selectors import region_path, region_resolve
from storefront.errors import InvalidInput
from storefront.ids import MAX_ID
from storefront.phones import InvalidPhoneNumber, phone_normalize

from .constants import MAX_LINE_QUANTITY

MAX_LINES_PER_ORDER = 50
IDEMPOTENCY_KEY_MAX_LENGTH = 64


@dataclass(frozen=True)
class AddressField:
    max_length: int
    required: bool = True
    pattern: str | None = None
    pattern_message: str = ""


# A mainland phone number: mobile (11 digits starting 1) or landline with area code,
# optionally +86; spaces and dashes allowed for readability.
PHONE_PATTERN = r"^(\+?86[ -]?)?(1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}[ -]?\d{7,8})$"

ADDRESS_FIELDS: dict[str, AddressField] = {
    "name": AddressField(max_length=50),
    "phone": AddressField(
        max_length=20,
        pattern=PHONE_PATTERN,
        pattern_message="Enter a mobile number like 13800138000 or a landline with area code.",
    ),
    "province": AddressField(max_length=50),
    "city": AddressField(max_length=50),
    "district": AddressField(max_length=50),
    "address": AddressField(max_length=200),
    "postcode": AddressField(
        max_length=6,
        required=False,
        pattern=r"^\d{6}$",
        pattern_message="A postcode is six digits.",
    ),
    # The district's GB/T 2260 code (regions app). Given, it fills province, city and
    # district; left out, it is looked up from those three names when they match.
    "region_code": AddressField(max_length=6, required=False),
}
REGION_NAME_FIELDS = ("province", "city", "district")

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,%d}$" % IDEMPOTENCY_KEY_MAX_LENGTH)  # noqa: UP031


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_quantity(value: Any) -> int:
    """1..999 as a real integer, or ``InvalidInput`` with details ``{"quantity": [...]}``."""
    message = quantity_error(value)
    if message:
        raise InvalidInput(details={"quantity": [message]})
    return value


def quantity_error(value: Any) -> str | None:
    if not _is_int(value):
        return _("A quantity is a whole number.")
    if not 1 <= value <= MAX_LINE_QUANTITY:
        return _("A quantity is from 1 to %(max)d.") % {"max": MAX_LINE_QUANTITY}
    return None


def clean_lines(lines: Any) -> dict[int, int]:
    """Validate the requested lines and merge duplicates: ``{variant_id: quantity}``.

    The insertion order is the request's (first appearance of each variant).
    """
    if not isinstance(lines, list) or not lines:
        raise InvalidInput(details={"lines": [_("Give at least one line.")]})
    if len(lines) > MAX_LINES_PER_ORDER:
        raise InvalidInput(
            details={"lines": [_("At most %(n)d lines per order.") % {"n": MAX_LINES_PER_ORDER}]}
        )
    errors: list[dict[str, list[str]]] = []
    merged: dict[int, int] = {}
    for line in lines:
        line_errors: dict[str, list[str]] = {}
        if not isinstance(line, dict):
            errors.append({"non_field_errors": [_("A line is an object.")]})
            continue
        unknown = set(line) - {"variant", "quantity"}
        if unknown:
            line_errors["non_field_errors"] = [
                _("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(map(str, unknown)))}
            ]
        variant = line.get("variant")
        if not _is_int(variant) or not 1 <= variant <= MAX_ID:
            line_errors["variant"] = [_("A variant is given by its numeric id.")]
        message = quantity_error(line.get("quantity"))
        if message:
            line_errors["quantity"] = [message]
        errors.append(line_errors)
        if not line_errors:
            merged[variant] = merged.get(variant, 0) + line["quantity"]
    if any(errors):
        raise InvalidInput(details={"lines": errors})
    too_many = [vid for vid, qty in merged.items() if qty > MAX_LINE_QUANTITY]
    if too_many:
        raise InvalidInput(
            _("The same item appears several times and adds up to more than %(max)d.")
            % {"max": MAX_LINE_QUANTITY},
            details={"lines": [_("Too many of one item.")], "variants": too_many},
        )
    return merged


def clean_address(address: Any) -> dict[str, str]:
    """A normalised copy (whitespace trimmed, every known key present) or ``InvalidInput``
    with ``details = {"shipping_address": {field: [messages]}}``."""
    if not isinstance(address, dict):
        raise InvalidInput(details={"shipping_address": [_("An address is an object.")]})
    errors: dict[str, list[str]] = {}
    code = address.get("region_code")
    if code not in (None, ""):
        path = region_path(code) if isinstance(code, str) else None
        if path is None:
            errors["region_code"] = [_("Choose a district or county from the list.")]
        else:
            address = {
                **address,
                "province": path.province.name,
                "city": path.city.name,
                "district": path.district.name,
            }
    unknown = set(address) - set(ADDRESS_FIELDS)
    for key in sorted(map(str, unknown)):
        errors[key] = [_("Unknown field.")]
    cleaned: dict[str, str] = {}
    for name, rule in ADDRESS_FIELDS.items():
        raw = address.get(name)
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            errors[name] = [_("Must be text.")]
            continue
        value = " ".join(raw.split())  # collapses newlines and runs of spaces
        if _CONTROL_CHARS.search(raw.replace("\n", " ").replace("\t", " ")):
            errors[name] = [_("Contains control characters.")]
        elif not value:
            if rule.required:
                errors[name] = [_("This field is required.")]
        elif len(value) > rule.max_length:
            errors[name] = [
                _("At most %(n)d characters (it has %(m)d).")
                % {"n": rule.max_length, "m": len(value)}
            ]
        elif rule.pattern and not re.fullmatch(rule.pattern, value):
            errors[name] = [_(rule.pattern_message)]
        elif name == "phone":
            # Stored in one form everywhere (E.164, as accounts store theirs), so the
            # same number typed "138 0013 8000" or "+86-138…" compares equal.
            try:
                value = phone_normalize(value)
            except InvalidPhoneNumber:
                errors[name] = [_(rule.pattern_message)]
        cleaned[name] = value
    if errors:
        raise InvalidInput(details={"shipping_address": errors})
    if not cleaned["region_code"]:
        found = region_resolve(**{name: cleaned[name] for name in REGION_NAME_FIELDS})
        cleaned["region_code"] = found.code if found else ""
    return cleaned


def clean_idempotency_key(key: Any) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        raise InvalidInput(
            _("An Idempotency-Key is 1 to %(n)d printable ASCII characters.")
            % {"n": IDEMPOTENCY_KEY_MAX_LENGTH},
            details={"Idempotency-Key": [_("1 to 64 printable ASCII characters, no spaces.")]},
        )
    return key
