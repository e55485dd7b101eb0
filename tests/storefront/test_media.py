"""Uploaded files: on S3-compatible object storage (a local moto server plays OSS/COS/S3),
chosen by settings; and on a single host, served by the app from MEDIA_ROOT with safe
headers, private files never."""

from __future__ import annotations

import io
import json
import socket

import boto3
import httpx
import pytest
from django.conf import settings
from django.test import override_settings

from catalog.services import product_image_add
from tests.factories import make_product
from tests.images import photo

from .helpers import run_django

BUCKET = "farmgate-media"
KEYS = {"S3_ACCESS_KEY_ID": "AKIAFARMGATETEST", "S3_SECRET_ACCESS_KEY": "s3-Secret-key-0123"}


def _storages_from_env(**env) -> dict:
    """STORAGES as the settings build it from these variables (a fresh process)."""
    result = run_django(
        "import json\nfrom django.conf import settings as s\nprint(json.dumps(s.STORAGES))", **env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint, client
    finally:
        server.stop()


@pytest.mark.django_db
def test_photos_go_to_object_storage_with_signed_urls(
    s3_server, django_capture_on_commit_callbacks
):
    endpoint, client = s3_server
    storages = _storages_from_env(
        MEDIA_STORAGE="s3",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=endpoint,
        S3_REGION="us-east-1",
        S3_ADDRESSING_STYLE="path",
        **KEYS,
    )
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    product = make_product()
    with (
        override_settings(STORAGES={**settings.STORAGES, "default": storages["default"]}),
        django_capture_on_commit_callbacks(execute=True),
    ):
        image = product_image_add(product=product, upload=io.BytesIO(photo()), alt="flour")
    image.refresh_from_db()
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    # The photo and the thumbnail the media task rendered from it (read back from S3).
    assert f"media/{image.image.name}" in keys
    assert f"media/{image.thumbnail.name}" in keys
    with override_settings(STORAGES={**settings.STORAGES, "default": storages["default"]}):
        image.refresh_from_db()
        url = image.image.url
    assert url.startswith(f"{endpoint}/{BUCKET}/media/products/")
    assert "X-Amz-Signature=" in url  # private objects, signed links
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    stored = client.get_object(Bucket=BUCKET, Key=f"media/{image.image.name}")["Body"].read()
    assert fetched.content == stored and stored[:3] == b"\xff\xd8\xff"  # re-encoded JPEG
    assert httpx.get(url.split("?")[0]).status_code == 403  # no signature, no file


def test_plain_urls_on_a_cdn_domain_when_asked():
    storages = _storages_from_env(
        MEDIA_STORAGE="s3",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL="https://oss-cn-hangzhou.aliyuncs.com",
        S3_REGION="oss-cn-hangzhou",
        S3_ADDRESSING_STYLE="virtual",
        S3_CUSTOM_DOMAIN="media.shop.example.cn",
        S3_QUERYSTRING_AUTH="0",
        **KEYS,
    )
    options = storages["default"]["OPTIONS"]
    assert options["endpoint_url"] == "https://oss-cn-hangzhou.aliyuncs.com"
    assert options["addressing_style"] == "virtual"
    from storages.backends.s3 import S3Storage

    storage = S3Storage(**options)
    assert storage.url("products/1/a.jpg") == "https://media.shop.example.cn/media/products/1/a.jpg"


def test_object_storage_needs_a_bucket_and_filesystem_stays_the_default():
    assert (
        _storages_from_env()["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    )
    result = run_django("", MEDIA_STORAGE="s3")
    assert result.returncode != 0 and "S3_BUCKET" in result.stderr


# --- a single host: the app serves MEDIA_ROOT ---------------------------------------
@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "products" / "1").mkdir(parents=True)
    (tmp_path / "products" / "1" / "p.jpg").write_bytes(photo())
    (tmp_path / "products" / "1" / "evil.html").write_text("<script>alert(1)</script>")
    (tmp_path / "packing-slips").mkdir()
    (tmp_path / "packing-slips" / "FG1-1.pdf").write_bytes(b"%PDF-1.4 address of a buyer")
    return tmp_path


def test_serve_media_serves_photos_with_safe_headers(client, media_root, settings):
    settings.SERVE_MEDIA = True
    response = client.get("/media/products/1/p.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    # Anything not an image is a download, and cannot run script even if opened.
    page = client.get("/media/products/1/evil.html")
    assert page["Content-Disposition"] == "attachment"
    assert page["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_private_files_and_paths_outside_are_never_served(client, media_root, settings):
    settings.SERVE_MEDIA = True
    assert client.get("/media/packing-slips/FG1-1.pdf").status_code == 404
    assert client.get("/media/products/../packing-slips/FG1-1.pdf").status_code == 404
    assert client.get("/media/./packing-slips/FG1-1.pdf").status_code == 404
    assert client.get("/media/..%2f..%2fetc/passwd").status_code == 404
    assert client.get("/media/products/1/missing.jpg").status_code == 404
    assert client.post("/media/products/1/p.jpg").status_code == 405


def test_media_is_not_served_unless_asked(client, media_root, settings):
    settings.SERVE_MEDIA = False
    settings.DEBUG = False
    assert client.get("/media/products/1/p.jpg").status_code == 404
