"""Money helpers, key loading and the provider registry."""

from __future__ import annotations

import base64
from decimal import Decimal
from types import SimpleNamespace

import pytest

from payments.providers import (
    PROVIDERS,
    ProviderError,
    ProviderUnavailable,
    configured_providers,
    format_yuan,
    from_fen,
    get_provider,
    parse_yuan,
    to_fen,
)
from payments.providers.base import (
    NotificationError,
    load_private_key,
    load_public_key,
    quantize_yuan,
    rsa_sign,
    rsa_verify,
    setting_flag,
)


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        ("0.01", 1),
        ("0.10", 10),
        ("12.50", 1250),
        ("19.99", 1999),
        ("0.29", 29),  # 0.29 * 100 is 28.999999999999996 as a float
        ("1.13", 113),
        ("12345678.91", 1234567891),
        ("88", 8800),
    ],
)
def test_fen_conversion_is_exact_both_ways(yuan: str, fen: int) -> None:
    assert to_fen(Decimal(yuan)) == fen
    assert from_fen(fen) == Decimal(yuan)
    assert str(from_fen(fen)) == format_yuan(Decimal(yuan))


def test_fractions_of_a_fen_are_refused_not_rounded() -> None:
    with pytest.raises(ValueError):
        to_fen(Decimal("12.345"))
    with pytest.raises(ValueError):
        quantize_yuan(Decimal("NaN"))
    with pytest.raises(ValueError):
        quantize_yuan(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1.5, True, "100", None, -1])
def test_from_fen_refuses_non_integers(bad: object) -> None:
    with pytest.raises(ValueError):
        from_fen(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("88.50", "88.50"), ("88.5", "88.50"), ("88", "88.00"), ("0.01", "0.01")],
)
def test_parse_yuan(text: str, expected: str) -> None:
    assert parse_yuan(text) == Decimal(expected)
    assert format_yuan(parse_yuan(text)) == expected


@pytest.mark.parametrize("bad", ["88.505", "-1.00", "1e3", " 1.00", "1,00", "", "01.00", 88.5])
def test_parse_yuan_is_strict(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_yuan(bad)


def test_key_loading_accepts_bare_base64_and_pkcs1(merchant_keys) -> None:
    bare = "".join(merchant_keys.public_pem.strip().splitlines()[1:-1])
    public = load_public_key(bare)
    from cryptography.hazmat.primitives import serialization

    pkcs1 = merchant_keys.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    bare_pkcs1 = "".join(pkcs1.strip().splitlines()[1:-1])
    for private_text in (merchant_keys.private_pem, pkcs1, bare_pkcs1):
        signature = rsa_sign(load_private_key(private_text), b"message")
        assert rsa_verify(public, b"message", signature)
    with pytest.raises(ValueError):
        load_private_key("not a key")


def test_rsa_verify_refuses_garbage(merchant_keys) -> None:
    assert not rsa_verify(merchant_keys.public_key, b"m", "not base64!")
    assert not rsa_verify(merchant_keys.public_key, b"m", base64.b64encode(b"x" * 256).decode())


def test_error_codes() -> None:
    assert ProviderError.code == "provider_error"
    assert ProviderUnavailable.code == "provider_unavailable"
    assert issubclass(ProviderUnavailable, ProviderError)
    assert NotificationError("stale_timestamp").code == "stale_timestamp"
    with pytest.raises(ValueError):
        NotificationError("typo")


def test_get_provider_unknown_name() -> None:
    with pytest.raises(ProviderUnavailable) as excinfo:
        get_provider("paypal", SimpleNamespace())
    assert excinfo.value.code == "provider_unavailable"


def test_nothing_configured_means_nothing_available() -> None:
    assert PROVIDERS == ("sandbox", "alipay", "wechat")
    for name in PROVIDERS:
        with pytest.raises(ProviderUnavailable):
            get_provider(name, SimpleNamespace())
    assert configured_providers(SimpleNamespace()) == ()
    settings = SimpleNamespace(SANDBOX_WALLET_SECRET="s", PAYMENTS_SANDBOX_ENABLED=True)
    assert configured_providers(settings) == ("sandbox",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (None, False), ("1", True), ("true", True),
     ("0", False), ("false", False), ("off", False), ("", False)],
)  # fmt: skip
def test_setting_flag(value: object, expected: bool) -> None:
    assert setting_flag(SimpleNamespace(FLAG=value), "FLAG") is expected


def test_get_provider_defaults_to_django_settings() -> None:
    from django.conf import settings

    if not settings.configured:
        pytest.skip("needs the project's Django settings")
    # The test settings enable the sandbox wallet; the real providers need key files.
    provider = get_provider("sandbox")
    assert provider.name == "sandbox"
    assert "sandbox" in configured_providers()
