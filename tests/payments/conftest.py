"""Fixtures shared by the provider protocol tests: RSA key pairs made on the spot.

The "provider side" of every test (Alipay, WeChat's platform) signs with its own key
through the providers' SDKs or plain `cryptography`, never through our code.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class KeyPair:
    private_key: rsa.RSAPrivateKey
    private_pem: str
    public_pem: str

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        """Write both PEMs under `directory`; return (private path, public path)."""
        private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
        private_path.write_text(self.private_pem)
        public_path.write_text(self.public_pem)
        return private_path, public_path


def make_keypair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(key, private_pem, public_pem)


@pytest.fixture(scope="session")
def merchant_keys() -> KeyPair:
    """Our key: signs our requests."""
    return make_keypair()


@pytest.fixture(scope="session")
def provider_keys() -> KeyPair:
    """The provider's key (Alipay's / WeChat platform's): signs notifications."""
    return make_keypair()


@pytest.fixture(scope="session")
def intruder_keys() -> KeyPair:
    """Someone else's key: signatures made with it must be refused."""
    return make_keypair()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_server_url() -> Iterator[str]:
    """A URL whose server accepts connections and never answers (read timeout).

    A listening socket that is never accept()ed: the kernel completes the handshake,
    so the client sends its request and waits. Unlike a slow handler on the shared
    pytest-httpserver, nothing is left queued to be served during a later test.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# ------------------------------------------------ Django-level provider configuration
# (used by the integration tests: callbacks, services, tasks; see signers.py)


@pytest.fixture
def alipay(settings, tmp_path: Path, merchant_keys: KeyPair, provider_keys: KeyPair):
    """Alipay configured in Django settings; returns Alipay's side (its signer)."""
    from .signers import configure_alipay

    return configure_alipay(settings, tmp_path, merchant_keys, provider_keys)


@pytest.fixture
def wechat(settings, tmp_path: Path, merchant_keys: KeyPair, provider_keys: KeyPair) -> KeyPair:
    """WeChat Pay configured in Django settings; returns the platform key pair."""
    from .signers import configure_wechat

    return configure_wechat(settings, tmp_path, merchant_keys, provider_keys)


@pytest.fixture
def wallet_delivers_in_process(monkeypatch, settings) -> list[int]:
    """The sandbox wallet's HTTP POSTs reach our callback through httpx's WSGI
    transport, in this thread and this test's transaction; returns the statuses."""
    from types import SimpleNamespace

    import httpx
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    from payments.sandbox import notifier as wallet

    settings.SANDBOX_WALLET_DUPLICATE_RATE = 0.0
    client = httpx.Client(transport=httpx.WSGITransport(app=get_wsgi_application()))
    statuses: list[int] = []

    def post(url, **kwargs):
        kwargs.pop("timeout", None)
        # As Django's test client does: a request must not close the test's connection.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = client.post(url, **kwargs)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        statuses.append(response.status_code)
        return response

    monkeypatch.setattr(wallet, "httpx", SimpleNamespace(post=post, HTTPError=httpx.HTTPError))
    return statuses
