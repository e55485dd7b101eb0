"""Alipay: notification verification, order strings, query and refund against a fake gateway.

The Alipay side is python-alipay-sdk holding *Alipay's* private key and *our* public key:
it signs notifications and gateway responses, and verifies what we send. Notification
signing strings are built here from the PAYMENTS.md text, because the SDK's own
`verify` keeps empty values (the spec drops them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from alipay import AliPay
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from payments.providers import (
    AlipayConfig,
    AlipayProvider,
    NotificationError,
    PaymentRequest,
    ProviderError,
    ProviderUnavailable,
    get_provider,
)
from payments.providers.alipay import raw_json_members
from payments.providers.base import CHINA_TZ

from .conftest import KeyPair

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture
def key_files(tmp_path: Path, merchant_keys: KeyPair, provider_keys: KeyPair) -> dict[str, str]:
    merchant_private, _ = merchant_keys.write(tmp_path, "app")
    _, alipay_public = provider_keys.write(tmp_path, "alipay")
    return {
        "ALIPAY_APP_PRIVATE_KEY_FILE": str(merchant_private),
        "ALIPAY_PUBLIC_KEY_FILE": str(alipay_public),
    }


@pytest.fixture
def settings(key_files: dict[str, str], httpserver: HTTPServer) -> SimpleNamespace:
    return SimpleNamespace(
        ALIPAY_APP_ID=APP_ID,
        ALIPAY_SELLER_ID="",
        ALIPAY_GATEWAY_URL=httpserver.url_for("/gateway.do"),
        **key_files,
    )


@pytest.fixture
def provider(settings: SimpleNamespace) -> AlipayProvider:
    provider = get_provider("alipay", settings)
    assert isinstance(provider, AlipayProvider)
    return provider


@pytest.fixture
def alipay_side(provider_keys: KeyPair, merchant_keys: KeyPair) -> AliPay:
    """Alipay's servers: sign with Alipay's key, verify with the merchant's public key."""
    return AliPay(
        appid=APP_ID,
        app_private_key_string=provider_keys.private_pem,
        alipay_public_key_string=merchant_keys.public_pem,
    )


@pytest.fixture
def intruder(intruder_keys: KeyPair, merchant_keys: KeyPair) -> AliPay:
    return AliPay(
        appid=APP_ID,
        app_private_key_string=intruder_keys.private_pem,
        alipay_public_key_string=merchant_keys.public_pem,
    )


def notification_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "notify_time": "2025-01-01 10:00:05",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "app_id": APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": "2025010122001400000000000001",
        "out_trade_no": "FG20250101AB12",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "88.50",
        "receipt_amount": "88.50",
        "buyer_id": "2088102122524333",
        "seller_id": SELLER_ID,
        "gmt_payment": "2025-01-01 10:00:04",
        "subject": "杂粮面粉 5 kg",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def spec_string(fields: dict[str, str]) -> str:
    """PAYMENTS.md: drop sign, sign_type and empty values, sort, join k=v with &."""
    return "&".join(
        f"{k}={v}" for k, v in sorted(fields.items()) if k not in ("sign", "sign_type") and v
    )


def signed_body(fields: dict[str, str], signer: AliPay, string: str | None = None) -> bytes:
    signature = signer._sign(spec_string(fields) if string is None else string)
    return urlencode({**fields, "sign": signature}).encode()


def parse(provider: AlipayProvider, body: bytes, content_type: str = FORM):
    return provider.parse_notification(headers={}, body=body, content_type=content_type)


def rejected(provider: AlipayProvider, body: bytes, content_type: str = FORM) -> str:
    with pytest.raises(NotificationError) as excinfo:
        parse(provider, body, content_type)
    return excinfo.value.code


def request_params(request: Request) -> dict[str, str]:
    """Every parameter of a gateway request: query string plus form body."""
    params = dict(parse_qsl(request.query_string.decode(), keep_blank_values=True))
    params.update(parse_qsl(request.get_data().decode(), keep_blank_values=True))
    return params


