"""Payment providers behind one interface (see PAYMENTS.md and `base.Provider`).

`get_provider(name)` is the one way the rest of Farmgate obtains a provider; it
builds it from Django settings each time (cheap: two small PEM files read at most;
parsed keys are cached per process by their text, see `base.load_private_key`), so a
settings or key file change in tests or at deploy time is picked up without a restart
hook, and a callback does not parse the merchant's private key again.
"""

from __future__ import annotations

from typing import Any

from . import base
from .alipay import AlipayConfig, AlipayProvider
from .base import *  # noqa: F403 (the protocol's names, listed once in base.__all__)
from .sandbox import PAY_PATH as SANDBOX_PAY_PATH
from .sandbox import SandboxConfig, SandboxProvider
from .wechat import WechatConfig, WechatProvider

__all__ = [
    *base.__all__,
    "PROVIDERS",
    "SANDBOX_PAY_PATH",
    "AlipayConfig",
    "AlipayProvider",
    "SandboxConfig",
    "SandboxProvider",
    "WechatConfig",
    "WechatProvider",
    "configured_providers",
    "get_provider",
]

PROVIDERS = ("sandbox", "alipay", "wechat")

_CLASSES: dict[str, type[base.Provider]] = {
    "sandbox": SandboxProvider,
    "alipay": AlipayProvider,
    "wechat": WechatProvider,
}


def get_provider(name: str, settings: Any = None) -> base.Provider:
    """The configured provider called `name`.

    `settings` defaults to `django.conf.settings` (imported here, lazily, so this
    package imports without Django configured). Raises `ProviderUnavailable`
    (code `provider_unavailable`) for an unknown name or an unconfigured provider.
    """
    cls = _CLASSES.get(name)
    if cls is None:
        raise base.ProviderUnavailable(f"unknown payment provider {name!r}")
    if settings is None:
        from django.conf import settings as django_settings

        settings = django_settings
    return cls.from_settings(settings)


def configured_providers(settings: Any = None) -> tuple[str, ...]:
    """Names of the providers that `get_provider` would return, in `PROVIDERS` order."""
    names = []
    for name in PROVIDERS:
        try:
            get_provider(name, settings)
        except base.ProviderUnavailable:
            continue
        names.append(name)
    return tuple(names)
