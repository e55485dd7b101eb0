"""The built-in sandbox wallet: a stand-in for a mobile wallet, HMAC-signed notifications.

The wallet's own side (the pay page, its table of wallet payments, the Celery task that
delivers notifications) is ``payments.sandbox``; this module owns only the protocol:
the pay-page URL, the `X-Sandbox-Signature` header (`sign_notification` for the wallet,
`parse_notification` for the callback view) and hooks through which `query` and
`refund` are answered from the wallet's table, since there is no remote API to call.
"""

from __future__ import annotations

import importlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from storefront import signing

from . import base

logger = logging.getLogger(__name__)

#: The wallet's pay page, relative to PUBLIC_BASE_URL. The page itself lives elsewhere;
#: its URLconf must use the same pattern.
PAY_PATH = "/pay/sandbox/{out_trade_no}/"
SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 300

_STATUS = {"SUCCESS": ("payment", "succeeded"), "REFUNDED": ("refund", "refunded")}

#: `query_lookup(out_trade_no)` returns the wallet's answer, or None for "no such payment".
QueryLookup = Callable[[str], base.QueryResult | None]
#: `refund_handler(out_trade_no=, out_refund_no=, amount=, total=, reason=)`.
RefundHandler = Callable[..., base.RefundResult]


@dataclass(frozen=True)
class SandboxConfig:
    secret: str
    public_base_url: str = "http://127.0.0.1:8000"
    enabled: bool = True


