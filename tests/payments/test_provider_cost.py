"""Building a provider per callback must not parse the merchant's RSA key each time
(bench/callbacks.py: it was 72% of an Alipay callback's time), yet a new key file
must be picked up at once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from cryptography.hazmat.primitives import serialization

from payments.providers import base, get_provider

from .conftest import KeyPair, make_keypair


def _settings(tmp_path: Path, merchant: KeyPair, alipay: KeyPair, name: str) -> SimpleNamespace:
    private, _ = merchant.write(tmp_path, f"{name}-merchant")
    _, public = alipay.write(tmp_path, f"{name}-alipay")
    return SimpleNamespace(
        ALIPAY_APP_ID="2021000000000001",
        ALIPAY_APP_PRIVATE_KEY_FILE=str(private),
        ALIPAY_PUBLIC_KEY_FILE=str(public),
    )


def _count_parses(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = serialization.load_pem_private_key

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(base.serialization, "load_pem_private_key", counting)
    return calls


def test_the_private_key_is_parsed_once_per_process(
    tmp_path, merchant_keys, provider_keys, monkeypatch
):
    base.load_private_key.cache_clear()
    calls = _count_parses(monkeypatch)
    settings = _settings(tmp_path, merchant_keys, provider_keys, "a")
    first = get_provider("alipay", settings)
    for _ in range(5):
        again = get_provider("alipay", settings)
    assert len(calls) == 1
    assert again._private_key is first._private_key


def test_a_new_key_file_gives_a_provider_with_the_new_key(tmp_path, merchant_keys, provider_keys):
    settings = _settings(tmp_path, merchant_keys, provider_keys, "b")
    before = get_provider("alipay", settings)
    rotated = make_keypair()
    Path(settings.ALIPAY_APP_PRIVATE_KEY_FILE).write_text(rotated.private_pem)
    after = get_provider("alipay", settings)
    numbers = after._private_key.private_numbers()
    assert numbers == rotated.private_key.private_numbers()
    assert before._private_key.private_numbers() != numbers
