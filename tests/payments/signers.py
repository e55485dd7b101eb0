"""The providers' side of the wire, written independently of our code.

Alipay notifications are signed with python-alipay-sdk acting as Alipay (its `_sign`
over the string built per the spec, since the SDK keeps empty values); WeChat's with
`wechatpayv3.utils.rsa_sign` and AES-GCM from `cryptography`; the sandbox wallet's
with the standard library's HMAC, following PAYMENTS.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import urlencode

from alipay import AliPay
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3.utils import rsa_sign

from .conftest import KeyPair

ALIPAY_APP_ID = "2021000000000001"
ALIPAY_SELLER_ID = "2088000000000001"
MCH_ID = "1900000109"
WX_APP_ID = "wxd678efh567hg6787"
APIV3_KEY = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"
PLATFORM_KEY_ID = "PUB_KEY_ID_0119000001092025010100000000000001"
SANDBOX_SECRET = "test-sandbox-secret"  # as in storefront/settings/test.py
FORM = "application/x-www-form-urlencoded; charset=utf-8"


class AlipaySide:
    def __init__(self, keys: KeyPair, merchant: KeyPair) -> None:
        self.sdk = AliPay(
            appid=ALIPAY_APP_ID,
            app_private_key_string=keys.private_pem,
            alipay_public_key_string=merchant.public_pem,
        )

    @staticmethod
    def fields(out_trade_no: str, total: str, **overrides: str) -> dict[str, str]:
        fields = {
            "notify_time": "2025-01-01 10:00:05",
            "notify_type": "trade_status_sync",
            "notify_id": "nid" + secrets.token_hex(8),
            "app_id": ALIPAY_APP_ID,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": "2025010122001400000000000001",
            "out_trade_no": out_trade_no,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": total,
            "receipt_amount": total,
            "buyer_id": "2088102122524333",
            "seller_id": ALIPAY_SELLER_ID,
            "gmt_payment": "2025-01-01 10:00:04",
        }
        fields.update(overrides)
        return {k: v for k, v in fields.items() if v is not None}

    def body(self, fields: dict[str, str]) -> bytes:
        string = "&".join(
            f"{k}={v}" for k, v in sorted(fields.items()) if k not in ("sign", "sign_type") and v
        )
        return urlencode({**fields, "sign": self.sdk._sign(string)}).encode()


def configure_alipay(settings, tmp_path, merchant: KeyPair, alipay: KeyPair) -> AlipaySide:
    """Configure Alipay in Django `settings`; return Alipay's side (its signer)."""
    merchant_private, _ = merchant.write(tmp_path, "app")
    _, alipay_public = alipay.write(tmp_path, "alipay")
    settings.ALIPAY_APP_ID = ALIPAY_APP_ID
    settings.ALIPAY_APP_PRIVATE_KEY_FILE = str(merchant_private)
    settings.ALIPAY_PUBLIC_KEY_FILE = str(alipay_public)
    settings.ALIPAY_SELLER_ID = ALIPAY_SELLER_ID
    return AlipaySide(alipay, merchant)


def configure_wechat(settings, tmp_path, merchant: KeyPair, platform: KeyPair) -> KeyPair:
    """Configure WeChat Pay in Django `settings`; return the platform key pair."""
    merchant_private, _ = merchant.write(tmp_path, "apiclient")
    _, platform_public = platform.write(tmp_path, "platform")
    settings.WECHATPAY_MCH_ID = MCH_ID
    settings.WECHATPAY_APP_ID = WX_APP_ID
    settings.WECHATPAY_APIV3_KEY = APIV3_KEY
    settings.WECHATPAY_PRIVATE_KEY_FILE = str(merchant_private)
    settings.WECHATPAY_CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY_FILE = str(platform_public)
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY_ID = PLATFORM_KEY_ID
    return platform


def wechat_encrypt(data: dict, *, key: str = APIV3_KEY, aad: str = "transaction") -> dict:
    nonce = secrets.token_hex(6)
    ct = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(data).encode(), aad.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ct).decode(),
        "associated_data": aad,
        "original_type": "transaction",
        "nonce": nonce,
    }


def wechat_transaction(out_trade_no: str, total_fen: int, **overrides) -> dict:
    data = {
        "mchid": MCH_ID,
        "appid": WX_APP_ID,
        "out_trade_no": out_trade_no,
        "transaction_id": "42000000002025" + secrets.token_hex(6),
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "success_time": "2025-01-01T10:00:04+08:00",
        "amount": {"total": total_fen, "payer_total": total_fen, "currency": "CNY"},
    }
    data.update(overrides)
    return data


def wechat_refund(out_trade_no: str, out_refund_no: str, total_fen: int) -> dict:
    return {
        "mchid": MCH_ID,
        "out_trade_no": out_trade_no,
        "transaction_id": "4200000000202501010000000001",
        "out_refund_no": out_refund_no,
        "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS",
        "success_time": "2025-01-02T09:30:00+08:00",
        "amount": {
            "total": total_fen,
            "refund": total_fen,
            "payer_total": total_fen,
            "payer_refund": total_fen,
        },
    }


def wechat_body(event_type: str, resource: dict, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or "EV-" + secrets.token_hex(8),
            "create_time": "2025-01-01T10:00:05+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "ok",
            "resource": resource,
        }
    ).encode()


def wechat_headers(body: bytes, key: KeyPair, *, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {
        "HTTP_WECHATPAY_TIMESTAMP": ts,
        "HTTP_WECHATPAY_NONCE": nonce,
        "HTTP_WECHATPAY_SIGNATURE": rsa_sign(key.private_key, f"{ts}\n{nonce}\n{body.decode()}\n"),
        "HTTP_WECHATPAY_SERIAL": PLATFORM_KEY_ID,
    }


def sandbox_body(out_trade_no: str, amount: str, *, status: str = "SUCCESS", **extra) -> bytes:
    body = {
        "id": extra.pop("id", "evt_" + secrets.token_hex(8)),
        "out_trade_no": out_trade_no,
        "status": status,
        "amount": amount,
        "created": int(time.time()),
        **extra,
    }
    return json.dumps(body).encode()


def sandbox_headers(body: bytes, *, secret: str = SANDBOX_SECRET, t: int | None = None) -> dict:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_SANDBOX_SIGNATURE": f"t={t},v1={mac}"}
