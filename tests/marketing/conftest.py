"""Fixtures of the marketing tests (the orders tests' buyer, address and API clients)."""

from tests.orders.conftest import address, buyer, buyer_client, client_for  # noqa: F401
from tests.payments.conftest import wallet_delivers_in_process  # noqa: F401
