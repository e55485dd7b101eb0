from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfilmentConfig(AppConfig):
    name = "fulfilment"
    verbose_name = _("Fulfilment")

    def ready(self) -> None:
        from . import metrics  # noqa: F401  (registers the gauges /metrics computes)