def assert_signed_by_merchant(params: dict[str, str], alipay_side: AliPay) -> None:
    """Alipay's request rule: everything but sign (sign_type included), no empties."""
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    string = "&".join(f"{k}={v}" for k, v in sorted(unsigned.items()) if v)
    assert alipay_side._verify(string, params["sign"])


class FakeGateway:
    """Answers gateway calls with a signed response node and remembers the requests."""

    def __init__(self, alipay_side: AliPay) -> None:
        self.alipay_side = alipay_side
        self.requests: list[dict[str, str]] = []
        self.content_types: list[str] = []

    def answer(
        self, node_name: str, node: dict | str, *, signer: AliPay | None = None, sign: bool = True
    ) -> Callable[[Request], Response]:
        node_text = node if isinstance(node, str) else json.dumps(node, ensure_ascii=False)

        def handle(request: Request) -> Response:
            self.requests.append(request_params(request))
            self.content_types.append(request.headers.get("Content-Type", ""))
            text = f'{{"{node_name}": {node_text}'
            if sign:
                text += f',"sign":"{(signer or self.alipay_side)._sign(node_text)}"'
            text += "}"
            return Response(text.encode(), content_type="application/json;charset=utf-8")

        return handle


@pytest.fixture
def gateway(alipay_side: AliPay) -> FakeGateway:
    return FakeGateway(alipay_side)


# ------------------------------------------------------------------ notifications


def test_good_payment_notification(provider: AlipayProvider, alipay_side: AliPay) -> None:
    fields = notification_fields()
    notification = parse(provider, signed_body(fields, alipay_side))
    assert notification.provider == "alipay"
    assert notification.event_id == "ac05099524730693a8b330c5ecf72da9786:TRADE_SUCCESS"
    assert notification.kind == "payment"
    assert notification.status == "succeeded"
    assert notification.out_trade_no == "FG20250101AB12"
    assert notification.trade_no == "2025010122001400000000000001"
    assert notification.amount == Decimal("88.50")
    assert notification.refund_amount is None
    assert notification.occurred_at == datetime(2025, 1, 1, 2, 0, 4, tzinfo=UTC)
    assert notification.payload["subject"] == "杂粮面粉 5 kg"
    json.dumps(notification.payload)


def test_sdk_agrees_with_spec_string_when_nothing_is_empty(
    provider_keys: KeyPair, merchant_keys: KeyPair, alipay_side: AliPay
) -> None:
    # Our reading (spec_string) and the SDK's verify() coincide without empty values,
    # which is what makes the SDK an independent check of the signing string.
    fields = notification_fields()
    signature = alipay_side._sign(spec_string(fields))
    merchant_view = AliPay(
        appid=APP_ID,
        app_private_key_string=merchant_keys.private_pem,
        alipay_public_key_string=provider_keys.public_pem,
    )
    assert merchant_view.verify(dict(fields), signature)


@pytest.mark.parametrize(
    ("trade_status", "status"),
    [
        ("WAIT_BUYER_PAY", "pending"),
        ("TRADE_SUCCESS", "succeeded"),
        ("TRADE_FINISHED", "finished"),
        ("TRADE_CLOSED", "closed"),
    ],
)
def test_trade_status_mapping(
    provider: AlipayProvider, alipay_side: AliPay, trade_status: str, status: str
) -> None:
    body = signed_body(notification_fields(trade_status=trade_status), alipay_side)
    notification = parse(provider, body)
    assert (notification.kind, notification.status) == ("payment", status)
    assert notification.event_id.endswith(":" + trade_status)


