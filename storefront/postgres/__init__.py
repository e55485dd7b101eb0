"""Django's PostgreSQL backend with a health check that costs no round trip on a
connection in steady use (``ENGINE = "storefront.postgres"``; see ``base.py``)."""
