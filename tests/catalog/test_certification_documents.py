"""Issue 12 item 10: certification documents are PDF, JPEG or PNG by content, limited in
size, stored under a name of what they are, and served as downloads (attachment,
nosniff, sandboxed) so no uploaded file is ever rendered as a page of the site."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import clear_url_caches, resolve

from catalog.models import Certification
from storefront import views
from tests.factories import make_cooperative, make_user
from tests.images import pdf_bytes, photo, pixel_flood_png

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><script>fetch('/api/v1/me/').then(r=>r.text()).then(alert)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.fixture
def staff_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.LANGUAGE_CODE = "en"
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def _upload(client, name: str, data: bytes, content_type: str = "application/octet-stream"):
    coop = make_cooperative()
    return client.post(
        "/admin/catalog/certification/add/",
        {
            "kind": "organic",
            "number": f"CERT-{name}",
            "issuer": "Certifier",
            "cooperative": coop.pk,
            "document": SimpleUploadedFile(name, data, content_type=content_type),
            "_save": "Save",
        },
    )


def _stored(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("cert.html", HTML, "text/html"),
        ("cert.js", b"alert(document.cookie)", "application/javascript"),
        ("cert.svg", SVG, "image/svg+xml"),
        ("cert.pdf", HTML, "application/pdf"),  # named PDF, is HTML
        ("cert.pdf", b"%PDF-1.4\n<html><script>alert(1)</script>", "application/pdf"),  # no EOF
        ("cert.png", pixel_flood_png(), "image/png"),
        ("cert.gif", b"GIF89a" + b"\x00" * 64, "image/gif"),
    ],
    ids=["html", "js", "svg", "html-as-pdf", "pdf-header-html", "pixel-flood", "gif"],
)
def test_a_document_that_is_not_pdf_jpeg_or_png_is_refused(
    staff_client, settings, name, data, content_type
):
    response = _upload(staff_client, name, data, content_type)
    assert response.status_code == 200  # the form again, with the error
    assert "A certificate must be a PDF, JPEG or PNG file." in response.content.decode()
    assert not Certification.objects.exists()
    assert _stored(settings.MEDIA_ROOT) == []


def test_a_document_over_the_size_limit_is_refused(staff_client, settings):
    settings.CERTIFICATION_DOCUMENT_MAX_BYTES = 1024
    response = _upload(staff_client, "big.pdf", pdf_bytes() + b" " * 2048 + b"%%EOF\n")
    assert response.status_code == 200
    assert "The file is larger than 0 MB." in response.content.decode()
    assert not Certification.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "extension"),
    [
        ("evil.html", pdf_bytes(), ".pdf"),
        ("scan.pdf", photo("PNG"), ".png"),
        ("scan", photo("JPEG"), ".jpg"),
    ],
)
def test_a_real_document_is_stored_under_the_extension_of_its_content(
    staff_client, name, data, extension
):
    response = _upload(staff_client, name, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    document = Certification.objects.get().document
    assert document.name.startswith("certifications/") and document.name.endswith(extension)
    assert name not in document.name


def _serve(settings, tmp_path, name: str, data: bytes):
    settings.SERVE_MEDIA = True  # the view answers only when told to serve media
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "certifications").mkdir(exist_ok=True)
    (tmp_path / "certifications" / name).write_bytes(data)
    request = RequestFactory().get(f"/media/certifications/{name}")
    return views.media(request, f"certifications/{name}")


@pytest.mark.parametrize("name", ["old.html", "old.js", "old.svg", "cert.pdf"])
def test_media_other_than_photos_are_downloads_never_pages(settings, tmp_path, name):
    response = _serve(settings, tmp_path, name, HTML)
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_photos_are_still_shown_inline(settings, tmp_path):
    response = _serve(settings, tmp_path, "p.jpg", photo("JPEG"))
    assert response["Content-Type"] == "image/jpeg"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_media_url_is_served_by_that_view(settings):
    import storefront.urls

    settings.DEBUG = True
    try:
        importlib.reload(storefront.urls)
        clear_url_caches()
        match = resolve("/media/certifications/x.pdf", urlconf=storefront.urls)
        assert match.func is views.media
    finally:
        settings.DEBUG = False
        importlib.reload(storefront.urls)
        clear_url_caches()