def test_partial_refund_notification(provider: AlipayProvider, alipay_side: AliPay) -> None:
    fields = notification_fields(
        notify_id="refund-notify-1",
        refund_fee="10.05",
        gmt_refund="2025-01-02 09:30:00.120",
        out_biz_no="RF20250102X1",
    )
    notification = parse(provider, signed_body(fields, alipay_side))
    assert notification.kind == "refund"
    assert notification.status == "refunded"
    assert notification.amount == Decimal("88.50")
    assert notification.refund_amount == Decimal("10.05")
    assert notification.out_refund_no == "RF20250102X1"
    assert notification.occurred_at == datetime(2025, 1, 2, 9, 30, 0, 120000, tzinfo=CHINA_TZ)


def test_full_refund_closes_the_trade(provider: AlipayProvider, alipay_side: AliPay) -> None:
    fields = notification_fields(
        trade_status="TRADE_CLOSED",
        refund_fee="88.50",
        gmt_refund="2025-01-02 09:30:00",
        out_biz_no="RF2",
    )
    notification = parse(provider, signed_body(fields, alipay_side))
    assert (notification.kind, notification.status) == ("refund", "refunded")
    assert notification.refund_amount == Decimal("88.50")


def test_empty_values_are_dropped_before_verifying(
    provider: AlipayProvider, alipay_side: AliPay
) -> None:
    fields = notification_fields(body="", fund_bill_list="", passback_params="")
    notification = parse(provider, signed_body(fields, alipay_side))
    assert notification.status == "succeeded"
    assert notification.payload["body"] == ""


def test_signature_over_empty_values_is_refused(
    provider: AlipayProvider, alipay_side: AliPay
) -> None:
    # What the SDK's reading would sign: empty values kept. Not the spec, so refused.
    fields = notification_fields(body="")
    sdk_string = "&".join(
        f"{k}={v}" for k, v in sorted(fields.items()) if k not in ("sign", "sign_type")
    )
    assert rejected(provider, signed_body(fields, alipay_side, sdk_string)) == "bad_signature"


def test_sign_type_is_not_signed(provider: AlipayProvider, alipay_side: AliPay) -> None:
    fields = notification_fields()
    without = {k: v for k, v in fields.items() if k != "sign_type"}
    # signed without sign_type, delivered with it (and vice versa): both verify
    assert parse(provider, signed_body(without, alipay_side, spec_string(fields))).amount
    assert parse(provider, signed_body(without, alipay_side)).amount


def test_forged_signature(provider: AlipayProvider) -> None:
    fields = notification_fields()
    for sign in ("", "bm90IGEgc2lnbmF0dXJl", "not base64 at all!", "A" * 344):
        body = urlencode({**fields, "sign": sign}).encode()
        assert rejected(provider, body) == "bad_signature"
    assert rejected(provider, urlencode(fields).encode()) == "bad_signature"


def test_signed_with_another_key(provider: AlipayProvider, intruder: AliPay) -> None:
    assert rejected(provider, signed_body(notification_fields(), intruder)) == "bad_signature"


@pytest.mark.parametrize(
    ("field", "value"),
    [("total_amount", "0.01"), ("out_trade_no", "FG_OTHER"), ("trade_status", "TRADE_FINISHED")],
)
def test_altered_field(provider: AlipayProvider, alipay_side: AliPay, field: str, value: str):
    fields = notification_fields()
    signature = alipay_side._sign(spec_string(fields))
    body = urlencode({**fields, field: value, "sign": signature}).encode()
    assert rejected(provider, body) == "bad_signature"


def test_added_field(provider: AlipayProvider, alipay_side: AliPay) -> None:
    fields = notification_fields()
    signature = alipay_side._sign(spec_string(fields))
    body = urlencode({**fields, "refund_fee": "88.50", "sign": signature}).encode()
    assert rejected(provider, body) == "bad_signature"


def test_sign_type_rsa1_is_refused(provider: AlipayProvider, alipay_side: AliPay) -> None:
    body = signed_body(notification_fields(sign_type="RSA"), alipay_side)
    assert rejected(provider, body) == "bad_signature"


