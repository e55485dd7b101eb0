"""WeChat Pay API v3 (direct merchant, platform public key mode) as a `Provider`.

Owns: the merchant `Authorization: WECHATPAY2-SHA256-RSA2048 ...` header on outbound
calls, verification of WeChat's signed responses and notifications with the platform
public key, AES-256-GCM decryption of notification resources with the APIv3 key, and
fen <-> yuan at the boundary. Calls: Native / JSAPI prepay, query by out_trade_no,
domestic refund.

Unlike the official SDKs, notifications older or newer than five minutes are refused
and an unknown `Wechatpay-Serial` is refused rather than looked up over the network.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import base

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.mch.weixin.qq.com"
AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
TOLERANCE_SECONDS = 300
#: WeChat refuses descriptions longer than 127 characters.
MAX_DESCRIPTION = 127

#: trade_state -> normalised status.
TRADE_STATE = {
    "SUCCESS": "succeeded",
    # REFUND: paid, then a refund was started; the payment as such is over.
    "REFUND": "refunded",
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    # PAYERROR (e.g. the bank declined) does not close the order: the buyer may pay it
    # again, so it stays pending until it is closed or our order expires.
    "PAYERROR": "pending",
    "CLOSED": "closed",
    "REVOKED": "closed",
}
REFUND_EVENTS = {
    "REFUND.SUCCESS": "refunded",
    "REFUND.ABNORMAL": "refund_failed",
    "REFUND.CLOSED": "refund_failed",
}
REFUND_STATUS = {
    "SUCCESS": "succeeded",
    "PROCESSING": "pending",
    "CLOSED": "failed",
    "ABNORMAL": "failed",
}
#: Error codes after which the outcome is unknown and the same call may be repeated.
_RETRYABLE = {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "SYSTEMERROR", "BIZERR_NEED_RETRY"}


@dataclass(frozen=True)
class WechatConfig:
    """WeChat Pay settings. Keys are PEM text; `apiv3_key` is 32 ASCII characters.
    `public_base_url` builds the refund notify URL (refund() has no notify_url param)."""

    mch_id: str
    app_id: str
    apiv3_key: str
    private_key: str
    cert_serial: str
    platform_public_key: str
    platform_public_key_id: str
    api_base: str = DEFAULT_API_BASE
    public_base_url: str = "http://127.0.0.1:8000"
    timeout: float = 10.0


_REQUIRED = (
    ("mch_id", "WECHATPAY_MCH_ID"),
    ("app_id", "WECHATPAY_APP_ID"),
    ("apiv3_key", "WECHATPAY_APIV3_KEY"),
    ("cert_serial", "WECHATPAY_CERT_SERIAL"),
    ("platform_public_key_id", "WECHATPAY_PLATFORM_PUBLIC_KEY_ID"),
)


class WechatProvider(base.Provider):
    """WeChat Pay v3.

    `start()` calls Native prepay and returns `{"code_url"}` (a QR code for a browser or
    another phone). When the request carries `payer_openid` (the buyer is inside WeChat)
    it calls JSAPI prepay instead and returns `{"jsapi": {appId, timeStamp, nonceStr,
    package, signType, paySign}}` for `WeixinJSBridge`/`wx.requestPayment`, with the
    prepay_id as `provider_reference`. Only one is called because WeChat binds an
    out_trade_no to the trade type of its first prepay.
    """

    name: ClassVar[str] = "wechat"

    def __init__(self, config: WechatConfig, *, clock: Callable[[], float] = time.time) -> None:
        for attr, setting_name in _REQUIRED:
            if not getattr(config, attr):
                raise base.ProviderUnavailable(f"wechat is not configured: {setting_name} is empty")
        if len(config.apiv3_key.encode()) != 32:
            raise base.ProviderUnavailable("wechat: WECHATPAY_APIV3_KEY must be 32 bytes")
        self._private_key = base.checked_key(
            base.load_private_key, config.private_key, self.name, "WECHATPAY_PRIVATE_KEY_FILE"
        )
        self._platform_key = base.checked_key(
            base.load_public_key,
            config.platform_public_key,
            self.name,
            "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE",
        )
        self.config = config
        self._aesgcm = AESGCM(config.apiv3_key.encode())
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Any) -> WechatProvider:
        values: dict[str, str] = {}
        for attr, setting_name in _REQUIRED:
            value = base.setting(settings, setting_name)
            if not value:
                raise base.ProviderUnavailable(
                    f"wechat is not configured: {setting_name} is not set"
                )
            values[attr] = value
        return cls(
            WechatConfig(
                **values,
                private_key=base.read_key_file(settings, "WECHATPAY_PRIVATE_KEY_FILE", cls.name),
                platform_public_key=base.read_key_file(
                    settings, "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE", cls.name
                ),
                api_base=base.setting(settings, "WECHATPAY_API_BASE") or DEFAULT_API_BASE,
                public_base_url=(
                    base.setting(settings, "PUBLIC_BASE_URL") or WechatConfig.public_base_url
                ),
            )
        )

    # ---------------------------------------------------------------- outbound

    def authorization(self, method: str, url_path: str, body: bytes, *, nonce: str = "") -> str:
        """The merchant Authorization header for a request to `url_path` (path + query)."""
        nonce = nonce or secrets.token_hex(16).upper()
        timestamp = str(int(self._clock()))
        message = f"{method}\n{url_path}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"
        signature = base.rsa_sign(self._private_key, message)
        return (
            f'{AUTH_SCHEME} mchid="{self.config.mch_id}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{timestamp}",serial_no="{self.config.cert_serial}"'
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Send a signed request; return (status, parsed JSON body) for any HTTP status.

        Raises ProviderError on network errors, timeouts, a bad response signature or a
        body that is not JSON.
        """
        api_base = self.config.api_base.rstrip("/")
        # The signature covers the path as the server sees it, prefix of api_base included.
        url_path = urlsplit(api_base).path + path + ("?" + urlencode(query) if query else "")
        body = (
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            if payload is not None
            else b""
        )
        headers = {
            "Authorization": self.authorization(method, url_path, body),
            "Accept": "application/json",
            "User-Agent": "farmgate-payments",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        url = api_base + path + ("?" + urlencode(query) if query else "")
        try:
            response = httpx.request(
                method,
                url,
                content=body or None,
                headers=headers,
                timeout=httpx.Timeout(self.config.timeout),
            )
        except httpx.HTTPError as exc:
            logger.warning("wechat %s %s: %s", method, path, type(exc).__name__)
            raise base.ProviderError(f"wechat {method} {path}: {type(exc).__name__}") from exc
        self._verify_response(response, path)
        if not response.content:
            return response.status_code, {}
        try:
            data = response.json()
        except ValueError as exc:
            raise base.ProviderError(
                f"wechat {path}: HTTP {response.status_code}, body is not JSON"
            ) from exc
        if not isinstance(data, dict):
            raise base.ProviderError(f"wechat {path}: body is not a JSON object")
        return response.status_code, data

    def _verify_response(self, response: httpx.Response, path: str) -> None:
        """Check WeChat's signature on a response. A success (2xx) must be signed: an
        unsigned "paid" or "refunded" could come from anyone between us and WeChat.
        Some gateway errors come unsigned; those are never turned into a success."""
        signature = response.headers.get("Wechatpay-Signature")
        if signature is None:
            if response.is_success:
                logger.warning("wechat %s: unsigned success answer refused", path)
                raise base.ProviderError(f"wechat {path}: the success answer is not signed")
            return
        serial = response.headers.get("Wechatpay-Serial", "")
        timestamp = response.headers.get("Wechatpay-Timestamp", "")
        nonce = response.headers.get("Wechatpay-Nonce", "")
        message = f"{timestamp}\n{nonce}\n".encode() + response.content + b"\n"
        if serial != self.config.platform_public_key_id or not base.rsa_verify(
            self._platform_key, message, signature
        ):
            logger.warning("wechat %s: response signature does not verify", path)
            raise base.ProviderError(f"wechat {path}: response signature does not verify")

    @staticmethod
    def _error(what: str, status: int, data: Mapping[str, Any]) -> base.ProviderError:
        code = str(data.get("code", ""))
        return base.ProviderError(
            f"wechat {what}: HTTP {status} {code} {data.get('message', '')}".rstrip(),
            provider_code=code,
        )

    # ---------------------------------------------------------------- start

    def start(self, request: base.PaymentRequest) -> base.StartResult:
        """Native prepay (or JSAPI prepay with `payer_openid`); see the class docstring."""
        payload: dict[str, Any] = {
            "appid": self.config.app_id,
            "mchid": self.config.mch_id,
            "description": request.subject[:MAX_DESCRIPTION],
            "out_trade_no": request.out_trade_no,
            "notify_url": request.notify_url,
            "amount": {"total": base.to_fen(request.amount), "currency": "CNY"},
        }
        if request.expires_at is not None:
            payload["time_expire"] = (
                base.as_aware(request.expires_at)
                .astimezone(base.CHINA_TZ)
                .isoformat(timespec="seconds")
            )
        if request.client_ip:
            payload["scene_info"] = {"payer_client_ip": request.client_ip}

        if request.payer_openid:
            payload["payer"] = {"openid": request.payer_openid}
            status, data = self._request("POST", "/v3/pay/transactions/jsapi", payload=payload)
            prepay_id = data.get("prepay_id")
            if status != 200 or not isinstance(prepay_id, str) or not prepay_id:
                raise self._error("jsapi prepay", status, data)
            return base.StartResult(
                client_payload={"jsapi": self.jsapi_params(prepay_id)},
                provider_reference=prepay_id,
            )

        status, data = self._request("POST", "/v3/pay/transactions/native", payload=payload)
        code_url = data.get("code_url")
        if status != 200 or not isinstance(code_url, str) or not code_url:
            raise self._error("native prepay", status, data)
        return base.StartResult(client_payload={"code_url": code_url})

    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        """The parameters for the JSAPI payment call, signed with the merchant key over
        `appId\\ntimeStamp\\nnonceStr\\npackage\\n`."""
        params = {
            "appId": self.config.app_id,
            "timeStamp": str(int(self._clock())),
            "nonceStr": secrets.token_hex(16),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        message = "".join(
            f"{params[k]}\n" for k in ("appId", "timeStamp", "nonceStr", "package")
        ).encode()
        params["paySign"] = base.rsa_sign(self._private_key, message)
        return params

    # ---------------------------------------------------------------- notifications

    def parse_notification(
        self, *, headers: Mapping[str, str], body: bytes, content_type: str = ""
    ) -> base.Notification:
        """Verify and parse a v3 notification.

        Order of checks: signature headers, serial and RSA signature (`bad_signature`),
        timestamp within 5 minutes either way (`stale_timestamp`), JSON envelope
        (`malformed`), resource decryption (`undecryptable`), `mchid`/`appid`
        (`merchant_mismatch`), fields and amounts (`malformed`).
        """
        timestamp = base.header(headers, "Wechatpay-Timestamp") or ""
        nonce = base.header(headers, "Wechatpay-Nonce") or ""
        signature = base.header(headers, "Wechatpay-Signature") or ""
        serial = base.header(headers, "Wechatpay-Serial") or ""
        signature_type = base.header(headers, "Wechatpay-Signature-Type") or AUTH_SCHEME
        if not (timestamp and nonce and signature and serial):
            raise base.NotificationError("bad_signature", "missing signature headers")
        if signature_type != AUTH_SCHEME:
            raise base.NotificationError("bad_signature", f"unsupported {signature_type}")
        # An unknown serial is refused, not fetched: we hold exactly one platform key.
        if serial != self.config.platform_public_key_id:
            raise base.NotificationError("bad_signature", "unknown Wechatpay-Serial")
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        if not base.rsa_verify(self._platform_key, message, signature):
            logger.warning("wechat notification: bad signature")
            raise base.NotificationError("bad_signature", "signature does not verify")
        if not (timestamp.isascii() and timestamp.isdigit()):  # "²".isdigit() is True
            raise base.NotificationError("bad_signature", "Wechatpay-Timestamp is not a number")
        # After the signature, so stale_timestamp always means "authentic but old"; a
        # replay is refused even though deduplication on `id` would also catch it.
        if abs(self._clock() - int(timestamp)) > TOLERANCE_SECONDS:
            raise base.NotificationError("stale_timestamp", "Wechatpay-Timestamp too far from now")

        envelope = base.json_body(content_type, headers, body)
        event_id, event_type = envelope.get("id"), envelope.get("event_type")
        resource = envelope.get("resource")
        if not (isinstance(event_id, str) and event_id):
            raise base.NotificationError("malformed", "missing id")
        if not isinstance(resource, dict):
            raise base.NotificationError("malformed", "missing resource")
        data = self.decrypt_resource(resource)

        if data.get("mchid") != self.config.mch_id:
            raise base.NotificationError("merchant_mismatch", "mchid is not ours")
        # Refund resources carry no appid; transactions must carry ours.
        needs_appid = event_type == "TRANSACTION.SUCCESS" or "appid" in data
        if needs_appid and data.get("appid") != self.config.app_id:
            raise base.NotificationError("merchant_mismatch", "appid is not ours")

        out_trade_no = data.get("out_trade_no")
        if not (isinstance(out_trade_no, str) and out_trade_no):
            raise base.NotificationError("malformed", "missing out_trade_no")
        amount_block = data.get("amount")
        if not isinstance(amount_block, dict):
            raise base.NotificationError("malformed", "missing amount")

        refund_amount: Decimal | None = None
        out_refund_no = ""
        try:
            amount = base.from_fen(amount_block.get("total"))
            if event_type == "TRANSACTION.SUCCESS":
                kind = "payment"
                status = TRADE_STATE.get(str(data.get("trade_state")))
                if status is None:
                    raise base.NotificationError("malformed", "unknown trade_state")
            elif event_type in REFUND_EVENTS:
                kind, status = "refund", REFUND_EVENTS[event_type]
                refund_amount = base.from_fen(amount_block.get("refund"))
                out_refund_no = str(data.get("out_refund_no") or "")
                if not out_refund_no:
                    raise base.NotificationError("malformed", "missing out_refund_no")
            else:
                raise base.NotificationError("malformed", f"unknown event_type {event_type!r}")
        except ValueError as exc:
            raise base.NotificationError("malformed", str(exc)) from exc

        payload = {k: v for k, v in envelope.items() if k != "resource"}
        payload["resource"] = data
        return base.Notification(
            provider=self.name,
            event_id=event_id,
            kind=kind,
            out_trade_no=out_trade_no,
            trade_no=str(data.get("transaction_id") or ""),
            status=status,
            amount=amount,
            refund_amount=refund_amount,
            out_refund_no=out_refund_no,
            occurred_at=_parse_time(data.get("success_time") or envelope.get("create_time")),
            payload=payload,
        )

    def decrypt_resource(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """AES-256-GCM decrypt a notification `resource` into its JSON object."""
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise base.NotificationError("undecryptable", "unsupported algorithm")
        nonce, ciphertext = resource.get("nonce"), resource.get("ciphertext")
        associated = resource.get("associated_data") or ""
        if not (isinstance(nonce, str) and isinstance(ciphertext, str)):
            raise base.NotificationError("undecryptable", "missing nonce or ciphertext")
        if not isinstance(associated, str):
            raise base.NotificationError("undecryptable", "bad associated_data")
        try:
            plaintext = self._aesgcm.decrypt(
                nonce.encode(), base64.b64decode(ciphertext, validate=True), associated.encode()
            )
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise base.NotificationError("undecryptable", "resource does not decrypt") from exc
        return base.json_object(plaintext, "resource", code="undecryptable")

    # ---------------------------------------------------------------- query and refund

    def query(self, *, out_trade_no: str) -> base.QueryResult:
        """GET /v3/pay/transactions/out-trade-no/{no}?mchid=. ORDER_NOT_EXIST (the buyer
        has not opened the payment) is `pending` with amount None."""
        path = "/v3/pay/transactions/out-trade-no/" + quote(out_trade_no, safe="")
        status, data = self._request("GET", path, query={"mchid": self.config.mch_id})
        if status == 404 and data.get("code") == "ORDER_NOT_EXIST":
            return base.QueryResult(status="pending", amount=None, raw=data)
        if status != 200:
            raise self._error("query", status, data)
        if data.get("mchid") != self.config.mch_id or data.get("appid") != self.config.app_id:
            raise base.ProviderError("wechat query: answer is for another merchant")
        trade_state = TRADE_STATE.get(str(data.get("trade_state")))
        if trade_state is None:
            raise base.ProviderError(f"wechat query: unknown trade_state {data.get('trade_state')}")
        amount_block = data.get("amount")
        try:
            # NOTPAY answers may omit the amount block's payer fields but keep total.
            amount = (
                base.from_fen(amount_block.get("total")) if isinstance(amount_block, dict) else None
            )
        except ValueError as exc:
            raise base.ProviderError(f"wechat query: {exc}") from exc
        return base.QueryResult(
            status=trade_state,
            amount=amount,
            trade_no=str(data.get("transaction_id") or ""),
            raw=data,
        )

    def refund_request(self, request: base.RefundRequest) -> base.RefundResult:
        """POST /v3/refund/domestic/refunds. The refund's notification goes to our
        WeChat callback URL. SUCCESS -> succeeded, PROCESSING -> pending,
        CLOSED/ABNORMAL or a business error -> failed; system errors, rate limits and
        5xx raise ProviderError (repeat with the same out_refund_no)."""
        payload: dict[str, Any] = {
            "out_trade_no": request.out_trade_no,
            "out_refund_no": request.out_refund_no,
            "notify_url": base.callback_url(self.config.public_base_url, self.name),
            "amount": {
                "refund": base.to_fen(request.amount),
                "total": base.to_fen(request.total),
                "currency": "CNY",
            },
        }
        if request.reason:
            payload["reason"] = request.reason[:80]  # WeChat's limit
        status, data = self._request("POST", "/v3/refund/domestic/refunds", payload=payload)
        if status == 200:
            refund_status = REFUND_STATUS.get(str(data.get("status")))
            if refund_status is None:
                raise base.ProviderError(f"wechat refund: unknown status {data.get('status')}")
            return base.RefundResult(
                status=refund_status, refund_id=str(data.get("refund_id") or ""), raw=data
            )
        if status >= 500 or status == 429 or data.get("code") in _RETRYABLE:
            raise self._error("refund", status, data)
        logger.warning("wechat refund %s refused: %s", request.out_refund_no, data.get("code"))
        return base.RefundResult(status="failed", raw=data)

    # ---------------------------------------------------------------- answers

    def success_response(self) -> base.HttpAnswer:
        return 204, "", b""

    def failure_response(self, code: str, message: str) -> base.HttpAnswer:
        # WeChat only tells 2xx from the rest; 401 for every rejection keeps it simple.
        body = json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False).encode()
        return 401, "application/json", body


def _parse_time(value: Any) -> datetime | None:
    """RFC 3339 times such as 2018-06-08T10:34:56+08:00; None when unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return base.as_aware(datetime.fromisoformat(value))
    except ValueError:
        return None
