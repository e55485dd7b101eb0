from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupbuyConfig(AppConfig):
    """Selling before the goods are one buyer's: team offers (a team price once the
    team fills, refunded automatically when it does not) and harvest pre-sales (a quota
    of a future harvest sold at a fixed price, converted or refunded at harvest).

    One app for both: they share the shape (a claim taken by one conditional UPDATE in
    the placement transaction, paid orders held back from fulfilment until a cooperative
    or a deadline decides, refunds exactly once) and the admin scoping."""

    name = "groupbuy"
    verbose_name = _("Group buying and pre-sales")
