"""The sandbox wallet protocol: pay URL, HMAC-signed notifications, query/refund hooks.

Notifications are signed here with `hmac` straight from the PAYMENTS.md text, not with
`SandboxProvider.sign_notification` (which is checked against the same text).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from payments.providers import (
    NotificationError,
    PaymentRequest,
    ProviderUnavailable,
    QueryResult,
    RefundResult,
    SandboxConfig,
    SandboxProvider,
    get_provider,
)

SECRET = "wallet-secret-for-tests"
NOW = 1_760_000_000


def fixed_clock() -> float:
    return float(NOW)


@pytest.fixture
def provider() -> SandboxProvider:
    return SandboxProvider(
        SandboxConfig(secret=SECRET, public_base_url="https://shop.example/"), clock=fixed_clock
    )


def sign(body: bytes, t: int = NOW, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(**overrides: object) -> bytes:
    data = {
        "id": "evt_0001",
        "out_trade_no": "FG20250101AB12",
        "status": "SUCCESS",
        "amount": "88.50",
        "created": NOW - 2,
    }
    data.update(overrides)
    return json.dumps(data).encode()


def parse(provider: SandboxProvider, body: bytes, signature: str | None, **kw: str):
    headers = {"X-Sandbox-Signature": signature} if signature is not None else {}
    return provider.parse_notification(
        headers=headers, body=body, content_type=kw.get("content_type", "application/json")
    )


def rejected(provider: SandboxProvider, body: bytes, signature: str | None, **kw: str) -> str:
    with pytest.raises(NotificationError) as excinfo:
        parse(provider, body, signature, **kw)
    return excinfo.value.code


# ------------------------------------------------------------------ start, config


def test_start_returns_the_pay_page_url(provider: SandboxProvider) -> None:
    result = provider.start(
        PaymentRequest(
            out_trade_no="FG20250101AB12",
            amount=Decimal("88.50"),
            subject="Jeminay flour 5 kg",
            notify_url="https://shop.example/api/v1/payments/callbacks/sandbox/",
        )
    )
    assert result.client_payload == {"pay_url": "https://shop.example/pay/sandbox/FG20250101AB12/"}


def test_from_settings_requires_secret_and_enabled_flag() -> None:
    with pytest.raises(ProviderUnavailable):
        get_provider("sandbox", SimpleNamespace(SANDBOX_WALLET_SECRET=SECRET))
    with pytest.raises(ProviderUnavailable):
        get_provider("sandbox", SimpleNamespace(PAYMENTS_SANDBOX_ENABLED=True))
    with pytest.raises(ProviderUnavailable):
        get_provider(
            "sandbox",
            SimpleNamespace(SANDBOX_WALLET_SECRET=SECRET, PAYMENTS_SANDBOX_ENABLED="false"),
        )
    settings = SimpleNamespace(
        SANDBOX_WALLET_SECRET=SECRET,
        PAYMENTS_SANDBOX_ENABLED=True,
        PUBLIC_BASE_URL="http://127.0.0.1:8000",
    )
    provider = get_provider("sandbox", settings)
    assert isinstance(provider, SandboxProvider)
    assert provider.pay_url("ABC123") == "http://127.0.0.1:8000/pay/sandbox/ABC123/"


# ------------------------------------------------------------------ notifications


def test_good_payment_notification(provider: SandboxProvider) -> None:
    body = event()
    notification = parse(provider, body, sign(body))
    assert notification.provider == "sandbox"
    assert notification.event_id == "evt_0001"
    assert notification.kind == "payment"
    assert notification.status == "succeeded"
    assert notification.out_trade_no == "FG20250101AB12"
    assert notification.amount == Decimal("88.50")
    assert notification.refund_amount is None
    assert notification.occurred_at == datetime.fromtimestamp(NOW - 2, tz=UTC)
    assert notification.payload == json.loads(body)
    json.dumps(notification.payload)  # storable as is


def test_good_refund_notification(provider: SandboxProvider) -> None:
    body = event(
        id="evt_0002", status="REFUNDED", out_refund_no="RF1", created="2025-01-01T10:00:00+08:00"
    )
    notification = parse(provider, body, sign(body))
    assert notification.kind == "refund"
    assert notification.status == "refunded"
    assert notification.refund_amount == Decimal("88.50")
    assert notification.out_refund_no == "RF1"
    assert notification.occurred_at == datetime(2025, 1, 1, 2, 0, tzinfo=UTC)


def test_header_lookup_is_case_insensitive(provider: SandboxProvider) -> None:
    body = event()
    notification = provider.parse_notification(
        headers={"x-sandbox-signature": sign(body)}, body=body
    )
    assert notification.status == "succeeded"


def test_sign_notification_follows_the_spec(provider: SandboxProvider) -> None:
    body = event()
    assert provider.sign_notification(body, now=NOW) == sign(body)
    assert provider.sign_notification(body) == sign(body)  # the provider's clock
    assert provider.sign_notification(body, now=datetime.fromtimestamp(NOW, tz=UTC)) == sign(body)
    # and what it signs, the real clock accepts
    live = SandboxProvider(SandboxConfig(secret=SECRET))
    assert parse(live, body, live.sign_notification(body)).event_id == "evt_0001"


def test_rotating_secret_any_v1_may_match(provider: SandboxProvider) -> None:
    body = event()
    old = sign(body, secret="old-secret").split(",")[1]
    assert parse(provider, body, f"{sign(body)},{old}").status == "succeeded"
    assert parse(provider, body, f"t={NOW},{old},{sign(body).split(',')[1]}").kind == "payment"


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "garbage",
        f"t={NOW}",
        f"v1={'0' * 64}",
        f"t={NOW},v1={'0' * 64}",
        f"t=abc,v1={'0' * 64}",
    ],
)
def test_missing_or_forged_signature(provider: SandboxProvider, signature: str | None) -> None:
    assert rejected(provider, event(), signature) == "bad_signature"


def test_signed_with_another_secret(provider: SandboxProvider) -> None:
    body = event()
    assert rejected(provider, body, sign(body, secret="another")) == "bad_signature"


def test_altered_body(provider: SandboxProvider) -> None:
    signature = sign(event())
    assert rejected(provider, event(amount="0.01"), signature) == "bad_signature"


def test_timestamp_is_part_of_the_mac(provider: SandboxProvider) -> None:
    body = event()
    mac = sign(body).split(",")[1]
    assert rejected(provider, body, f"t={NOW + 1},{mac}") == "bad_signature"


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86_400])
def test_stale_and_future_timestamps(provider: SandboxProvider, offset: int) -> None:
    body = event()
    assert rejected(provider, body, sign(body, t=NOW + offset)) == "stale_timestamp"


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamps_within_tolerance(provider: SandboxProvider, offset: int) -> None:
    body = event()
    assert parse(provider, body, sign(body, t=NOW + offset)).status == "succeeded"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b'["a list"]',
        event(status="PENDING"),
        event(amount=88.5),
        event(amount="88.505"),
        event(amount="-1.00"),
        event(id=""),
        event(out_trade_no=None),
    ],
)
def test_malformed_bodies(provider: SandboxProvider, body: bytes) -> None:
    assert rejected(provider, body, sign(body)) == "malformed"


def test_non_json_content_type(provider: SandboxProvider) -> None:
    body = event()
    code = rejected(provider, body, sign(body), content_type="application/x-www-form-urlencoded")
    assert code == "malformed"


def test_amount_to_the_fen(provider: SandboxProvider) -> None:
    body = event(amount="0.01")
    assert parse(provider, body, sign(body)).amount == Decimal("0.01")
    body = event(amount="12345.6")
    assert str(parse(provider, body, sign(body)).amount) == "12345.60"


# ------------------------------------------------------------------ query, refund, answers


def test_query_and_refund_defaults(provider: SandboxProvider) -> None:
    assert provider.query(out_trade_no="FG1").status == "pending"
    assert provider.query(out_trade_no="FG1").amount is None
    result = provider.refund(
        out_trade_no="FG1", out_refund_no="RF1", amount=Decimal("10.00"), total=Decimal("88.50")
    )
    assert result.status == "succeeded"
    assert result.refund_id
    over = provider.refund(
        out_trade_no="FG1", out_refund_no="RF2", amount=Decimal("90.00"), total=Decimal("88.50")
    )
    assert over.status == "failed"


def test_query_and_refund_hooks() -> None:
    calls: list[dict] = []

    def lookup(out_trade_no: str) -> QueryResult | None:
        if out_trade_no == "PAID1":
            return QueryResult(status="succeeded", amount=Decimal("88.50"), trade_no="W1")
        return None

    def refund_handler(**kwargs: object) -> RefundResult:
        calls.append(kwargs)
        return RefundResult(status="pending", refund_id="WR1")

    provider = SandboxProvider(
        SandboxConfig(secret=SECRET), query_lookup=lookup, refund_handler=refund_handler
    )
    assert provider.query(out_trade_no="PAID1").status == "succeeded"
    assert provider.query(out_trade_no="OTHER").status == "pending"
    result = provider.refund(
        out_trade_no="PAID1", out_refund_no="RF1", amount=Decimal("8.5"), total=Decimal("88.50")
    )
    assert result == RefundResult(status="pending", refund_id="WR1")
    assert calls == [
        {
            "out_trade_no": "PAID1",
            "out_refund_no": "RF1",
            "amount": Decimal("8.50"),
            "total": Decimal("88.50"),
            "reason": "",
        }
    ]


def wallet_lookup(out_trade_no: str) -> QueryResult:
    """Referenced by dotted path from settings in the test below."""
    return QueryResult(status="closed", amount=Decimal("1.00"))


def test_hooks_from_settings_by_dotted_path() -> None:
    settings = SimpleNamespace(
        SANDBOX_WALLET_SECRET=SECRET,
        PAYMENTS_SANDBOX_ENABLED=True,
        SANDBOX_WALLET_QUERY_HOOK=f"{__name__}.wallet_lookup",
    )
    assert get_provider("sandbox", settings).query(out_trade_no="X").status == "closed"
    settings.SANDBOX_WALLET_QUERY_HOOK = f"{__name__}.no_such_function"
    with pytest.raises(ProviderUnavailable):
        get_provider("sandbox", settings)


def test_answers(provider: SandboxProvider) -> None:
    assert provider.success_response() == (204, "", b"")
    status, content_type, body = provider.failure_response("bad_signature", "no")
    assert (status, content_type) == (401, "application/json")
    assert json.loads(body) == {"code": "bad_signature", "message": "no"}


def test_real_clock_default() -> None:
    provider = SandboxProvider(SandboxConfig(secret=SECRET))
    body = event()
    assert parse(provider, body, sign(body, t=int(time.time()))).status == "succeeded"
    assert rejected(provider, body, sign(body, t=int(time.time()) - 600)) == "stale_timestamp"
