"""Issue 12 item 14: signed callbacks are checked on the raw body before anything
parses it, the ``t=…,v1=…`` header is parsed strictly (ASCII digits only: ``²`` passes
``str.isdigit`` and fails ``int``), and no JSON body, signed or not, nests deeper than
``storefront.jsonsafe.MAX_DEPTH`` (200,000 ``[`` used to raise ``RecursionError``).
Each case answers a 4xx with its error body, never a 500, and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from fulfilment import carriers
from orders.models import CartItem
from payments.models import PaymentNotification
from storefront import jsonsafe, signing
from tests.factories import make_cooperative, make_farmer, make_payment, make_product, make_user
from tests.payments.signers import sandbox_body, sandbox_headers

pytestmark = [pytest.mark.resilience, pytest.mark.django_db]

SANDBOX_URL = "/api/v1/payments/callbacks/sandbox/"
CARRIER_URL = "/api/v1/fulfilment/carrier-events/"
CARRIER_SECRETS = {"sf": "sf-test-secret", "ems": "ems-test-secret"}
DEEP = b"[" * 200_000
MAC = "0" * 64


@pytest.fixture(autouse=True)
def _carriers(settings):
    settings.CARRIER_WEBHOOK_SECRETS = CARRIER_SECRETS


def _client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "header",
    [
        f"t=²,v1={MAC}",
        f"t=٣٣,v1={MAC}",
        f"t=1e3,v1={MAC}",
        f"t=,v1={MAC}",
        f"t=-5,v1={MAC}",
        f"t={'9' * 40},v1={MAC}",
        f"t=1,t=2,v1={MAC}",
        "t=1,v1=zz",
        "t=1,v1=",
        "t=1",
        "garbage",
        "",
    ],
)
def test_a_malformed_sandbox_signature_is_refused_not_a_500(header):
    payment = make_payment(provider="sandbox")
    body = sandbox_body(payment.out_trade_no, f"{payment.amount}")
    response = _client().post(
        SANDBOX_URL, body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=header
    )
    assert response.status_code == 401, response.content[:300]
    assert response.json()["code"] == "bad_signature"
    assert not PaymentNotification.objects.exists()


def test_a_deep_sandbox_body_is_refused_before_parsing_and_when_signed():
    make_payment(provider="sandbox")
    unsigned = _client().post(
        SANDBOX_URL, DEEP, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=f"t=1,v1={MAC}"
    )
    assert unsigned.status_code == 401
    signed = _client().post(
        SANDBOX_URL, DEEP, content_type="application/json", **sandbox_headers(DEEP)
    )
    assert signed.status_code == 401 and signed.json()["code"] == "malformed"
    assert not PaymentNotification.objects.exists()


def _carrier_post(body: bytes, header: str | None):
    extra = {"HTTP_X_CARRIER_SIGNATURE": header} if header is not None else {}
    return _client().generic("POST", CARRIER_URL, body, content_type="application/json", **extra)


@pytest.mark.parametrize("header", [None, f"t=²,v1={MAC}", f"t={int(time.time())},v1={MAC}"])
def test_an_unsigned_deep_carrier_body_is_401_before_it_is_parsed(header):
    response = _carrier_post(DEEP, header)
    assert response.status_code == 401, response.content[:300]
    assert response.json()["error"]["code"] == "invalid_signature"


def test_a_signed_deep_carrier_body_is_a_400_not_a_500():
    for body in (DEEP, b"[" * 40 + b"]" * 40):
        response = _carrier_post(body, carriers.sign(CARRIER_SECRETS["sf"], body))
        assert response.status_code == 400, response.content[:300]
        assert response.json()["error"]["code"] == "invalid"


def test_a_carrier_cannot_report_as_another():
    body = json.dumps(
        {"id": "e1", "carrier": "ems", "tracking_number": "EMS1", "status": "delivered"}
    ).encode()
    response = _carrier_post(body, carriers.sign(CARRIER_SECRETS["sf"], body))
    assert response.status_code == 401
    response = _carrier_post(body, carriers.sign(CARRIER_SECRETS["ems"], body))
    # Authentic now: refused for what it says (no such parcel), not for who signed it.
    assert response.status_code != 401
    assert response.json()["error"]["code"] != "invalid_signature"


@pytest.mark.parametrize(
    "body",
    [DEEP, b"{" * 100_000, b'{"a":' * 50_000, b"[" * 40 + b"]" * 40],
    ids=["brackets", "braces", "objects", "closed-40"],
)
def test_every_json_body_of_the_api_has_a_nesting_cap(body):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(make_user())
    for url in ("/api/v1/cart/items/", "/api/v1/orders/", "/api/v1/auth/token/"):
        response = client.generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content[:300])
        assert response.json()["error"]["code"] == "parse_error"
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("method", ["post", "get"])
def test_the_stock_page_with_variant_abc_is_404(method):
    coop = make_cooperative()
    make_product(cooperative=coop)
    client = _client()
    client.force_login(make_farmer(coop))
    # The page lists rows on GET (a stray query is ignored); a row saves to
    # /farm/stock/<variant id>/, so a variant that is no id is no page.
    if method == "get":
        assert client.get("/farm/stock/?variant=abc").status_code == 200
    else:
        assert client.post("/farm/stock/abc/", {"stock_delta": "3"}).status_code == 404


def test_signing_parses_strictly_and_checks_the_mac_before_the_time():
    body = b'{"x": 1}'
    header = signing.sign("s3cret", body, timestamp=1_000)
    assert signing.parse(header)[0] == 1_000
    assert (
        signing.verify(secrets=["other", "s3cret"], body=body, header=header, now=1_010) == "s3cret"
    )
    with pytest.raises(signing.SignatureError) as stale:
        signing.verify(secrets=["s3cret"], body=body, header=header, now=9_999)
    assert stale.value.code == "stale"
    with pytest.raises(signing.SignatureError) as forged:  # forged and old: "mismatch"
        signing.verify(secrets=["nope"], body=body, header=header, now=9_999)
    assert forged.value.code == "mismatch"
    for bad in (None, "", "t=²,v1=" + MAC, "t=1," + "v1=" + MAC[:-1], "t=1,t=1,v1=" + MAC):
        with pytest.raises(signing.SignatureError):
            signing.parse(bad)
    mac = hmac.new(b"k", b"7." + body, hashlib.sha256).hexdigest()
    assert signing.sign("k", body, timestamp=7) == f"t=7,v1={mac}"


def test_jsonsafe_caps_depth_without_recursing():
    assert jsonsafe.loads("[[1]]") == [[1]]
    assert jsonsafe.depth({"a": [{"b": 1}]}) == 3
    with pytest.raises(jsonsafe.JsonTooDeep):
        jsonsafe.loads(DEEP)
    with pytest.raises(jsonsafe.JsonTooDeep):
        jsonsafe.loads("[" * (jsonsafe.MAX_DEPTH + 1) + "]" * (jsonsafe.MAX_DEPTH + 1))
    assert jsonsafe.loads("[" * jsonsafe.MAX_DEPTH + "]" * jsonsafe.MAX_DEPTH)
