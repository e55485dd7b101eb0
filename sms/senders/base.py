"""What every SMS sender offers: ``send`` one message, or raise ``SmsSendError``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

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
