from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from django.db.models.signals import pre_migrate

        from .search.indexes import ensure_trigram_extension

        pre_migrate.connect(ensure_trigram_extension, sender=self)
