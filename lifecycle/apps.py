from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    """The order's life across apps: checkout, payment applied, cancel, refunds,
    delivery and completion, expiry; and the buyer's pages and API that run them."""

    name = "lifecycle"
    verbose_name = _("Order life cycle")

    def ready(self) -> None:
        from marketing.services.vouchers import voucher_release

        from .services.extensions import on_unpaid_release

        on_unpaid_release(voucher_release)  # marketing: a voucher use comes back
