"""QR codes are made in one place (storefront.qr): batch trace codes, WeChat Pay's native
code on the pay page and the sandbox wallet's link all come from it."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import segno
from django.utils.safestring import SafeString
from PIL import Image

from catalog.qr import trace_qr_png, trace_qr_svg, trace_url
from payments import services as payments
from storefront.qr import qr_png, qr_svg
from tests.factories import make_batch, make_order, make_product, make_user

ROOT = Path(__file__).resolve().parents[2]


def test_the_svg_is_segnos_inline_svg_marked_safe():
    svg = qr_svg("https://farmgate.example/x/", scale=5, title="Batch <1>")
    assert isinstance(svg, SafeString)
    expected = segno.make("https://farmgate.example/x/", error="m")
    assert svg == expected.svg_inline(scale=5, title="Batch <1>")
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert "<title>Batch &lt;1&gt;</title>" in svg  # segno escapes the title


def test_the_png_is_segnos_png():
    png = qr_png("weixin://wxpay/bizpayurl?pr=abc", scale=3)
    assert Image.open(io.BytesIO(png)).format == "PNG"
    out = io.BytesIO()
    segno.make("weixin://wxpay/bizpayurl?pr=abc", error="m").save(out, kind="png", scale=3)
    assert out.getvalue() == png


def test_trace_codes_come_from_the_site_helper(settings):
    settings.PUBLIC_BASE_URL = "https://farmgate.example"
    url = trace_url("JMN-1")
    assert trace_qr_svg("JMN-1") == qr_svg(url, scale=4, title="Batch JMN-1")
    assert trace_qr_png("JMN-1") == qr_png(url, scale=6)


@pytest.mark.django_db
def test_the_trace_page_shows_the_trace_code(client):
    batch = make_batch(product=make_product(), code="JMN-QR-1")
    body = client.get(f"/trace/{batch.code}/").content.decode()
    assert trace_qr_svg(batch.code) in body


@pytest.mark.django_db
def test_the_wechat_pay_page_shows_the_code_url(client, monkeypatch):
    user = make_user()
    order = make_order(user=user)
    code_url = "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
    monkeypatch.setattr(
        "lifecycle.views.payment_start",
        lambda **kw: SimpleNamespace(client_payload={"code_url": code_url}),
    )
    client.force_login(user)
    page = client.post(f"/orders/{order.number}/pay/", {"provider": "wechat"})
    assert page.status_code == 200
    assert qr_svg(code_url, scale=5) in page.content.decode()


@pytest.mark.django_db
def test_the_sandbox_wallet_page_shows_its_own_link(client):
    payment = payments.payment_start(order=make_order(), provider="sandbox")
    path = payment.client_payload["pay_url"].removeprefix("http://testserver")
    body = client.get(path).content.decode()
    page_url = f"http://testserver{path}"
    assert qr_svg(page_url, scale=4, title=page_url) in body


def test_no_other_module_makes_qr_codes():
    uses_segno = re.compile(r"^\s*(import segno|from segno)", re.MULTILINE)
    skipped = {"tests", ".venv", "node_modules"}
    found = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if not skipped & set(path.relative_to(ROOT).parts)
        and not path.relative_to(ROOT).parts[0].startswith(".")
        and uses_segno.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == ["storefront/qr.py"]
