"""Choices of the members app, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentKind(models.TextChoices):
    """How money reached a household from its cooperative."""

    PRODUCE = "produce", _("Paid for produce delivered")
    DIVIDEND = "dividend", _("Dividend share")


class DividendRule(models.TextChoices):
    """How a dividend is split between the cooperative's households."""

    EQUAL = "equal", _("Equal shares per household")
    SHARE_UNITS = "share_units", _("By shares held")
    PRODUCE = "produce", _("By produce delivered in a period")


# The most a single household payment or dividend may be: a typo guard, not a policy.
MAX_AMOUNT = 10_000_000
