from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WholesaleConfig(AppConfig):
    """Business buyers (mills, bakeries, canteens): organisations, price lists with
    quantity tiers, quotes, purchase orders on credit, invoices and credit notes."""

    name = "wholesale"
    verbose_name = _("Wholesale")
