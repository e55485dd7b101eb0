"""What every SMS sender offers: ``send`` one message, or raise ``SmsSendError``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Protocol, Self

from ..exceptions import SmsPermanentError


@dataclass(frozen=True)
class OutgoingSms:
    """One message as the senders see it.

    ``template`` is our name for it (``login_code``, ``order_shipped``…); providers map it
    to the template they approved (``SMS_*_TEMPLATES``). ``params`` are the template's
    variables in their order (Tencent takes a list, Aliyun a JSON object). ``text`` is the
    whole message in the person's language, for the development outbox and the log.
    """

    phone: str  # E.164
    template: str
    params: dict[str, str] = field(default_factory=dict)
    text: str = ""
    language: str = ""


@dataclass(frozen=True)
class SendResult:
    provider: str
    message_id: str = ""


class SmsSender(Protocol):
    name: str

    def send(self, message: OutgoingSms) -> SendResult: ...


def provider_template(templates: dict[str, str], message: OutgoingSms) -> str:
    """The provider's template id for this message: ``name.language`` first, then ``name``;
    ``SmsPermanentError`` when the deployment configured neither (no retry can help)."""
    language = (message.language or "").lower()
    found = templates.get(f"{message.template}.{language}") or templates.get(message.template)
    if not found:
        raise SmsPermanentError("template_not_configured", message.template)
    return found


@dataclass(frozen=True, kw_only=True)
class ProviderSender:
    """What a cloud SMS provider's sender holds besides its credentials: the signature
    name printed in every message and the provider's template ids."""

    sign_name: str
    templates: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Any, prefix: str) -> Self:
        """Built from the settings named ``prefix`` + each field's name in capitals
        (``SMS_ALIYUN_`` + ``SIGN_NAME``); a field with no such setting keeps its default."""
        names = (f.name for f in fields(cls) if f.init)
        return cls(
            **{
                name: getattr(settings, prefix + name.upper())
                for name in names
                if hasattr(settings, prefix + name.upper())
            }
        )

    def template_for(self, message: OutgoingSms) -> str:
        return provider_template(self.templates, message)
