from django.db import models
from django.utils.translation import gettext_lazy as _


class TeamStatus(models.TextChoices):
    OPEN = "open", _("open")
    FILLED = "filled", _("filled")
    FAILED = "failed", _("failed")


class PreSaleStatus(models.TextChoices):
    OPEN = "open", _("open")
    CONVERTING = "converting", _("converting")
    CONVERTED = "converted", _("converted")


DEFAULT_TIME_TO_FILL_HOURS = 24
