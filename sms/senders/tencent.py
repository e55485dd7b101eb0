"""Tencent Cloud SMS (``SendSms``, version 2021-01-11), signed with TC3-HMAC-SHA256.

TC3 derives a signing key from the SecretKey through the UTC date, the service name and
``tc3_request``, and signs ``algorithm, timestamp, credential scope, SHA-256 of the
canonical request``. Its documented example (``DescribeInstances`` at 1551113065) is
reproduced by the tests.

Settings (environment): ``SMS_TENCENT_SECRET_ID``, ``SMS_TENCENT_SECRET_KEY``,
``SMS_TENCENT_SDK_APP_ID``, ``SMS_TENCENT_SIGN_NAME``, ``SMS_TENCENT_TEMPLATES`` (JSON: our
template name → ``TemplateId``), ``SMS_TENCENT_REGION`` (default ``ap-guangzhou``),
``SMS_TENCENT_ENDPOINT`` (default ``https://sms.tencentcloudapi.com``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..exceptions import SmsPermanentError, SmsTemporaryError
from .base import OutgoingSms, ProviderSender, SendResult
from .http import hmac_sha256, post, sha256_hex

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"

# Codes (of the request, or of one number's SendStatus) that a later try may get past.
TEMPORARY_PREFIXES = (
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.PhoneNumberDailyLimit",
    "LimitExceeded.DeliveryFrequencyLimit",
    "LimitExceeded.AppDailyLimit",
    "RequestLimitExceeded",
    "InternalError",
    "FailedOperation.InsufficientBalanceInSmsPackage",
    "AuthFailure.SignatureExpire",  # our clock was off: the next try signs anew
)


def sign(
    *,
    host: str,
    payload: bytes,
    timestamp: int,
    secret_id: str,
    secret_key: str,
    service: str = SERVICE,
    content_type: str = CONTENT_TYPE,
) -> str:
    """The ``Authorization`` header of a POST with a JSON body (``content-type;host`` signed)."""
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            sha256_hex(payload),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{sha256_hex(canonical.encode('utf-8'))}"
    key = hmac_sha256(f"TC3{secret_key}".encode(), date)
    key = hmac_sha256(key, service)
    key = hmac_sha256(key, "tc3_request")
    signature = hmac_sha256(key, string_to_sign).hex()
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )


def _is_temporary(code: str) -> bool:
    return code.startswith(TEMPORARY_PREFIXES)


@dataclass(frozen=True, kw_only=True)
class TencentSender(ProviderSender):
    secret_id: str
    secret_key: str
    sdk_app_id: str
    region: str = "ap-guangzhou"
    endpoint: str = "https://sms.tencentcloudapi.com"
    name: str = "tencent"

    def send(self, message: OutgoingSms) -> SendResult:
        template_id = self.template_for(message)
        payload = json.dumps(
            {
                "PhoneNumberSet": [message.phone],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": template_id,
                "TemplateParamSet": [str(v) for v in message.params.values()],
            },
            ensure_ascii=False,
        ).encode("utf-8")
        parts = urlsplit(self.endpoint)
        timestamp = int(time.time())
        headers = {
            "Authorization": sign(
                host=parts.netloc,
                payload=payload,
                timestamp=timestamp,
                secret_id=self.secret_id,
                secret_key=self.secret_key,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": parts.netloc,
            "X-TC-Action": ACTION,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        response = post(f"{parts.scheme}://{parts.netloc}/", headers=headers, content=payload)
        return self._outcome(response)

    def _outcome(self, response) -> SendResult:
        try:
            body = response.json().get("Response", {})
        except (ValueError, AttributeError):
            body = {}
        if response.status_code >= 500 or not isinstance(body, dict):
            raise SmsTemporaryError(f"http_{response.status_code}")
        error = body.get("Error")
        if error:  # the whole request was refused (signature, keys, parameters, limits)
            code, text = str(error.get("Code", "")), str(error.get("Message", ""))[:300]
            raise (SmsTemporaryError if _is_temporary(code) else SmsPermanentError)(code, text)
        statuses = body.get("SendStatusSet") or []
        if not statuses:
            raise SmsTemporaryError("empty_answer", f"HTTP {response.status_code}")
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code == "Ok":
            return SendResult(provider=self.name, message_id=str(status.get("SerialNo", "")))
        text = str(status.get("Message", ""))[:300]
        raise (SmsTemporaryError if _is_temporary(code) else SmsPermanentError)(code, text)
