from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    """Vouchers and campaigns: what they take off an order, and which campaign brought it."""

    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from catalog.offers import offers_provider_register

        from .pricing import campaign_offers, receivers_connect
        from .services.campaigns import connect_cache_receivers

        receivers_connect()
        connect_cache_receivers()
        offers_provider_register(campaign_offers)
