from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """The offline channel: county stores (counter sales) and village service stations
    (assisted orders collected with a pickup code), on the same catalogue, stock,
    payments and ledger as the online storefront."""

    name = "channels"
    verbose_name = _("Stores and stations")