def test_wrong_app_id(provider: AlipayProvider, alipay_side: AliPay) -> None:
    body = signed_body(notification_fields(app_id="2021999999999999"), alipay_side)
    assert rejected(provider, body) == "merchant_mismatch"


def test_seller_id_is_checked_when_configured(
    settings: SimpleNamespace, alipay_side: AliPay
) -> None:
    body = signed_body(notification_fields(seller_id="2088999999999999"), alipay_side)
    unchecked = get_provider("alipay", settings)
    assert parse(unchecked, body).status == "succeeded"
    settings.ALIPAY_SELLER_ID = SELLER_ID
    checked = get_provider("alipay", settings)
    assert rejected(checked, body) == "merchant_mismatch"
    assert parse(checked, signed_body(notification_fields(), alipay_side)).amount
    missing = signed_body(notification_fields(seller_id=None), alipay_side)
    assert rejected(checked, missing) == "merchant_mismatch"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=GBK",
    ],
)
def test_non_form_content_type(
    provider: AlipayProvider, alipay_side: AliPay, content_type: str
) -> None:
    body = signed_body(notification_fields(), alipay_side)
    assert rejected(provider, body, content_type) == "malformed"


def test_content_type_from_headers(provider: AlipayProvider, alipay_side: AliPay) -> None:
    body = signed_body(notification_fields(), alipay_side)
    ok = provider.parse_notification(headers={"content-type": FORM}, body=body)
    assert ok.status == "succeeded"
    with pytest.raises(NotificationError) as excinfo:
        provider.parse_notification(headers={"Content-Type": "application/json"}, body=body)
    assert excinfo.value.code == "malformed"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"trade_status": "TRADE_SUCCESS"}',
        b"\xff\xfe\xfd",
        b"a=1&a=2&sign=x",
        b"novalue",
    ],
)
def test_non_form_bodies(provider: AlipayProvider, body: bytes) -> None:
    assert rejected(provider, body) == "malformed"


def test_gbk_notification_is_refused(provider: AlipayProvider, alipay_side: AliPay) -> None:
    body = signed_body(notification_fields(charset="GBK"), alipay_side)
    assert rejected(provider, body) == "malformed"


@pytest.mark.parametrize(
    "overrides",
    [
        {"notify_id": ""},
        {"out_trade_no": None},
        {"trade_status": "TRADE_PENDING"},
        {"total_amount": "88.505"},
        {"total_amount": "abc"},
        {"refund_fee": "-1", "out_biz_no": "RF"},
    ],
)
def test_signed_but_malformed(provider: AlipayProvider, alipay_side: AliPay, overrides) -> None:
    body = signed_body(notification_fields(**overrides), alipay_side)
    assert rejected(provider, body) == "malformed"


@pytest.mark.parametrize(
    ("wire", "amount"), [("0.01", "0.01"), ("88.5", "88.50"), ("12345678.91", "12345678.91")]
)
def test_amounts_to_the_fen(provider: AlipayProvider, alipay_side: AliPay, wire, amount) -> None:
    body = signed_body(notification_fields(total_amount=wire), alipay_side)
    parsed = parse(provider, body).amount
    assert parsed == Decimal(amount)
    assert str(parsed) == amount


def test_answers(provider: AlipayProvider) -> None:
    assert provider.success_response() == (200, "text/plain; charset=utf-8", b"success")
    assert provider.failure_response("bad_signature", "x")[0::2] == (400, b"failure")


# ------------------------------------------------------------------ start


