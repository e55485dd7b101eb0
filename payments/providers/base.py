"""The provider protocol: value types, errors and the `Provider` interface.

This module owns the contract between the payment integration code (services,
callback views, tasks) and the three provider implementations. Nothing here
touches Django models or the database, so every provider can be built from a
plain config dataclass and tested on its own.

Money helpers live here too: amounts are always `Decimal` in yuan with two
places, converted exactly to and from integer fen; floats never appear.
"""

from __future__ import annotations

import abc
import base64
import binascii
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from storefront import jsonsafe

__all__ = [
    "CALLBACK_PATH",
    "CHINA_TZ",
    "KINDS",
    "NOTIFICATION_ERROR_CODES",
    "STATUSES",
    "Notification",
    "NotificationError",
    "PaymentRequest",
    "Provider",
    "ProviderError",
    "ProviderUnavailable",
    "QueryResult",
    "RefundRequest",
    "RefundResult",
    "StartResult",
    "callback_url",
    "format_yuan",
    "from_fen",
    "load_private_key",
    "load_public_key",
    "parse_yuan",
    "quantize_yuan",
    "rsa_sign",
    "rsa_verify",
    "setting",
    "setting_flag",
    "to_fen",
]

#: Where each provider posts its notifications (see API.md); `{provider}` is the name.
CALLBACK_PATH = "/api/v1/payments/callbacks/{provider}/"

#: China Standard Time. A fixed offset rather than ZoneInfo("Asia/Shanghai"): China has had
#: no DST since 1991 and this avoids depending on the host's (or tzdata's) zone database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

KINDS = ("payment", "refund")
STATUSES = ("pending", "succeeded", "finished", "closed", "refunded", "refund_failed")
NOTIFICATION_ERROR_CODES = frozenset(
    {"bad_signature", "stale_timestamp", "undecryptable", "malformed", "merchant_mismatch"}
)

_CENT = Decimal("0.01")
_YUAN_RE = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$")


# --------------------------------------------------------------------------- errors


