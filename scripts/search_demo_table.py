"""Print the README's table of demo searches from a real run.

    DATABASE_URL=postgres://… python manage.py load_demo
    DATABASE_URL=postgres://… python scripts/search_demo_table.py

Each row: the query, how many products it found and the first one, as the API's
``products/?search=`` ranks them (no ``ordering``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings.local")

import django

django.setup()

from django.db import connection  # noqa: E402

from catalog import selectors  # noqa: E402
from catalog.search.demo_queries import DEMO_QUERIES  # noqa: E402
from catalog.search.query import product_search  # noqa: E402

products = selectors.public_products().count()
print(f"Run on {connection.vendor} with the demo data ({products} products).\n")
print("| query | found | first result |")
print("|---|---|---|")
for query, _expected in DEMO_QUERIES:
    found = product_search(selectors.product_summary_list(), query)
    first = found.first()
    title = f"{first.title} (`{first.slug}`)" if first else "—"
    print(f"| `{query}` | {found.count()} | {title} |")
