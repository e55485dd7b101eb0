from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FarmConfig(AppConfig):
    """The farmer portal (``/farm/``); the page helpers every page shares are ``storefront``'s."""

    name = "farm"
    verbose_name = _("Farmer portal")