def payment_request(**overrides) -> PaymentRequest:
    values = {
        "out_trade_no": "FG20250101AB12",
        "amount": Decimal("12.5"),
        "subject": "杂粮面粉 5 kg",
        "notify_url": "https://shop.example/api/v1/payments/callbacks/alipay/",
        "return_url": "https://shop.example/orders/FG1/",
        "expires_at": datetime(2025, 1, 1, 2, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return PaymentRequest(**values)


def test_start_order_string(
    provider: AlipayProvider, alipay_side: AliPay, merchant_keys: KeyPair, provider_keys: KeyPair
) -> None:
    payload = provider.start(payment_request()).client_payload
    order_string = payload["order_string"]
    params = dict(parse_qsl(order_string, keep_blank_values=True))
    assert_signed_by_merchant(params, alipay_side)
    assert params["app_id"] == APP_ID
    assert params["method"] == "alipay.trade.app.pay"
    assert params["format"] == "JSON"
    assert params["charset"] == "utf-8"
    assert params["sign_type"] == "RSA2"
    assert params["version"] == "1.0"
    assert params["notify_url"] == "https://shop.example/api/v1/payments/callbacks/alipay/"
    assert "return_url" not in params
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", params["timestamp"])
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "FG20250101AB12",
        "total_amount": "12.50",
        "subject": "杂粮面粉 5 kg",
        "product_code": "QUICK_MSECURITY_PAY",
        "time_expire": "2025-01-01 10:30:00",  # 02:30 UTC in China time
    }
    # The SDK, holding our key, lays out and signs the same parameters identically.
    merchant_sdk = AliPay(
        appid=APP_ID,
        app_private_key_string=merchant_keys.private_pem,
        alipay_public_key_string=provider_keys.public_pem,
    )
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    assert merchant_sdk.sign_data(unsigned) == order_string


def test_start_page_pay_url(provider: AlipayProvider, alipay_side: AliPay, httpserver) -> None:
    url = provider.start(payment_request(expires_at=None)).client_payload["page_pay_url"]
    assert url.startswith(httpserver.url_for("/gateway.do") + "?")
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert_signed_by_merchant(params, alipay_side)
    assert params["method"] == "alipay.trade.page.pay"
    assert params["return_url"] == "https://shop.example/orders/FG1/"
    biz = json.loads(params["biz_content"])
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert biz["total_amount"] == "12.50"
    assert "time_expire" not in biz


def test_start_refuses_fractions_of_a_fen(provider: AlipayProvider) -> None:
    with pytest.raises(ValueError):
        provider.start(payment_request(amount=Decimal("12.505")))


# ------------------------------------------------------------------ query


QUERY = "alipay_trade_query_response"


def test_query_paid(provider: AlipayProvider, httpserver, gateway, alipay_side) -> None:
    # Raw (unescaped) Chinese, braces and escaped quotes inside strings: the signature is
    # over the exact text, so the node must be sliced, not re-serialised.
    node = (
        '{"code":"10000","msg":"Success","buyer_logon_id":"159****5620",'
        '"out_trade_no":"FG20250101AB12","trade_no":"2025010122001400000000000001",'
        '"trade_status":"TRADE_SUCCESS","total_amount":"88.50",'
        '"note":"面粉 {5 kg} \\"premium\\" }","send_pay_date":"2025-01-01 10:00:04"}'
    )
    httpserver.expect_request("/gateway.do", method="POST").respond_with_handler(
        gateway.answer(QUERY, node)
    )
    result = provider.query(out_trade_no="FG20250101AB12")
    assert result.status == "succeeded"
    assert result.amount == Decimal("88.50")
    assert result.trade_no == "2025010122001400000000000001"
    assert result.raw["note"] == '面粉 {5 kg} "premium" }'

    (params,) = gateway.requests
    assert_signed_by_merchant(params, alipay_side)
    assert params["method"] == "alipay.trade.query"
    assert params["app_id"] == APP_ID
    assert json.loads(params["biz_content"]) == {"out_trade_no": "FG20250101AB12"}
    assert gateway.content_types[0].startswith("application/x-www-form-urlencoded")


def test_query_unknown_trade_is_pending(provider: AlipayProvider, httpserver, gateway) -> None:
    node = {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.TRADE_NOT_EXIST",
        "sub_msg": "交易不存在",
    }
    httpserver.expect_request("/gateway.do").respond_with_handler(gateway.answer(QUERY, node))
    result = provider.query(out_trade_no="FG20250101AB12")
    assert (result.status, result.amount) == ("pending", None)


@pytest.mark.parametrize(
    "answer",
    [
        lambda gw, intruder: gw.answer(QUERY, {"code": "10000"}, signer=intruder),
        lambda gw, intruder: gw.answer(QUERY, {"code": "10000"}, sign=False),
        lambda gw, intruder: gw.answer("error_response", {"code": "40002"}, sign=False),
        lambda gw, intruder: gw.answer(QUERY, {"code": "40004", "sub_code": "ACQ.INVALID"}),
        lambda gw, intruder: gw.answer(
            QUERY, {"code": "10000", "trade_status": "TRADE_SUCCESS", "total_amount": "1.001"}
        ),
    ],
    ids=["other-key", "unsigned", "unsigned-error", "business-error", "bad-amount"],
)
def test_query_bad_answers(provider, httpserver, gateway, intruder, answer) -> None:
    httpserver.expect_request("/gateway.do").respond_with_handler(answer(gateway, intruder))
    with pytest.raises(ProviderError):
        provider.query(out_trade_no="FG20250101AB12")


def test_query_tampered_response(provider, httpserver, alipay_side) -> None:
    node = '{"code":"10000","trade_status":"TRADE_CLOSED","total_amount":"88.50"}'
    sign = alipay_side._sign(node)
    tampered = node.replace("TRADE_CLOSED", "TRADE_SUCCESS")
    httpserver.expect_request("/gateway.do").respond_with_data(
        f'{{"{QUERY}":{tampered},"sign":"{sign}"}}', content_type="application/json"
    )
    with pytest.raises(ProviderError):
        provider.query(out_trade_no="FG20250101AB12")


@pytest.mark.parametrize(
    ("status", "body"), [(500, "oops"), (502, ""), (200, "<html>"), (200, "[1]")]
)
def test_query_http_errors(provider, httpserver, status: int, body: str) -> None:
    httpserver.expect_request("/gateway.do").respond_with_data(body, status=status)
    with pytest.raises(ProviderError):
        provider.query(out_trade_no="FG20250101AB12")


def test_query_timeout(key_files, silent_server_url: str) -> None:
    provider = AlipayProvider(
        AlipayConfig(
            app_id=APP_ID,
            app_private_key=Path(key_files["ALIPAY_APP_PRIVATE_KEY_FILE"]).read_text(),
            alipay_public_key=Path(key_files["ALIPAY_PUBLIC_KEY_FILE"]).read_text(),
            gateway_url=silent_server_url + "/gateway.do",
            timeout=0.2,
        )
    )
    with pytest.raises(ProviderError) as excinfo:
        provider.query(out_trade_no="FG20250101AB12")
    assert "Timeout" in excinfo.value.message
    with pytest.raises(ProviderError):
        provider.refund(
            out_trade_no="FG1", out_refund_no="RF1", amount=Decimal("1"), total=Decimal("1")
        )


def test_connection_refused(settings, closed_port_url: str) -> None:
    settings.ALIPAY_GATEWAY_URL = closed_port_url + "/gateway.do"
    with pytest.raises(ProviderError):
        get_provider("alipay", settings).query(out_trade_no="FG20250101AB12")


# ------------------------------------------------------------------ refund


REFUND = "alipay_trade_refund_response"


def test_refund_succeeds(provider, httpserver, gateway, alipay_side) -> None:
    node = {
        "code": "10000",
        "msg": "Success",
        "trade_no": "2025010122001400000000000001",
        "out_trade_no": "FG20250101AB12",
        "refund_fee": "10.05",
        "fund_change": "Y",
    }
    httpserver.expect_request("/gateway.do").respond_with_handler(gateway.answer(REFUND, node))
    result = provider.refund(
        out_trade_no="FG20250101AB12",
        out_refund_no="RF20250102X1",
        amount=Decimal("10.05"),
        total=Decimal("88.50"),
        reason="buyer cancelled",
    )
    assert result.status == "succeeded"
    assert result.refund_id == "RF20250102X1"
    (params,) = gateway.requests
    assert_signed_by_merchant(params, alipay_side)
    assert params["method"] == "alipay.trade.refund"
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "FG20250101AB12",
        "out_request_no": "RF20250102X1",
        "refund_amount": "10.05",
        "refund_reason": "buyer cancelled",
    }


