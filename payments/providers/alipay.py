"""Alipay (open platform, RSA2 public-key mode) as a `Provider`.

Owns: signing requests with the merchant (app) private key, verifying asynchronous
notifications and synchronous responses with Alipay's public key, the app-pay order
string and page-pay URL, and the `alipay.trade.query` / `alipay.trade.refund` calls.

Two signing rules exist and differ in one detail (see PAYMENTS.md):

* requests we send: every parameter except `sign` (so `sign_type` *is* signed), empty
  values dropped, sorted by key, `k=v` joined with `&`;
* notifications we receive: `sign` *and* `sign_type` dropped, empty values dropped,
  sorted, joined the same way.

Synchronous responses are signed over the exact JSON text of the response node, which
is why `raw_json_members` slices the response text instead of re-serialising it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

import httpx

from . import base

logger = logging.getLogger(__name__)

DEFAULT_GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: trade_status -> normalised status (TRADE_CLOSED: unpaid and closed, or fully refunded;
#: the refund case is told apart by the refund fields, see `_kind_and_status`).
TRADE_STATUS = {
    "WAIT_BUYER_PAY": "pending",
    "TRADE_SUCCESS": "succeeded",
    "TRADE_FINISHED": "finished",
    "TRADE_CLOSED": "closed",
}
_REFUND_FIELDS = ("refund_fee", "gmt_refund", "out_biz_no")
#: Alipay's "the outcome is unknown, ask again" answers.
_RETRYABLE = {"20000", "ACQ.SYSTEM_ERROR", "ISP.UNKNOW-ERROR", "aop.ACQ.SYSTEM_ERROR"}


@dataclass(frozen=True)
class AlipayConfig:
    """Alipay settings. Keys are PEM text (or bare base64, as Alipay's key tool gives)."""

    app_id: str
    app_private_key: str
    alipay_public_key: str
    seller_id: str | None = None
    gateway_url: str = DEFAULT_GATEWAY_URL
    timeout: float = 10.0


def request_signing_string(params: Mapping[str, str]) -> str:
    """The string a request is signed over: all but `sign`, no empty values, sorted."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v)


def notification_signing_string(params: Mapping[str, str]) -> str:
    """The string a notification is signed over: all but `sign`/`sign_type`, no empties."""
    return "&".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v
    )


class AlipayProvider(base.Provider):
    """Alipay. `start()` needs no HTTP call: it returns a signed app order string (for
    the Alipay app SDK) and a signed page-pay URL (for browsers)."""

    name: ClassVar[str] = "alipay"

    def __init__(self, config: AlipayConfig, *, clock: Callable[[], float] = time.time) -> None:
        if not config.app_id:
            raise base.ProviderUnavailable("alipay is not configured: ALIPAY_APP_ID is empty")
        self._private_key = base.checked_key(
            base.load_private_key, config.app_private_key, self.name, "ALIPAY_APP_PRIVATE_KEY_FILE"
        )
        self._alipay_key = base.checked_key(
            base.load_public_key, config.alipay_public_key, self.name, "ALIPAY_PUBLIC_KEY_FILE"
        )
        self.config = config
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Any) -> AlipayProvider:
        app_id = base.setting(settings, "ALIPAY_APP_ID")
        if not app_id:
            raise base.ProviderUnavailable("alipay is not configured: ALIPAY_APP_ID is not set")
        return cls(
            AlipayConfig(
                app_id=app_id,
                app_private_key=base.read_key_file(
                    settings, "ALIPAY_APP_PRIVATE_KEY_FILE", cls.name
                ),
                alipay_public_key=base.read_key_file(settings, "ALIPAY_PUBLIC_KEY_FILE", cls.name),
                seller_id=base.setting(settings, "ALIPAY_SELLER_ID"),
                gateway_url=base.setting(settings, "ALIPAY_GATEWAY_URL") or DEFAULT_GATEWAY_URL,
            )
        )

    # ---------------------------------------------------------------- signing

    def _common_params(self, method: str, **extra: str | None) -> dict[str, str]:
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": datetime.fromtimestamp(self._clock(), base.CHINA_TZ).strftime(TIME_FORMAT),
            "version": "1.0",
        }
        params.update({k: v for k, v in extra.items() if v})
        return params

    def sign_params(self, params: Mapping[str, str]) -> dict[str, str]:
        """`params` plus their `sign` (request rule)."""
        signed = dict(params)
        signed["sign"] = base.rsa_sign(self._private_key, request_signing_string(params).encode())
        return signed

    @staticmethod
    def _biz_content(biz: Mapping[str, Any]) -> str:
        # Compact and non-ASCII kept as is: Alipay signs and reads the decoded value, so
        # any valid JSON works; this keeps Chinese subjects readable in logs and tests.
        return json.dumps(biz, ensure_ascii=False, separators=(",", ":"))

    # ---------------------------------------------------------------- start

    def start(self, request: base.PaymentRequest) -> base.StartResult:
        """Client payload: `order_string` (alipay.trade.app.pay, for the Alipay app SDK)
        and `page_pay_url` (alipay.trade.page.pay, for a browser redirect).

        With `expires_at` the trade gets `time_expire` (China time) so Alipay closes it
        when our order expires; without it Alipay's default (15 days) applies.
        """
        biz: dict[str, str] = {
            "out_trade_no": request.out_trade_no,
            "total_amount": base.format_yuan(request.amount),
            "subject": request.subject,
        }
        if request.expires_at is not None:
            biz["time_expire"] = (
                base.as_aware(request.expires_at).astimezone(base.CHINA_TZ).strftime(TIME_FORMAT)
            )
        app_params = self._common_params(
            "alipay.trade.app.pay",
            notify_url=request.notify_url,
            biz_content=self._biz_content({**biz, "product_code": "QUICK_MSECURITY_PAY"}),
        )
        page_params = self._common_params(
            "alipay.trade.page.pay",
            notify_url=request.notify_url,
            return_url=request.return_url,
            biz_content=self._biz_content({**biz, "product_code": "FAST_INSTANT_TRADE_PAY"}),
        )
        return base.StartResult(
            client_payload={
                "order_string": _encode_signed(self.sign_params(app_params)),
                "page_pay_url": self.config.gateway_url
                + "?"
                + _encode_signed(self.sign_params(page_params)),
            }
        )

    # ---------------------------------------------------------------- notifications

    def parse_notification(
        self, *, headers: Mapping[str, str], body: bytes, content_type: str = ""
    ) -> base.Notification:
        """Verify and parse an asynchronous notification (form-encoded, UTF-8).

        Order of checks: form parsing (`malformed`), signature (`bad_signature`), required
        fields (`malformed`), `app_id` and configured `seller_id` (`merchant_mismatch`).
        A missing Content-Type is tolerated (the body must still parse); any other media
        type or charset is `malformed`.
        """
        media_type, params = base.content_type_of(content_type, headers)
        if media_type and media_type != FORM_CONTENT_TYPE:
            raise base.NotificationError("malformed", f"unexpected content type {media_type}")
        if params.get("charset", "utf-8") not in ("utf-8", "utf8"):
            raise base.NotificationError("malformed", "only utf-8 notifications are accepted")
        form = _parse_form(body)
        # The values were percent-decoded as UTF-8; a notification declaring another
        # charset would have been signed over differently decoded text.
        if form.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            raise base.NotificationError("malformed", "only utf-8 notifications are accepted")

        signature = form.get("sign", "")
        if not signature:
            raise base.NotificationError("bad_signature", "missing sign")
        if form.get("sign_type", "RSA2") != "RSA2":
            raise base.NotificationError("bad_signature", "sign_type is not RSA2")
        message = notification_signing_string(form).encode("utf-8")
        if not base.rsa_verify(self._alipay_key, message, signature):
            logger.warning(
                "alipay notification: bad signature (out_trade_no=%s)",
                form.get("out_trade_no", "")[:64],
            )
            raise base.NotificationError("bad_signature", "signature does not verify")

        for required in ("notify_id", "app_id", "out_trade_no", "trade_status", "total_amount"):
            if not form.get(required):
                raise base.NotificationError("malformed", f"missing {required}")
        if form["trade_status"] not in TRADE_STATUS:
            raise base.NotificationError(
                "malformed", f"unknown trade_status {form['trade_status']}"
            )
        if form["app_id"] != self.config.app_id:
            raise base.NotificationError("merchant_mismatch", "app_id is not ours")
        if self.config.seller_id and form.get("seller_id") != self.config.seller_id:
            raise base.NotificationError("merchant_mismatch", "seller_id is not ours")

        try:
            amount = base.parse_yuan(form["total_amount"])
            refund_amount = base.parse_yuan(form["refund_fee"]) if form.get("refund_fee") else None
        except ValueError as exc:
            raise base.NotificationError("malformed", str(exc)) from exc
        kind, status = _kind_and_status(form)
        time_field = "gmt_refund" if kind == "refund" else "gmt_payment"
        return base.Notification(
            provider=self.name,
            event_id=f"{form['notify_id']}:{form['trade_status']}",
            kind=kind,
            out_trade_no=form["out_trade_no"],
            trade_no=form.get("trade_no", ""),
            status=status,
            amount=amount,
            refund_amount=refund_amount if kind == "refund" else None,
            out_refund_no=form.get("out_biz_no", "") if kind == "refund" else "",
            occurred_at=_parse_time(form.get(time_field) or form.get("notify_time")),
            payload=form,
        )

    # ---------------------------------------------------------------- query and refund

    def _call(self, method: str, biz: Mapping[str, Any]) -> dict[str, Any]:
        """POST a signed request to the gateway and return the verified response node.

        Like Alipay's own SDKs, the common parameters (charset included, which the
        gateway needs before it can decode the body) go in the query string and
        `biz_content` in the form body; both are covered by the one signature. `sign`
        goes in the body too, so that URL logging (httpx logs requests) never shows it.
        """
        params = self.sign_params(self._common_params(method, biz_content=self._biz_content(biz)))
        body = {"biz_content": params.pop("biz_content"), "sign": params.pop("sign")}
        try:
            response = httpx.post(
                self.config.gateway_url,
                params=params,
                data=body,
                headers={"Content-Type": f"{FORM_CONTENT_TYPE};charset=utf-8"},
                timeout=httpx.Timeout(self.config.timeout),
            )
        except httpx.HTTPError as exc:
            logger.warning("alipay %s: %s", method, type(exc).__name__)
            raise base.ProviderError(f"alipay {method}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise base.ProviderError(f"alipay {method}: HTTP {response.status_code}")
        return self._verified_node(method, response.content)

    def _verified_node(self, method: str, content: bytes) -> dict[str, Any]:
        node_name = method.replace(".", "_") + "_response"
        try:
            text = content.decode("utf-8")
            members = raw_json_members(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise base.ProviderError(f"alipay {method}: response is not JSON") from exc
        raw_node = members.get(node_name) or members.get("error_response")
        sign_raw = members.get("sign")
        if raw_node is None:
            raise base.ProviderError(f"alipay {method}: response has no {node_name}")
        signature = json.loads(sign_raw) if sign_raw else ""
        # Every response we act on must be signed: an unsigned one (the gateway answers
        # authentication errors that way) is treated as a failed call, never as a result.
        if not isinstance(signature, str) or not signature:
            node = _loads_object(raw_node)
            raise base.ProviderError(
                f"alipay {method}: unsigned response ({node.get('code')} {node.get('sub_code')})",
                provider_code=str(node.get("sub_code") or node.get("code") or ""),
            )
        if not base.rsa_verify(self._alipay_key, raw_node.encode("utf-8"), signature):
            logger.warning("alipay %s: response signature does not verify", method)
            raise base.ProviderError(f"alipay {method}: response signature does not verify")
        return _loads_object(raw_node)

    def query(self, *, out_trade_no: str) -> base.QueryResult:
        """alipay.trade.query. An unknown trade (ACQ.TRADE_NOT_EXIST: the buyer has not
        opened the payment yet) is `pending` with amount None."""
        node = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        code, sub_code = str(node.get("code", "")), str(node.get("sub_code", ""))
        if code == "10000":
            status = TRADE_STATUS.get(str(node.get("trade_status")))
            if status is None:
                raise base.ProviderError(
                    f"alipay query: unknown trade_status {node.get('trade_status')}"
                )
            try:
                amount = base.parse_yuan(node.get("total_amount"))
            except ValueError as exc:
                raise base.ProviderError(f"alipay query: {exc}") from exc
            return base.QueryResult(
                status=status, amount=amount, trade_no=str(node.get("trade_no", "")), raw=node
            )
        if sub_code == "ACQ.TRADE_NOT_EXIST":
            return base.QueryResult(status="pending", amount=None, raw=node)
        raise base.ProviderError(f"alipay query: {code} {sub_code}", provider_code=sub_code or code)

    def refund_request(self, request: base.RefundRequest) -> base.RefundResult:
        """alipay.trade.refund with `out_request_no = out_refund_no` (which the refund
        notification reports back as `out_biz_no`). Alipay refunds synchronously, so
        code 10000 is `succeeded` (also when repeated: `fund_change` is then "N");
        a system error raises ProviderError (retry with the same out_refund_no); any
        other business error is `failed`. `refund_id` is `out_refund_no`: Alipay has no
        refund id of its own. `total` is not sent (Alipay knows it)."""
        out_refund_no = request.out_refund_no
        biz = {
            "out_trade_no": request.out_trade_no,
            "out_request_no": out_refund_no,
            "refund_amount": base.format_yuan(request.amount),
        }
        if request.reason:
            biz["refund_reason"] = request.reason
        node = self._call("alipay.trade.refund", biz)
        code, sub_code = str(node.get("code", "")), str(node.get("sub_code", ""))
        if code == "10000":
            return base.RefundResult(status="succeeded", refund_id=out_refund_no, raw=node)
        if code in _RETRYABLE or sub_code in _RETRYABLE:
            raise base.ProviderError(
                f"alipay refund: {code} {sub_code}", provider_code=sub_code or code
            )
        logger.warning("alipay refund %s refused: %s %s", out_refund_no, code, sub_code)
        return base.RefundResult(status="failed", refund_id=out_refund_no, raw=node)

    # ---------------------------------------------------------------- answers

    def success_response(self) -> base.HttpAnswer:
        return 200, "text/plain; charset=utf-8", b"success"

    def failure_response(self, code: str, message: str) -> base.HttpAnswer:
        # Alipay only looks for the literal "success"; the code stays in our logs.
        return 400, "text/plain; charset=utf-8", b"failure"


# --------------------------------------------------------------------------- helpers


def _encode_signed(params: Mapping[str, str]) -> str:
    """URL-encode sorted parameters with `sign` last (the layout Alipay's SDKs produce)."""
    items = sorted((k, v) for k, v in params.items() if k != "sign")
    return urlencode([*items, ("sign", params["sign"])])


def _parse_form(body: bytes) -> dict[str, str]:
    try:
        # Percent-encoded ASCII in practice; raw UTF-8 is accepted as browsers tolerate it.
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise base.NotificationError("malformed", "body is not a form") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        # A repeated key would make "the" value ambiguous between verifier and reader.
        if key in form:
            raise base.NotificationError("malformed", f"repeated field {key}")
        form[key] = value
    if not form:
        raise base.NotificationError("malformed", "empty body")
    return form


def _kind_and_status(form: Mapping[str, str]) -> tuple[str, str]:
    trade_status = form["trade_status"]
    if any(form.get(f) for f in _REFUND_FIELDS):
        # TRADE_CLOSED here is a full refund, TRADE_SUCCESS with refund_fee a partial one.
        if trade_status == "TRADE_CLOSED" or (
            trade_status == "TRADE_SUCCESS" and form.get("refund_fee")
        ):
            return "refund", "refunded"
        return "refund", TRADE_STATUS[trade_status]
    return "payment", TRADE_STATUS[trade_status]


def _parse_time(value: str | None) -> datetime | None:
    """Alipay times are China time "YYYY-MM-DD HH:MM:SS" (gmt_refund adds milliseconds)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=base.CHINA_TZ)
    except ValueError:
        return None


def _loads_object(raw: str) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise base.ProviderError("alipay: response node is not an object")
    return value


_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def raw_json_members(text: str) -> dict[str, str]:
    """Map each top-level member of the JSON object `text` to its exact source text.

    Alipay signs the response node as the bytes it sent, so the node must not be
    re-serialised (key order, spacing and escapes would change). The scan uses the
    JSON decoder for every token, so braces and quotes inside strings are handled.
    Raises ValueError for anything but a JSON object.
    """
    try:
        idx = _WS.match(text, 0).end()  # type: ignore[union-attr]
        if text[idx] != "{":
            raise ValueError("not a JSON object")
        idx = _WS.match(text, idx + 1).end()  # type: ignore[union-attr]
        members: dict[str, str] = {}
        if text[idx] == "}":
            return members
        while True:
            key, idx = _DECODER.raw_decode(text, idx)
            if not isinstance(key, str):
                raise ValueError("object key is not a string")
            idx = _WS.match(text, idx).end()  # type: ignore[union-attr]
            if text[idx] != ":":
                raise ValueError("expected ':'")
            start = _WS.match(text, idx + 1).end()  # type: ignore[union-attr]
            _, end = _DECODER.raw_decode(text, start)
            members[key] = text[start:end]
            idx = _WS.match(text, end).end()  # type: ignore[union-attr]
            if text[idx] == ",":
                idx = _WS.match(text, idx + 1).end()  # type: ignore[union-attr]
                continue
            if text[idx] == "}":
                if text[idx + 1 :].strip(" \t\n\r"):
                    raise ValueError("trailing data")
                return members
            raise ValueError("expected ',' or '}'")
    except IndexError as exc:
        raise ValueError("truncated JSON") from exc
