from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    """The order's life across apps: checkout, payment applied, cancel, refunds,
    delivery and completion, expiry; and the buyer's pages and API that run them."""

    name = "lifecycle"
    verbose_name = _("Order life cycle")

    def ready(self) -> None:
        # What features give back or hold, registered here: they sit below lifecycle.
        from marketing.services.vouchers import voucher_release
        from wholesale.receivables import on_receivable_change
        from wholesale.services import credit_release

        from .services.extensions import on_unpaid_release
        from .services.groupbuy import groupbuy_register

        groupbuy_register()
        on_unpaid_release(credit_release)  # wholesale: credit taken by an unpaid order
        on_unpaid_release(voucher_release)  # marketing: a voucher use comes back
        from .services.receivables import receivable_record

        on_receivable_change(receivable_record)  # wholesale invoices in the ledger
