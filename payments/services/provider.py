"""The one way payments code obtains a provider."""

from __future__ import annotations

from ..providers import Provider, get_provider


def provider_get(name: str) -> Provider:
    """The configured provider `name`; the sandbox answers query/refund from its wallet.

    Raises `ProviderUnavailable`.
    """
    if name == "sandbox":
        from ..sandbox.provider import sandbox_provider

        return sandbox_provider()
    return get_provider(name)
