"""Hostile input end to end, through the farmer portal and the API: uploads refused
early with a clear message and no file left behind, body size limits, control
characters stripped, and markup in a product description never reaching the
storefront as HTML."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from django.test import Client

from catalog.constants import ProductStatus
from catalog.models import ProductImage
from catalog.services import membership_grant
from tests import images
from tests.factories import make_product, make_user

pytestmark = [pytest.mark.resilience, pytest.mark.django_db]


def _files(root: str) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


@pytest.fixture
def farmer_client(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    product = make_product(status=ProductStatus.DRAFT)
    farmer = make_user()
    membership_grant(user=farmer, cooperative=product.cooperative, role="farmer")
    client = Client()
    client.force_login(farmer)
    return client, product


def _decompression_bomb() -> bytes:
    """A small PNG whose IDAT inflates to gigabytes (header says 50 000 × 50 000)."""
    import struct

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 10_000_000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script></svg>"
)
# A GIF header followed by HTML/JS: a classic polyglot.
POLYGLOT = b"GIF89a/*\x00\x00\x00\x00*/=1;alert(1)//<html><script>alert(1)</script>" + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (images.pixel_flood_png(), "flood.png"),
        (_decompression_bomb(), "bomb.png"),
        (SVG, "photo.svg"),
        (SVG, "photo.jpg"),
        (POLYGLOT, "photo.jpg"),
        (images.pdf_bytes(), "photo.png"),
    ],
    ids=["pixel-flood", "decompression-bomb", "svg", "svg-as-jpg", "polyglot", "pdf-as-png"],
)
def test_hostile_photos_are_refused_with_a_message_and_leave_nothing(farmer_client, data, name):
    client, product = farmer_client
    upload = io.BytesIO(data)
    upload.name = name
    response = client.post(f"/farm/products/{product.pk}/photos/", {"photos": [upload]})
    assert response.status_code in (302, 400), response.status_code
    page = client.get(f"/farm/products/{product.pk}/")
    messages = [str(m) for m in page.context["messages"]] if page.context else []
    assert messages, "the farmer is told why"
    assert not ProductImage.objects.exists()
    from django.conf import settings

    assert _files(settings.MEDIA_ROOT) == []


def test_a_50_megabyte_upload_is_refused_before_it_is_read(farmer_client, settings):
    client, product = farmer_client
    boundary = "BoUnDaRy"
    response = client.generic(
        "POST",
        f"/farm/products/{product.pk}/photos/",
        data=b"x" * 16,
        content_type=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert _files(settings.MEDIA_ROOT) == []


def test_api_bodies_are_limited(api_client):
    response = api_client.generic(
        "POST",
        "/api/v1/auth/token/",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(5 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_markup_and_control_characters_never_reach_the_storefront(client):
    from catalog import services

    farmer = make_user()
    product = make_product()
    membership_grant(user=farmer, cooperative=product.cooperative, role="farmer")
    draft = services.product_create(
        cooperative=product.cooperative,
        farmer=farmer,
        category=product.category,
        title="Flour\x00\x1b[31m <b>best</b>",
        description='<img src=x onerror="alert(1)"><script>alert(2)</script>Stone-milled\x07',
    )
    from catalog.models import Product

    Product.objects.filter(pk=draft.pk).update(status=ProductStatus.ACTIVE)
    draft.refresh_from_db()
    assert "\x00" not in draft.title and "\x1b" not in draft.title
    assert "\x07" not in draft.description
    page = client.get(f"/products/{draft.slug}/").content.decode()
    assert "Stone-milled" in page
    assert "<script>alert(2)" not in page
    assert "onerror" not in page
    assert "<img src=x" not in page
    api = client.get(f"/api/v1/products/{draft.slug}/").json()
    assert "<script>" not in api["description"]
