"""Fake Alibaba Cloud and Tencent Cloud SMS endpoints for pytest-httpserver.

Each checks the request's signature the way the provider documents it — written here
from the documentation, independently of ``sms.senders`` — and answers like the
provider: success, or one of its error codes. The verifiers are themselves checked
against the documents' worked examples (tests/sms/test_signatures.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from werkzeug import Request, Response


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


# --- Alibaba Cloud, "V3 request body & signature mechanism" -------------------------
def aliyun_expected_signature(
    *,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    secret: str,
) -> str:
    enc = lambda s: quote(s, safe="-_.~")  # noqa: E731
    canonical_query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(query))
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(k for k in lower if k in ("host", "content-type") or k.startswith("x-acs-"))
    canonical = "\n".join(
        [
            method,
            path,
            canonical_query,
            "".join(f"{k}:{lower[k]}\n" for k in names),
            ";".join(names),
            _sha256(body),
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + _sha256(canonical.encode())
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


class FakeAliyun:
    def __init__(self, secret: str, answer: dict | None = None, status: int = 200):
        self.secret, self.answer, self.status = secret, answer, status
        self.requests: list[dict] = []

    def __call__(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
        query = parse_qsl(request.query_string.decode(), keep_blank_values=True)
        expected = aliyun_expected_signature(
            method=request.method,
            path=request.path,
            query=query,
            headers=headers,
            body=request.get_data(),
            secret=self.secret,
        )
        self.requests.append({"query": dict(query), "authorization": auth, "headers": headers})
        if not auth.endswith(f"Signature={expected}") or headers.get(
            "x-acs-content-sha256"
        ) != _sha256(request.get_data()):
            body = {"Code": "SignatureDoesNotMatch", "Message": "signature mismatch"}
            return Response(json.dumps(body), status=400, content_type="application/json")
        body = self.answer or {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"}
        return Response(json.dumps(body), status=self.status, content_type="application/json")


# --- Tencent Cloud, "Signature v3" (TC3-HMAC-SHA256) -------------------------------
def tencent_expected_signature(
    *, host: str, content_type: str, body: bytes, timestamp: int, service: str, secret_key: str
) -> str:
    canonical = (
        f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{_sha256(body)}"
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{_sha256(canonical.encode())}"
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class FakeTencent:
    def __init__(self, secret_key: str, answer: dict | None = None):
        self.secret_key, self.answer = secret_key, answer
        self.requests: list[dict] = []

    def __call__(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        timestamp = int(request.headers.get("X-TC-Timestamp", "0"))
        expected = tencent_expected_signature(
            host=request.headers.get("Host", ""),
            content_type=request.headers.get("Content-Type", ""),
            body=request.get_data(),
            timestamp=timestamp,
            service="sms",
            secret_key=self.secret_key,
        )
        body = json.loads(request.get_data() or b"{}")
        self.requests.append(
            {"body": body, "authorization": auth, "action": request.headers.get("X-TC-Action")}
        )
        if not auth.endswith(f"Signature={expected}"):
            answer = {
                "Response": {
                    "Error": {
                        "Code": "AuthFailure.SignatureFailure",
                        "Message": "signature mismatch",
                    },
                    "RequestId": "r1",
                }
            }
            return Response(json.dumps(answer), content_type="application/json")
        answer = self.answer or {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "5000:1045710669157053657849499619",
                        "PhoneNumber": body["PhoneNumberSet"][0],
                        "Fee": 1,
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "r2",
            }
        }
        return Response(json.dumps(answer), content_type="application/json")


def use_fake_aliyun(settings, httpserver, *, secret: str = "ali-secret") -> None:
    """Point the Aliyun sender at ``httpserver`` (the test then says how it answers)."""
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "id"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = secret
    settings.SMS_ALIYUN_SIGN_NAME = "农门"
    settings.SMS_ALIYUN_TEMPLATES = {"login_code": "SMS_1"}
    settings.SMS_ALIYUN_ENDPOINT = httpserver.url_for("/").rstrip("/")