def test_refund_refused(provider, httpserver, gateway) -> None:
    node = {"code": "40004", "sub_code": "ACQ.TRADE_STATUS_ERROR", "sub_msg": "交易状态不合法"}
    httpserver.expect_request("/gateway.do").respond_with_handler(gateway.answer(REFUND, node))
    result = provider.refund(
        out_trade_no="FG1", out_refund_no="RF1", amount=Decimal("1.00"), total=Decimal("1.00")
    )
    assert result.status == "failed"
    assert result.raw["sub_code"] == "ACQ.TRADE_STATUS_ERROR"


def test_refund_system_error_is_retried(provider, httpserver, gateway) -> None:
    node = {"code": "20000", "sub_code": "ACQ.SYSTEM_ERROR"}
    httpserver.expect_request("/gateway.do").respond_with_handler(gateway.answer(REFUND, node))
    with pytest.raises(ProviderError) as excinfo:
        provider.refund(
            out_trade_no="FG1", out_refund_no="RF1", amount=Decimal("1.00"), total=Decimal("1.00")
        )
    assert excinfo.value.provider_code == "ACQ.SYSTEM_ERROR"


# ------------------------------------------------------------------ config and helpers


def test_from_settings_requires_everything(settings: SimpleNamespace, tmp_path: Path) -> None:
    for name in ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE"):
        incomplete = SimpleNamespace(**vars(settings))
        setattr(incomplete, name, "")
        with pytest.raises(ProviderUnavailable):
            get_provider("alipay", incomplete)
    missing_file = SimpleNamespace(**vars(settings))
    missing_file.ALIPAY_PUBLIC_KEY_FILE = str(tmp_path / "nope.pem")
    with pytest.raises(ProviderUnavailable):
        get_provider("alipay", missing_file)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    bad_key = SimpleNamespace(**vars(settings))
    bad_key.ALIPAY_APP_PRIVATE_KEY_FILE = str(garbage)
    with pytest.raises(ProviderUnavailable):
        get_provider("alipay", bad_key)


