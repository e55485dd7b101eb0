"""WeChat Pay v3: notifications, prepay, query and refund against a fake API.

WeChat's side signs with `wechatpayv3.utils.rsa_sign` (the platform key) and encrypts
resources with `cryptography`'s AESGCM; what we send is verified here with the
merchant public key from the message layout in WeChat's documentation.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pytest_httpserver import HTTPServer
from wechatpayv3.utils import aes_decrypt, rsa_sign, rsa_verify
from werkzeug import Request, Response

from payments.providers import (
    NotificationError,
    PaymentRequest,
    ProviderError,
    ProviderUnavailable,
    WechatConfig,
    WechatProvider,
    get_provider,
)

from .conftest import KeyPair

MCH_ID = "1900000109"
APP_ID = "wxd678efh567hg6787"
APIV3_KEY = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"
PLATFORM_KEY_ID = "PUB_KEY_ID_0119000001092025010100000000000001"
CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture
def settings(
    tmp_path: Path, merchant_keys: KeyPair, provider_keys: KeyPair, httpserver: HTTPServer
) -> SimpleNamespace:
    merchant_private, _ = merchant_keys.write(tmp_path, "apiclient")
    _, platform_public = provider_keys.write(tmp_path, "platform")
    return SimpleNamespace(
        WECHATPAY_MCH_ID=MCH_ID,
        WECHATPAY_APP_ID=APP_ID,
        WECHATPAY_APIV3_KEY=APIV3_KEY,
        WECHATPAY_PRIVATE_KEY_FILE=str(merchant_private),
        WECHATPAY_CERT_SERIAL=CERT_SERIAL,
        WECHATPAY_PLATFORM_PUBLIC_KEY_FILE=str(platform_public),
        WECHATPAY_PLATFORM_PUBLIC_KEY_ID=PLATFORM_KEY_ID,
        WECHATPAY_API_BASE=httpserver.url_for("/").rstrip("/"),
        PUBLIC_BASE_URL="https://shop.example",
    )


@pytest.fixture
def provider(settings: SimpleNamespace) -> WechatProvider:
    provider = get_provider("wechat", settings)
    assert isinstance(provider, WechatProvider)
    return provider


def encrypt(data: dict | bytes, *, key: str = APIV3_KEY, aad: str = "transaction") -> dict:
    """WeChat's side: AEAD_AES_256_GCM with the APIv3 key, tag appended, base64."""
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat sends
    plaintext = data if isinstance(data, bytes) else json.dumps(data).encode()
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), plaintext, aad.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": aad,
        "original_type": "transaction",
        "nonce": nonce,
    }


def transaction(**overrides: Any) -> dict:
    data = {
        "mchid": MCH_ID,
        "appid": APP_ID,
        "out_trade_no": "FG20250101AB12",
        "transaction_id": "4200000000202501010000000001",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": "2025-01-01T10:00:04+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 8850, "payer_total": 8850, "currency": "CNY", "payer_currency": "CNY"},
    }
    data.update(overrides)
    return data


def refund_resource(**overrides: Any) -> dict:
    data = {
        "mchid": MCH_ID,
        "out_trade_no": "FG20250101AB12",
        "transaction_id": "4200000000202501010000000001",
        "out_refund_no": "RF20250102X1",
        "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS",
        "success_time": "2025-01-02T09:30:00+08:00",
        "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 8850, "refund": 1005, "payer_total": 8850, "payer_refund": 1005},
    }
    data.update(overrides)
    return data


def envelope(event_type: str, resource: dict, **overrides: Any) -> bytes:
    body = {
        "id": "EV-2018022511223320873",
        "create_time": "2025-01-01T10:00:05+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": resource,
    }
    body.update(overrides)
    return json.dumps(body, ensure_ascii=False).encode()


