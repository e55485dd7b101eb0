from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    """Vouchers and campaigns: what they take off an order, and which campaign brought it."""

    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from .services.campaigns import connect_cache_receivers

        connect_cache_receivers()