class SandboxProvider(base.Provider):
    """The sandbox wallet.

    `query()` and `refund()` do no HTTP: they call `query_lookup` and `refund_handler`
    when given (the integration layer answers from its own wallet table). Without them,
    `query()` reports `pending` (amount None) and `refund()` reports `succeeded` with a
    generated refund id, which is what a wallet that always pays back would say.
    `from_settings` reads optional dotted paths `SANDBOX_WALLET_QUERY_HOOK` and
    `SANDBOX_WALLET_REFUND_HOOK` for them.
    """

    name: ClassVar[str] = "sandbox"

    def __init__(
        self,
        config: SandboxConfig,
        *,
        query_lookup: QueryLookup | None = None,
        refund_handler: RefundHandler | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.secret:
            raise base.ProviderUnavailable(
                "sandbox is not configured: SANDBOX_WALLET_SECRET is empty"
            )
        self.config = config
        self._query_lookup = query_lookup
        self._refund_handler = refund_handler
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> SandboxProvider:
        secret = base.setting(settings, "SANDBOX_WALLET_SECRET")
        if not base.setting_flag(settings, "PAYMENTS_SANDBOX_ENABLED"):
            raise base.ProviderUnavailable("the sandbox wallet is disabled")
        if not secret:
            raise base.ProviderUnavailable(
                "sandbox is not configured: SANDBOX_WALLET_SECRET is not set"
            )
        config = SandboxConfig(
            secret=secret,
            public_base_url=base.setting(settings, "PUBLIC_BASE_URL")
            or SandboxConfig.public_base_url,
        )
        for key, name in (
            ("query_lookup", "SANDBOX_WALLET_QUERY_HOOK"),
            ("refund_handler", "SANDBOX_WALLET_REFUND_HOOK"),
        ):
            path = base.setting(settings, name)
            if path and key not in kwargs:
                kwargs[key] = _import_string(path)
        return cls(config, **kwargs)

    # ---------------------------------------------------------------- start

    def pay_url(self, out_trade_no: str) -> str:
        return self.config.public_base_url.rstrip("/") + PAY_PATH.format(out_trade_no=out_trade_no)

    def start(self, request: base.PaymentRequest) -> base.StartResult:
        base.quantize_yuan(request.amount)  # refuse fractions of a fen here too
        return base.StartResult(client_payload={"pay_url": self.pay_url(request.out_trade_no)})

    # ---------------------------------------------------------------- signatures

    def sign_notification(self, body: bytes, now: float | datetime | None = None) -> str:
        """The `X-Sandbox-Signature` header value for `body` (used by the wallet side)."""
        if isinstance(now, datetime):
            timestamp = int(base.as_aware(now).timestamp())
        else:
            timestamp = int(self._clock() if now is None else now)
        return signing.sign(self.config.secret, body, timestamp=timestamp)

    def parse_notification(
        self, *, headers: Mapping[str, str], body: bytes, content_type: str = ""
    ) -> base.Notification:
        """Verify `X-Sandbox-Signature` (HMAC-SHA256 over "<t>.<raw body>", constant-time,
        5-minute tolerance either way) and parse the JSON body.

        Body: `{"id", "out_trade_no", "status": "SUCCESS"|"REFUNDED", "amount": "88.50",
        "created"}`; a REFUNDED event may also carry `out_refund_no` and `refund_amount`
        (default: `amount`).
        """
        # The raw bytes are verified before anything parses them (storefront.signing):
        # MAC first, then the timestamp, so stale_timestamp means "authentic but old".
        try:
            signing.verify(
                secrets=[self.config.secret],
                body=body,
                header=base.header(headers, SIGNATURE_HEADER),
                now=self._clock(),
                tolerance=TOLERANCE_SECONDS,
            )
        except signing.SignatureError as exc:
            if exc.code == "stale":
                raise base.NotificationError("stale_timestamp", exc.message) from None
            logger.warning("sandbox notification: bad signature (%s)", exc.code)
            raise base.NotificationError("bad_signature", exc.message) from None

        data = base.json_body(content_type, headers, body)

        event_id, out_trade_no, status = (data.get(k) for k in ("id", "out_trade_no", "status"))
        if not (isinstance(event_id, str) and event_id):
            raise base.NotificationError("malformed", "missing id")
        if not (isinstance(out_trade_no, str) and out_trade_no):
            raise base.NotificationError("malformed", "missing out_trade_no")
        if status not in _STATUS:
            raise base.NotificationError("malformed", f"unknown status {status!r}")
        kind, normalised = _STATUS[status]
        try:
            amount = base.parse_yuan(data.get("amount"))
            refund_amount = (
                base.parse_yuan(data.get("refund_amount", data.get("amount")))
                if kind == "refund"
                else None
            )
        except ValueError as exc:
            raise base.NotificationError("malformed", str(exc)) from exc

        return base.Notification(
            provider=self.name,
            event_id=event_id,
            kind=kind,
            out_trade_no=out_trade_no,
            trade_no=str(data.get("trade_no") or ""),
            status=normalised,
            amount=amount,
            refund_amount=refund_amount,
            out_refund_no=str(data.get("out_refund_no") or "") if kind == "refund" else "",
            occurred_at=_parse_created(data.get("created")),
            payload=data,
        )

    # ---------------------------------------------------------------- query and refund

    def query(self, *, out_trade_no: str) -> base.QueryResult:
        if self._query_lookup is not None:
            result = self._query_lookup(out_trade_no)
            if result is not None:
                return result
        return base.QueryResult(status="pending", amount=None, raw={"out_trade_no": out_trade_no})

    def refund_request(self, request: base.RefundRequest) -> base.RefundResult:
        amount, total = base.quantize_yuan(request.amount), base.quantize_yuan(request.total)
        if not Decimal("0") < amount <= total:
            return base.RefundResult(status="failed", raw={"error": "amount out of range"})
        if self._refund_handler is not None:
            return self._refund_handler(**asdict(replace(request, amount=amount, total=total)))
        refund_id = "SBR" + secrets.token_hex(12)
        return base.RefundResult(
            status="succeeded",
            refund_id=refund_id,
            raw={
                "out_refund_no": request.out_refund_no,
                "refund_id": refund_id,
                "amount": f"{amount}",
            },
        )

    # ---------------------------------------------------------------- answers

    def success_response(self) -> base.HttpAnswer:
        return 204, "", b""

    def failure_response(self, code: str, message: str) -> base.HttpAnswer:
        body = json.dumps({"code": code, "message": message}).encode()
        return 401, "application/json", body


def _parse_created(value: Any) -> datetime | None:
    """`created` as unix seconds or ISO 8601; None when absent or unreadable (informative)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return base.utc_from_unix(value)
    if isinstance(value, str) and value:
        try:
            return base.as_aware(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _import_string(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise base.ProviderUnavailable(f"sandbox: cannot import hook {path}") from exc