def signed_headers(
    body: bytes,
    *,
    key: KeyPair,
    timestamp: int | None = None,
    serial: str = PLATFORM_KEY_ID,
) -> dict[str, str]:
    """WeChat's side: sign "timestamp\\nnonce\\nbody\\n" with the platform key."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    message = f"{ts}\n{nonce}\n{body.decode()}\n"
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": rsa_sign(key.private_key, message),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def parse(provider: WechatProvider, body: bytes, headers: dict[str, str], ct="application/json"):
    return provider.parse_notification(headers=headers, body=body, content_type=ct)


def rejected(provider: WechatProvider, body: bytes, headers: dict[str, str], **kw: str) -> str:
    with pytest.raises(NotificationError) as excinfo:
        parse(provider, body, headers, **kw)
    return excinfo.value.code


# ------------------------------------------------------------------ notifications


def test_good_payment_notification(provider: WechatProvider, provider_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    notification = parse(provider, body, signed_headers(body, key=provider_keys))
    assert notification.provider == "wechat"
    assert notification.event_id == "EV-2018022511223320873"
    assert notification.kind == "payment"
    assert notification.status == "succeeded"
    assert notification.out_trade_no == "FG20250101AB12"
    assert notification.trade_no == "4200000000202501010000000001"
    assert notification.amount == Decimal("88.50")
    assert notification.refund_amount is None
    assert notification.occurred_at == datetime(2025, 1, 1, 2, 0, 4, tzinfo=UTC)
    assert notification.payload["resource"] == transaction()
    assert notification.payload["event_type"] == "TRANSACTION.SUCCESS"
    json.dumps(notification.payload)


def test_sdk_decrypts_what_the_tests_encrypt() -> None:
    # The encrypt() helper above agrees with the SDK's reading of the resource format.
    resource = encrypt(transaction())
    plain = aes_decrypt(
        resource["nonce"], resource["ciphertext"], resource["associated_data"], APIV3_KEY
    )
    assert json.loads(plain) == transaction()


@pytest.mark.parametrize(
    ("event_type", "refund_status", "status"),
    [
        ("REFUND.SUCCESS", "SUCCESS", "refunded"),
        ("REFUND.ABNORMAL", "ABNORMAL", "refund_failed"),
        ("REFUND.CLOSED", "CLOSED", "refund_failed"),
    ],
)
def test_refund_notifications(
    provider: WechatProvider, provider_keys: KeyPair, event_type, refund_status, status
) -> None:
    resource = encrypt(refund_resource(refund_status=refund_status), aad="refund")
    body = envelope(event_type, resource, id="EV-REFUND-1")
    notification = parse(provider, body, signed_headers(body, key=provider_keys))
    assert notification.kind == "refund"
    assert notification.status == status
    assert notification.amount == Decimal("88.50")
    assert notification.refund_amount == Decimal("10.05")
    assert notification.out_refund_no == "RF20250102X1"
    assert notification.event_id == "EV-REFUND-1"


def test_headers_are_case_insensitive(provider: WechatProvider, provider_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = {k.lower(): v for k, v in signed_headers(body, key=provider_keys).items()}
    headers["content-type"] = "application/json; charset=utf-8"
    notification = provider.parse_notification(headers=headers, body=body)
    assert notification.status == "succeeded"


def test_signature_type_defaults_when_absent(provider: WechatProvider, provider_keys) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys)
    del headers["Wechatpay-Signature-Type"]
    assert parse(provider, body, headers).status == "succeeded"
    headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
    assert rejected(provider, body, headers) == "bad_signature"


def test_forged_signature(provider: WechatProvider, provider_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys)
    for forged in ("", "not base64!", base64.b64encode(b"\0" * 256).decode()):
        assert rejected(provider, body, {**headers, "Wechatpay-Signature": forged}) == (
            "bad_signature"
        )


@pytest.mark.parametrize(
    "header", ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"]
)
def test_missing_header(provider: WechatProvider, provider_keys: KeyPair, header: str) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys)
    del headers[header]
    assert rejected(provider, body, headers) == "bad_signature"


def test_signed_with_another_key(provider: WechatProvider, intruder_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    assert rejected(provider, body, signed_headers(body, key=intruder_keys)) == "bad_signature"


def test_altered_body(provider: WechatProvider, provider_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys)
    altered = body.replace(b"EV-2018022511223320873", b"EV-2018022511223320874")
    assert rejected(provider, altered, headers) == "bad_signature"
    assert rejected(provider, body + b" ", headers) == "bad_signature"


def test_altered_nonce_or_timestamp(provider: WechatProvider, provider_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys)
    assert rejected(provider, body, {**headers, "Wechatpay-Nonce": "other"}) == "bad_signature"
    later = str(int(headers["Wechatpay-Timestamp"]) + 1)
    assert rejected(provider, body, {**headers, "Wechatpay-Timestamp": later}) == "bad_signature"


def test_wrong_serial(provider: WechatProvider, provider_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys, serial="PUB_KEY_ID_SOMEONE_ELSE")
    assert rejected(provider, body, headers) == "bad_signature"


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 3600])
def test_stale_and_future_timestamps(provider: WechatProvider, provider_keys, offset) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys, timestamp=int(time.time()) + offset)
    assert rejected(provider, body, headers) == "stale_timestamp"


@pytest.mark.parametrize("offset", [-290, 290])
def test_timestamps_within_tolerance(provider: WechatProvider, provider_keys, offset) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys, timestamp=int(time.time()) + offset)
    assert parse(provider, body, headers).status == "succeeded"


def test_timestamp_boundary_with_fixed_clock(settings, provider_keys: KeyPair) -> None:
    now = 1_760_000_000
    provider = WechatProvider(get_provider("wechat", settings).config, clock=lambda: float(now))
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    for offset in (-300, 300):
        headers = signed_headers(body, key=provider_keys, timestamp=now + offset)
        assert parse(provider, body, headers).status == "succeeded"
    headers = signed_headers(body, key=provider_keys, timestamp=now - 301)
    assert rejected(provider, body, headers) == "stale_timestamp"


def _tampered(resource: dict) -> dict:
    raw = bytearray(base64.b64decode(resource["ciphertext"]))
    raw[0] ^= 1
    return {**resource, "ciphertext": base64.b64encode(bytes(raw)).decode()}


@pytest.mark.parametrize(
    "make_resource",
    [
        lambda: encrypt(transaction(), key="0" * 32),
        lambda: _tampered(encrypt(transaction())),
        lambda: {**encrypt(transaction()), "associated_data": "refund"},
        lambda: {**encrypt(transaction()), "nonce": "000000000000"},
        lambda: {**encrypt(transaction()), "ciphertext": "%%% not base64 %%%"},
        lambda: {**encrypt(transaction()), "algorithm": "AEAD_SM4_GCM"},
        lambda: {**encrypt(transaction()), "nonce": None},
        lambda: encrypt(b"not json"),
        lambda: encrypt(b"[1, 2]"),
    ],
    ids=[
        "other-key", "tampered", "wrong-aad", "wrong-nonce", "not-base64", "algorithm",
        "no-nonce", "plaintext-not-json", "plaintext-not-object",
    ],
)  # fmt: skip
def test_undecryptable_resource(provider, provider_keys, make_resource: Callable) -> None:
    body = envelope("TRANSACTION.SUCCESS", make_resource())
    assert rejected(provider, body, signed_headers(body, key=provider_keys)) == "undecryptable"


@pytest.mark.parametrize(
    ("event_type", "resource"),
    [
        ("TRANSACTION.SUCCESS", transaction(mchid="1900000999")),
        ("TRANSACTION.SUCCESS", transaction(appid="wx0000000000000000")),
        ("TRANSACTION.SUCCESS", {k: v for k, v in transaction().items() if k != "appid"}),
        ("REFUND.SUCCESS", refund_resource(mchid="1900000999")),
        ("REFUND.SUCCESS", refund_resource(appid="wx0000000000000000")),
    ],
)
def test_wrong_merchant(provider, provider_keys, event_type: str, resource: dict) -> None:
    body = envelope(event_type, encrypt(resource))
    assert rejected(provider, body, signed_headers(body, key=provider_keys)) == (
        "merchant_mismatch"
    )


def test_refund_resource_without_appid_is_fine(provider, provider_keys) -> None:
    assert "appid" not in refund_resource()
    body = envelope("REFUND.SUCCESS", encrypt(refund_resource()))
    assert parse(provider, body, signed_headers(body, key=provider_keys)).kind == "refund"


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b'{"id": "EV-1", ',
        b"[]",
        b'{"id": "EV-1", "event_type": "TRANSACTION.SUCCESS"}',
        envelope("TRANSACTION.SUCCESS", encrypt(transaction()), id=""),
        envelope("TRANSACTION.CLOSED", encrypt(transaction())),
        envelope("TRANSACTION.SUCCESS", encrypt(transaction(trade_state="WEIRD"))),
        envelope("TRANSACTION.SUCCESS", encrypt(transaction(amount={"total": 88.5}))),
        envelope("TRANSACTION.SUCCESS", encrypt(transaction(amount={"total": "8850"}))),
        envelope("TRANSACTION.SUCCESS", encrypt(transaction(amount={"total": True}))),
        envelope("TRANSACTION.SUCCESS", encrypt(transaction(amount=None))),
        envelope("TRANSACTION.SUCCESS", encrypt(transaction(out_trade_no=None))),
        envelope("REFUND.SUCCESS", encrypt(refund_resource(out_refund_no=""))),
        envelope("REFUND.SUCCESS", encrypt(refund_resource(amount={"total": 8850}))),
    ],
)
def test_malformed_bodies(provider: WechatProvider, provider_keys, body: bytes) -> None:
    assert rejected(provider, body, signed_headers(body, key=provider_keys)) == "malformed"


def test_non_json_content_type(provider: WechatProvider, provider_keys: KeyPair) -> None:
    body = envelope("TRANSACTION.SUCCESS", encrypt(transaction()))
    headers = signed_headers(body, key=provider_keys)
    assert rejected(provider, body, headers, ct="application/x-www-form-urlencoded") == (
        "malformed"
    )


@pytest.mark.parametrize(
    ("fen", "yuan"), [(1, "0.01"), (10, "0.10"), (1999, "19.99"), (1234567891, "12345678.91")]
)
def test_amounts_to_the_fen(provider: WechatProvider, provider_keys, fen: int, yuan: str) -> None:
    resource = transaction(amount={"total": fen, "payer_total": fen, "currency": "CNY"})
    body = envelope("TRANSACTION.SUCCESS", encrypt(resource))
    amount = parse(provider, body, signed_headers(body, key=provider_keys)).amount
    assert amount == Decimal(yuan)
    assert str(amount) == yuan


def test_answers(provider: WechatProvider) -> None:
    assert provider.success_response() == (204, "", b"")
    status, content_type, body = provider.failure_response("stale_timestamp", "too old")
    assert (status, content_type) == (401, "application/json")
    assert json.loads(body) == {"code": "FAIL", "message": "too old"}


# ------------------------------------------------------------------ outbound calls


class FakeWechat:
    """WeChat's API: records requests and answers, signing answers with the platform key."""

    def __init__(self, platform: KeyPair) -> None:
        self.platform = platform
        self.requests: list[dict[str, Any]] = []

    def answer(
        self,
        payload: dict | None,
        *,
        status: int = 200,
        signer: KeyPair | None = None,
        sign: bool = True,
        serial: str = PLATFORM_KEY_ID,
    ) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.full_path.rstrip("?"),
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                }
            )
            body = b"" if payload is None else json.dumps(payload).encode()
            headers = (
                signed_headers(body, key=signer or self.platform, serial=serial) if sign else {}
            )
            return Response(body, status=status, headers=headers, content_type="application/json")

        return handle


