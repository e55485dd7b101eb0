"""Validators of catalogue fields that need more than a type."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from regions.selectors import region_get

MAX_SURCHARGE = Decimal("999.99")


def validate_region_surcharges(value) -> None:
    """``{"650000": "12.00"}``: province codes to an amount in yuan from 0 to 999.99."""
    if not isinstance(value, dict):
        raise ValidationError(_("Give an object of province code to amount."), code="invalid")
    for code, amount in value.items():
        region = region_get(code)
        if region is None or region.level != "province":
            raise ValidationError(
                _("%(code)s is not a province code.") % {"code": code}, code="invalid"
            )
        try:
            money = Decimal(str(amount))
        except InvalidOperation:
            money = Decimal("-1")
        if not (Decimal("0") <= money <= MAX_SURCHARGE) or money != money.quantize(Decimal("0.01")):
            raise ValidationError(
                _("The surcharge for %(code)s must be an amount from 0 to 999.99.")
                % {"code": code},
                code="invalid",
            )