class ProviderError(Exception):
    """An outbound call to a provider failed (network, timeout, protocol, bad signature).

    `message` is safe to log and to show to staff: it never contains keys or signatures.
    `provider_code` carries the provider's own error code when it sent one.
    """

    code: ClassVar[str] = "provider_error"

    def __init__(self, message: str = "", *, provider_code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.provider_code = provider_code


class ProviderUnavailable(ProviderError):
    """The provider is unknown, disabled or not (correctly) configured."""

    code: ClassVar[str] = "provider_unavailable"


class NotificationError(Exception):
    """A notification was rejected by `Provider.parse_notification`.

    `code` is one of `NOTIFICATION_ERROR_CODES`: `bad_signature`, `stale_timestamp`,
    `undecryptable`, `malformed`, `merchant_mismatch`. Nothing from such a notification
    may be stored as trusted data.
    """

    def __init__(self, code: str, message: str = "") -> None:
        if code not in NOTIFICATION_ERROR_CODES:  # a typo here would silently change answers
            raise ValueError(f"unknown notification error code {code!r}")
        super().__init__(message or code)
        self.code = code
        self.message = message or code


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class PaymentRequest:
    """What the integration layer asks a provider to start.

    `amount` is yuan with at most two places. `expires_at` (aware; naive means UTC) is
    passed to the provider so it closes the trade when our order expires.
    `payer_openid` is only used by WeChat Pay (JSAPI inside WeChat); see `WechatProvider`.
    """

    out_trade_no: str
    amount: Decimal
    subject: str
    notify_url: str
    return_url: str | None = None
    client_ip: str | None = None
    expires_at: datetime | None = None
    payer_openid: str | None = None


@dataclass(frozen=True)
class RefundRequest:
    """What the integration layer asks a provider to refund (see `Provider.refund`)."""

    out_trade_no: str
    out_refund_no: str
    amount: Decimal
    total: Decimal
    reason: str = ""


@dataclass(frozen=True)
class StartResult:
    """What the buyer's app or browser needs to pay (`client_payload`, JSON-serialisable)."""

    client_payload: dict
    provider_reference: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified, parsed provider notification.

    `event_id` is the inbox deduplication key: Alipay `notify_id + ":" + trade_status`,
    WeChat the body `id`, sandbox the body `id`. `status` is normalised to one of
    `STATUSES`; `amount` is the payment total in yuan (two places) and `refund_amount`
    the refunded amount for `kind == "refund"`. `payload` holds the parsed (for WeChat:
    decrypted) fields, JSON-serialisable, for the inbox row.
    """

    provider: str
    event_id: str
    kind: str
    out_trade_no: str
    trade_no: str
    status: str
    amount: Decimal
    refund_amount: Decimal | None = None
    out_refund_no: str = ""
    occurred_at: datetime | None = None
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class QueryResult:
    """The provider's view of a payment. `status` uses the `Notification.status` values.

    `amount` is None when the provider knows no such trade yet (reported as `pending`:
    the buyer has not opened the payment, which may still happen until it expires).
    """

    status: str
    amount: Decimal | None
    trade_no: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    """Outcome of a refund request: `succeeded`, `pending` (completes by notification or
    query) or `failed` (the provider refused; `raw` says why)."""

    status: str
    refund_id: str = ""
    raw: dict = field(default_factory=dict)


HttpAnswer = tuple[int, str, bytes]


class Provider(abc.ABC):
    """One payment provider. Instances are cheap, immutable in effect and thread-safe."""

    name: ClassVar[str]

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Any) -> Provider:
        """Build from a Django settings object; raise `ProviderUnavailable` when the provider
        is not configured (missing settings, unreadable key files, disabled)."""

    @abc.abstractmethod
    def start(self, request: PaymentRequest) -> StartResult:
        """Create the payment on the provider side (if it needs that) and return what the
        client needs. Raises `ProviderError` on network or protocol failure."""

    @abc.abstractmethod
    def parse_notification(
        self, *, headers: Mapping[str, str], body: bytes, content_type: str = ""
    ) -> Notification:
        """Verify signature, freshness and merchant, then parse the raw notification.

        Raises `NotificationError`. Checking that `out_trade_no` is ours and the amount
        matches is the integration layer's job (it has the database).
        """

    @abc.abstractmethod
    def query(self, *, out_trade_no: str) -> QueryResult:
        """Ask the provider about a payment. Raises `ProviderError` on failure."""

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        amount: Decimal,
        total: Decimal,
        reason: str = "",
    ) -> RefundResult:
        """Refund `amount` of a payment of `total`. Idempotent on `out_refund_no` at the
        provider. Raises `ProviderError` when the outcome is unknown (retry later)."""
        return self.refund_request(
            RefundRequest(out_trade_no, out_refund_no, amount, total, reason)
        )

    @abc.abstractmethod
    def refund_request(self, request: RefundRequest) -> RefundResult:
        """`refund` with its arguments as one `RefundRequest`; what each provider implements."""

    @abc.abstractmethod
    def success_response(self) -> HttpAnswer:
        """(status, content_type, body) the callback view answers once the notification
        is stored."""

    @abc.abstractmethod
    def failure_response(self, code: str, message: str) -> HttpAnswer:
        """(status, content_type, body) the callback view answers when it rejects a
        notification (`code` is a `NotificationError.code`); the provider will retry."""


# --------------------------------------------------------------------------- money


def quantize_yuan(amount: Decimal) -> Decimal:
    """`amount` with exactly two places. Raises ValueError rather than round: an amount
    with fractions of a fen is a bug upstream, and money is never silently changed."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"amount must be a finite Decimal, got {amount!r}")
    quantized = amount.quantize(_CENT)
    if quantized != amount:
        raise ValueError(f"amount {amount} has fractions of a fen")
    return quantized


def parse_yuan(value: Any) -> Decimal:
    """Parse a provider's yuan string ("88.50", "88.5", "88") strictly. ValueError otherwise
    (floats, negatives, exponents and more than two places are all refused)."""
    if not isinstance(value, str) or not _YUAN_RE.match(value):
        raise ValueError(f"not a yuan amount: {value!r}")
    try:
        return Decimal(value).quantize(_CENT)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees this
        raise ValueError(f"not a yuan amount: {value!r}") from exc


def format_yuan(amount: Decimal) -> str:
    """The wire form of an amount: "12.50"."""
    return f"{quantize_yuan(amount):.2f}"


def to_fen(amount: Decimal) -> int:
    """Yuan to integer fen, exactly (12.50 -> 1250)."""
    return int(quantize_yuan(amount) * 100)


def from_fen(fen: Any) -> Decimal:
    """Integer fen to yuan with two places (1 -> 0.01). ValueError for non-integers
    (including bool and float, which JSON parsers may hand us)."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"not an amount in fen: {fen!r}")
    return (Decimal(fen) / 100).quantize(_CENT)


# --------------------------------------------------------------------------- keys and RSA


def _wrap_pem(text: str, label: str) -> bytes:
    """Alipay's key tool hands out bare base64 without PEM armour; add it."""
    body = "".join(text.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


# Parsing an RSA private key (with OpenSSL's full key check) takes milliseconds, and
# providers are built per request from the key files: keyed by the key text itself, a
# key is parsed once per process, and a changed file is a new key, parsed afresh.
# Key objects are immutable and safe to share between threads.
@functools.lru_cache(maxsize=32)
def load_private_key(data: str | bytes) -> rsa.RSAPrivateKey:
    """Load an RSA private key: PEM (PKCS#8 or PKCS#1) or bare base64 of either.
    Cached by ``data`` (a ValueError is not cached)."""
    text = data.decode() if isinstance(data, bytes) else data
    candidates = (
        [text.encode()]
        if "-----BEGIN" in text
        else [_wrap_pem(text, "PRIVATE KEY"), _wrap_pem(text, "RSA PRIVATE KEY")]
    )
    for pem in candidates:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            continue
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    raise ValueError("not an RSA private key")


@functools.lru_cache(maxsize=32)
def load_public_key(data: str | bytes) -> rsa.RSAPublicKey:
    """Load an RSA public key: PEM public key, X.509 certificate PEM, or bare base64.
    Cached by ``data``, like ``load_private_key``."""
    text = data.decode() if isinstance(data, bytes) else data
    key: Any
    if "-----BEGIN CERTIFICATE" in text:
        key = x509.load_pem_x509_certificate(text.encode()).public_key()
    else:
        pem = text.encode() if "-----BEGIN" in text else _wrap_pem(text, "PUBLIC KEY")
        key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def checked_key(load: Callable[[str], Any], data: str, provider: str, setting_name: str) -> Any:
    """`load(data)` (`load_private_key` or `load_public_key`); ProviderUnavailable naming
    the setting, never the content, when `data` is not an RSA key."""
    try:
        return load(data)
    except ValueError as exc:
        raise ProviderUnavailable(f"{provider}: {setting_name} is not an RSA key") from exc


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64 without line breaks."""
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    """True when `signature_b64` is a valid SHA256withRSA signature of `message`."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# --------------------------------------------------------------------------- settings


def setting(settings: Any, name: str) -> str | None:
    """A string setting; missing, None and blank all mean "not set"."""
    value = getattr(settings, name, None) if settings is not None else None
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def setting_flag(settings: Any, name: str) -> bool:
    """A boolean setting that may arrive as a bool or as an environment string."""
    value = getattr(settings, name, None) if settings is not None else None
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false", "no", "off"}
    return bool(value)


def read_key_file(settings: Any, name: str, provider: str) -> str:
    """Read the PEM file named by setting `name`; ProviderUnavailable if unset/unreadable.
    The message names the setting, never the content."""
    path = setting(settings, name)
    if not path:
        raise ProviderUnavailable(f"{provider} is not configured: {name} is not set")
    try:
        return Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderUnavailable(f"{provider}: cannot read {name}") from exc


def callback_url(public_base_url: str, provider: str) -> str:
    """The notify URL of `provider` under `public_base_url`."""
    return public_base_url.rstrip("/") + CALLBACK_PATH.format(provider=provider)


def content_type_of(content_type: str, headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """(media type, params) from the explicit argument or else the Content-Type header."""
    raw = content_type or header(headers, "Content-Type") or ""
    parts = [p.strip() for p in raw.split(";")]
    params: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if key:
            params[key.strip().lower()] = value.strip().strip('"').lower()
    return parts[0].lower(), params


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (works for dicts, Django's HttpHeaders, httpx.Headers)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def utc_from_unix(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def as_aware(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC, Django's convention with USE_TZ."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def json_object(body: bytes, what: str, code: str = "malformed") -> dict[str, Any]:
    """`body` parsed as a JSON object; NotificationError `code` when it is not one."""
    try:
        data = jsonsafe.loads(body.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON, or nested too deeply
        raise NotificationError(code, f"{what} is not JSON") from exc
    if not isinstance(data, dict):
        raise NotificationError(code, f"{what} is not a JSON object")
    return data


def json_body(content_type: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """A notification body that must be a JSON object (an absent media type is tolerated)."""
    media_type, _ = content_type_of(content_type, headers)
    if media_type and media_type != "application/json":
        raise NotificationError("malformed", f"unexpected content type {media_type}")
    return json_object(body, "body")
