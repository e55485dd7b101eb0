from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FarmConfig(AppConfig):
    """The farmer portal (``/farm/``) and the page helpers shared by every template."""

    name = "farm"
    verbose_name = _("Farmer portal")