@pytest.fixture
def api(provider_keys: KeyPair) -> FakeWechat:
    return FakeWechat(provider_keys)


def assert_signed_by_merchant(recorded: dict[str, Any], merchant_keys: KeyPair) -> None:
    """Check the Authorization header the way WeChat documents it."""
    authorization = recorded["headers"]["Authorization"]
    scheme, _, params_text = authorization.partition(" ")
    assert scheme == "WECHATPAY2-SHA256-RSA2048"
    params = dict(re.findall(r'(\w+)="([^"]*)"', params_text))
    assert params["mchid"] == MCH_ID
    assert params["serial_no"] == CERT_SERIAL
    assert abs(int(params["timestamp"]) - time.time()) < 60
    message = (
        f"{recorded['method']}\n{recorded['path']}\n{params['timestamp']}\n"
        f"{params['nonce_str']}\n{recorded['body'].decode()}\n"
    )
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    merchant_keys.public_key.verify(
        base64.b64decode(params["signature"]), message.encode(), padding.PKCS1v15(),
        hashes.SHA256(),
    )  # fmt: skip


def payment_request(**overrides: Any) -> PaymentRequest:
    values = {
        "out_trade_no": "FG20250101AB12",
        "amount": Decimal("12.50"),
        "subject": "杂粮面粉 5 kg",
        "notify_url": "https://shop.example/api/v1/payments/callbacks/wechat/",
        "client_ip": "203.0.113.7",
        "expires_at": datetime(2025, 1, 1, 2, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return PaymentRequest(**values)


def test_start_native(provider, httpserver, api: FakeWechat, merchant_keys: KeyPair) -> None:
    httpserver.expect_request("/v3/pay/transactions/native", method="POST").respond_with_handler(
        api.answer({"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
    )
    result = provider.start(payment_request())
    assert result.client_payload == {"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}
    (recorded,) = api.requests
    assert_signed_by_merchant(recorded, merchant_keys)
    assert recorded["headers"]["Content-Type"] == "application/json"
    assert json.loads(recorded["body"]) == {
        "appid": APP_ID,
        "mchid": MCH_ID,
        "description": "杂粮面粉 5 kg",
        "out_trade_no": "FG20250101AB12",
        "notify_url": "https://shop.example/api/v1/payments/callbacks/wechat/",
        "amount": {"total": 1250, "currency": "CNY"},
        "time_expire": "2025-01-01T10:30:00+08:00",
        "scene_info": {"payer_client_ip": "203.0.113.7"},
    }


def test_start_jsapi(provider, httpserver, api: FakeWechat, merchant_keys: KeyPair) -> None:
    httpserver.expect_request("/v3/pay/transactions/jsapi", method="POST").respond_with_handler(
        api.answer({"prepay_id": "wx201410272009395522657a690389285100"})
    )
    result = provider.start(payment_request(payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"))
    (recorded,) = api.requests
    assert_signed_by_merchant(recorded, merchant_keys)
    assert json.loads(recorded["body"])["payer"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
    assert result.provider_reference == "wx201410272009395522657a690389285100"
    jsapi = result.client_payload["jsapi"]
    assert set(result.client_payload) == {"jsapi"}
    assert jsapi["appId"] == APP_ID
    assert jsapi["package"] == "prepay_id=wx201410272009395522657a690389285100"
    assert jsapi["signType"] == "RSA"
    # wechatpayv3's verifier splits its message the same way for three fields; the JSAPI
    # message has four, so fold appId and timeStamp into its "timestamp" argument.
    assert rsa_verify(
        f"{jsapi['appId']}\n{jsapi['timeStamp']}",
        jsapi["nonceStr"],
        jsapi["package"],
        jsapi["paySign"],
        merchant_keys.public_key,
    )


def test_unsigned_success_answers_are_refused(provider, httpserver, api) -> None:
    # Anyone between us and WeChat could forge an unsigned "SUCCESS" or "refunded".
    httpserver.expect_request("/v3/pay/transactions/native").respond_with_handler(
        api.answer({"code_url": "weixin://x"}, sign=False)
    )
    with pytest.raises(ProviderError, match="not signed"):
        provider.start(payment_request())
    httpserver.expect_request("/v3/pay/transactions/out-trade-no/FG1-abc").respond_with_handler(
        api.answer({"trade_state": "SUCCESS", "amount": {"total": 100}}, sign=False)
    )
    with pytest.raises(ProviderError, match="not signed"):
        provider.query(out_trade_no="FG1-abc")


@pytest.mark.parametrize(
    "kwargs",
    [{"signer": "intruder"}, {"serial": "PUB_KEY_ID_OTHER"}],
)
def test_start_with_badly_signed_answer(provider, httpserver, api, intruder_keys, kwargs) -> None:
    if kwargs.get("signer") == "intruder":
        kwargs = {"signer": intruder_keys}
    httpserver.expect_request("/v3/pay/transactions/native").respond_with_handler(
        api.answer({"code_url": "weixin://x"}, **kwargs)
    )
    with pytest.raises(ProviderError):
        provider.start(payment_request())


def test_start_error(provider, httpserver, api) -> None:
    httpserver.expect_request("/v3/pay/transactions/native").respond_with_handler(
        api.answer({"code": "PARAM_ERROR", "message": "参数错误"}, status=400)
    )
    with pytest.raises(ProviderError) as excinfo:
        provider.start(payment_request())
    assert excinfo.value.provider_code == "PARAM_ERROR"


def test_start_timeout(settings, silent_server_url: str) -> None:
    settings.WECHATPAY_API_BASE = silent_server_url
    config = get_provider("wechat", settings).config
    provider = WechatProvider(WechatConfig(**{**vars(config), "timeout": 0.2}))
    with pytest.raises(ProviderError) as excinfo:
        provider.start(payment_request())
    assert "Timeout" in excinfo.value.message
    with pytest.raises(ProviderError):
        provider.query(out_trade_no="FG20250101AB12")


def test_connection_refused(settings, closed_port_url: str) -> None:
    settings.WECHATPAY_API_BASE = closed_port_url
    with pytest.raises(ProviderError):
        get_provider("wechat", settings).query(out_trade_no="FG20250101AB12")


def test_api_base_with_path_prefix_is_signed(settings, httpserver, api, merchant_keys) -> None:
    settings.WECHATPAY_API_BASE = httpserver.url_for("/proxy/wechat/")
    httpserver.expect_request("/proxy/wechat/v3/pay/transactions/native").respond_with_handler(
        api.answer({"code_url": "weixin://x"})
    )
    get_provider("wechat", settings).start(payment_request())
    (recorded,) = api.requests
    assert recorded["path"] == "/proxy/wechat/v3/pay/transactions/native"
    assert_signed_by_merchant(recorded, merchant_keys)


QUERY_PATH = "/v3/pay/transactions/out-trade-no/FG20250101AB12"


@pytest.mark.parametrize(
    ("trade_state", "status"),
    [
        ("SUCCESS", "succeeded"),
        ("NOTPAY", "pending"),
        ("USERPAYING", "pending"),
        ("CLOSED", "closed"),
        ("REVOKED", "closed"),
        ("REFUND", "refunded"),
        ("PAYERROR", "pending"),
    ],
)
def test_query(provider, httpserver, api, merchant_keys, trade_state: str, status: str) -> None:
    httpserver.expect_request(
        QUERY_PATH, method="GET", query_string={"mchid": MCH_ID}
    ).respond_with_handler(api.answer(transaction(trade_state=trade_state)))
    result = provider.query(out_trade_no="FG20250101AB12")
    assert result.status == status
    assert result.amount == Decimal("88.50")
    assert result.trade_no == "4200000000202501010000000001"
    (recorded,) = api.requests
    assert recorded["path"] == f"{QUERY_PATH}?mchid={MCH_ID}"
    assert recorded["body"] == b""
    assert_signed_by_merchant(recorded, merchant_keys)


def test_query_unknown_order_is_pending(provider, httpserver, api) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_handler(
        api.answer({"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, status=404)
    )
    result = provider.query(out_trade_no="FG20250101AB12")
    assert (result.status, result.amount) == ("pending", None)


@pytest.mark.parametrize(
    "answer",
    [
        {"payload": transaction(mchid="1900000999")},
        {"payload": transaction(appid="wx0000000000000000")},
        {"payload": transaction(trade_state="WEIRD")},
        {"payload": transaction(amount={"total": 88.5})},
        {"payload": {"code": "SYSTEM_ERROR", "message": "系统错误"}, "status": 500},
        {"payload": {"code": "SIGN_ERROR", "message": "签名错误"}, "status": 401},
    ],
)
def test_query_failures(provider, httpserver, api, answer: dict) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_handler(
        api.answer(answer["payload"], status=answer.get("status", 200))
    )
    with pytest.raises(ProviderError):
        provider.query(out_trade_no="FG20250101AB12")


def test_query_non_json_answer(provider, httpserver) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_data("<html>bad gateway</html>", 502)
    with pytest.raises(ProviderError):
        provider.query(out_trade_no="FG20250101AB12")


REFUND_PATH = "/v3/refund/domestic/refunds"


@pytest.mark.parametrize(
    ("wechat_status", "status"),
    [("SUCCESS", "succeeded"), ("PROCESSING", "pending"), ("ABNORMAL", "failed")],
)
def test_refund(provider, httpserver, api, merchant_keys, wechat_status, status) -> None:
    httpserver.expect_request(REFUND_PATH, method="POST").respond_with_handler(
        api.answer(
            {
                "refund_id": "50000000382019052709732678859",
                "out_refund_no": "RF20250102X1",
                "status": wechat_status,
                "amount": {"total": 8850, "refund": 1005},
            }
        )
    )
    result = provider.refund(
        out_trade_no="FG20250101AB12",
        out_refund_no="RF20250102X1",
        amount=Decimal("10.05"),
        total=Decimal("88.5"),
        reason="buyer cancelled",
    )
    assert result.status == status
    assert result.refund_id == "50000000382019052709732678859"
    (recorded,) = api.requests
    assert_signed_by_merchant(recorded, merchant_keys)
    assert json.loads(recorded["body"]) == {
        "out_trade_no": "FG20250101AB12",
        "out_refund_no": "RF20250102X1",
        "reason": "buyer cancelled",
        "notify_url": "https://shop.example/api/v1/payments/callbacks/wechat/",
        "amount": {"refund": 1005, "total": 8850, "currency": "CNY"},
    }


def test_refund_refused(provider, httpserver, api) -> None:
    httpserver.expect_request(REFUND_PATH).respond_with_handler(
        api.answer({"code": "NOT_ENOUGH", "message": "基本账户余额不足"}, status=403)
    )
    result = provider.refund(
        out_trade_no="FG1", out_refund_no="RF1", amount=Decimal("1.00"), total=Decimal("1.00")
    )
    assert result.status == "failed"
    assert result.raw["code"] == "NOT_ENOUGH"


@pytest.mark.parametrize(
    ("status", "code"), [(500, "SYSTEM_ERROR"), (429, "FREQUENCY_LIMITED"), (503, "OTHER")]
)
def test_refund_unknown_outcome_raises(provider, httpserver, api, status: int, code: str) -> None:
    httpserver.expect_request(REFUND_PATH).respond_with_handler(
        api.answer({"code": code, "message": "try again"}, status=status)
    )
    with pytest.raises(ProviderError):
        provider.refund(
            out_trade_no="FG1", out_refund_no="RF1", amount=Decimal("1.00"), total=Decimal("1.00")
        )


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    "name",
    [
        "WECHATPAY_MCH_ID",
        "WECHATPAY_APP_ID",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_PRIVATE_KEY_FILE",
        "WECHATPAY_CERT_SERIAL",
        "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE",
        "WECHATPAY_PLATFORM_PUBLIC_KEY_ID",
    ],
)
def test_every_required_setting(settings: SimpleNamespace, name: str) -> None:
    delattr(settings, name)
    with pytest.raises(ProviderUnavailable) as excinfo:
        get_provider("wechat", settings)
    assert name in excinfo.value.message


def test_apiv3_key_must_be_32_bytes(settings: SimpleNamespace) -> None:
    settings.WECHATPAY_APIV3_KEY = "short"
    with pytest.raises(ProviderUnavailable):
        get_provider("wechat", settings)


def test_default_api_base(settings: SimpleNamespace) -> None:
    settings.WECHATPAY_API_BASE = ""
    assert get_provider("wechat", settings).config.api_base == "https://api.mch.weixin.qq.com"
