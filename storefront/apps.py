from django.apps import AppConfig
from django.urls import register_converter


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = "Farmgate"

    def ready(self) -> None:
        from .ids import IdConverter, register_lookups

        # Before any URLconf is loaded: app URL modules use <id:...> for row ids.
        register_converter(IdConverter, "id")
        register_lookups()
