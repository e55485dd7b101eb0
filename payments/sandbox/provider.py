"""The sandbox provider wired to the wallet's own record."""

from __future__ import annotations

from django.conf import settings

from ..providers import SandboxProvider
from . import wallet


def sandbox_provider() -> SandboxProvider:
    """The configured sandbox provider, answering query and refund from the wallet.
    Raises `ProviderUnavailable` when the sandbox is off."""
    return SandboxProvider.from_settings(
        settings,
        query_lookup=wallet.sandbox_wallet_query,
        refund_handler=wallet.sandbox_wallet_refund,
    )


def sandbox_enabled() -> bool:
    from ..providers import ProviderUnavailable

    try:
        SandboxProvider.from_settings(settings)
    except ProviderUnavailable:
        return False
    return True
