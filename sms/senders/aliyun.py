"""Alibaba Cloud SMS (Dysmsapi ``SendSms``, version 2017-05-25), signed with ACS3-HMAC-SHA256.

The signature follows Alibaba Cloud's "V3 request body & signature mechanism": a canonical
request (method, path, sorted RFC 3986-encoded query, the signed headers, the body's
SHA-256), hashed, then HMAC-SHA256 with the AccessKey secret. Its documented example
(``RunInstances`` of 2023-10-26T10:22:32Z) is reproduced by the tests.

Settings (environment): ``SMS_ALIYUN_ACCESS_KEY_ID``, ``SMS_ALIYUN_ACCESS_KEY_SECRET``,
``SMS_ALIYUN_SIGN_NAME``, ``SMS_ALIYUN_TEMPLATES`` (JSON: our template name → the approved
``TemplateCode``), ``SMS_ALIYUN_ENDPOINT`` (default ``https://dysmsapi.aliyuncs.com``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from storefront.phones import phone_country_code, phone_national

from ..exceptions import SmsPermanentError, SmsTemporaryError
from .base import OutgoingSms, ProviderSender, SendResult
from .http import hmac_sha256, post, sha256_hex

ALGORITHM = "ACS3-HMAC-SHA256"
ACTION, VERSION = "SendSms", "2017-05-25"

# Error codes of SendSms (and of the gateway) that a later try may get past; every
# other code is permanent (a bad number, an unapproved template or signature, bad keys).
TEMPORARY_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",  # the provider's own per-number flow control
    "isv.DAY_LIMIT_CONTROL",
    "isp.SYSTEM_ERROR",
    "isp.RAM_PERMISSION_DENY",
    "isv.OUT_OF_SERVICE",  # account suspended for arrears: may be topped up
    "isv.AMOUNT_NOT_ENOUGH",
    "Throttling",
    "Throttling.User",
    "ServiceUnavailable",
    "InternalError",
}


def _encode(value: str) -> str:
    # RFC 3986: everything but unreserved characters is percent-encoded (space as %20).
    return quote(value, safe="-_.~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))


def sign(
    *,
    method: str,
    host: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
) -> dict[str, str]:
    """The request's headers plus ``x-acs-content-sha256`` and ``Authorization``.

    ``headers`` must carry ``x-acs-action``, ``x-acs-version``, ``x-acs-date`` and
    ``x-acs-signature-nonce``; ``host`` and every ``x-acs-*`` header are signed."""
    signed = {k.lower(): v.strip() for k, v in headers.items()}
    signed["host"] = host
    signed["x-acs-content-sha256"] = sha256_hex(body)
    names = sorted(
        n for n in signed if n == "host" or n.startswith("x-acs-") or n == "content-type"
    )
    canonical = "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(query),
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            signed["x-acs-content-sha256"],
        ]
    )
    string_to_sign = f"{ALGORITHM}\n{sha256_hex(canonical.encode('utf-8'))}"
    signature = hmac_sha256(access_key_secret.encode("utf-8"), string_to_sign).hex()
    signed["authorization"] = (
        f"{ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(names)},"
        f"Signature={signature}"
    )
    return signed


@dataclass(frozen=True, kw_only=True)
class AliyunSender(ProviderSender):
    access_key_id: str
    access_key_secret: str
    endpoint: str = "https://dysmsapi.aliyuncs.com"
    name: str = "aliyun"

    def send(self, message: OutgoingSms) -> SendResult:
        template_code = self.template_for(message)
        if phone_country_code(message.phone) != 86:
            # International numbers go through Alibaba Cloud's separate international API.
            raise SmsPermanentError("unsupported_number", "mainland numbers only")
        query = {
            "PhoneNumbers": phone_national(message.phone),
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False),
        }
        parts = urlsplit(self.endpoint)
        headers = sign(
            method="POST",
            host=parts.netloc,
            path="/",
            query=query,
            headers={
                "x-acs-action": ACTION,
                "x-acs-version": VERSION,
                "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "x-acs-signature-nonce": secrets.token_hex(16),
            },
            body=b"",
            access_key_id=self.access_key_id,
            access_key_secret=self.access_key_secret,
        )
        url = f"{parts.scheme}://{parts.netloc}/?{canonical_query(query)}"
        response = post(url, headers=headers, content=b"")
        return self._outcome(response)

    def _outcome(self, response) -> SendResult:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("Code") or "")
        if response.status_code == 200 and code == "OK":
            return SendResult(provider=self.name, message_id=str(body.get("BizId", "")))
        code = code or f"http_{response.status_code}"
        text = str(body.get("Message") or "")[:300]
        if code in TEMPORARY_CODES or response.status_code >= 500 or response.status_code == 429:
            raise SmsTemporaryError(code, text)
        raise SmsPermanentError(code, text)