def test_default_gateway(settings: SimpleNamespace) -> None:
    del settings.ALIPAY_GATEWAY_URL
    provider = get_provider("alipay", settings)
    assert provider.config.gateway_url == "https://openapi.alipay.com/gateway.do"


def test_bare_base64_public_key_file(
    settings: SimpleNamespace, tmp_path: Path, provider_keys: KeyPair, alipay_side: AliPay
) -> None:
    # Alipay's console shows its public key as bare base64, which is what ops will paste.
    bare = tmp_path / "alipay_bare.txt"
    bare.write_text("".join(provider_keys.public_pem.strip().splitlines()[1:-1]))
    settings.ALIPAY_PUBLIC_KEY_FILE = str(bare)
    provider = get_provider("alipay", settings)
    assert parse(provider, signed_body(notification_fields(), alipay_side)).amount


def test_raw_json_members() -> None:
    text = ' { "a" : {"x": "}{\\"", "y": [1, {"z": null}]} ,"sign":"abc", "n": 1.5 } '
    members = raw_json_members(text)
    assert members == {"a": '{"x": "}{\\"", "y": [1, {"z": null}]}', "sign": '"abc"', "n": "1.5"}
    assert raw_json_members("{}") == {}
    for bad in ("", "[]", '{"a":1', '{"a":1} trailing', '{"a" 1}', "{1: 2}", '{"a":1,}'):
        with pytest.raises(ValueError):
            raw_json_members(bad)
