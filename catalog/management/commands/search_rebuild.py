"""Rebuild the product search index: after a deployment (``--missing``: products without
an entry) or after cooperative, county or category names changed (everything)."""

from django.core.management.base import BaseCommand

from catalog.search.index import product_search_rebuild


class Command(BaseCommand):
    help = "Rebuild the product search index (all products, or --missing ones)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing", action="store_true", help="Only products that have no index entry."
        )

    def handle(self, *args, **options):
        written = product_search_rebuild(missing_only=options["missing"])
        self.stdout.write(f"indexed {written} product(s)")
