import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import cache as catalog_cache
from catalog import services
from catalog.exceptions import ImageRejected
from catalog.images import clean_photo
from catalog.models import ProductImage
from tests import images
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepts_jpeg_png_and_webp(fmt):
    clean = clean_photo(upload(images.photo(fmt)))
    assert clean.width == 640 and clean.height == 480
    assert Image.open(io.BytesIO(clean.content)).format == fmt


def test_exif_and_gps_are_removed():
    raw = images.photo("JPEG", exif_gps=True)
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825), "fixture must carry GPS"
    product = make_product()
    image = services.product_image_add(product=product, upload=upload(raw))
    with image.image.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
        assert not stored.getexif()
        assert "exif" not in stored.info
    assert image.width == 640 and image.height == 480
    # the stored name is ours, not the farmer's
    assert "photo" not in image.image.name.rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"hello, I am a text file\n" * 10, "photo.jpg", "image_invalid"),
        (images.pdf_bytes(), "photo.jpg", "image_invalid"),
        (images.photo("GIF"), "photo.gif", "image_invalid"),
        (images.photo("BMP"), "photo.bmp", "image_invalid"),
        (images.pixel_flood_png(), "flood.png", "image_too_many_pixels"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "cut.jpg", "image_invalid"),
    ],
)
def test_refused_uploads_leave_nothing_behind(data, name, code):
    product = make_product()
    with pytest.raises(ImageRejected) as exc:
        services.product_image_add(product=product, upload=upload(data, name))
    assert exc.value.code == code
    assert not ProductImage.objects.exists()


def test_pixel_limit_is_checked_before_decoding(settings, monkeypatch):
    called = []
    monkeypatch.setattr(Image.Image, "load", lambda self: called.append(1))
    with pytest.raises(ImageRejected):
        clean_photo(upload(images.pixel_flood_png()))
    assert not called


def test_oversized_upload_is_refused_by_size_before_reading(settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ImageRejected) as exc:
        clean_photo(upload(images.photo("JPEG", size=(800, 800))))
    assert exc.value.code == "image_too_large"


def test_eight_megabytes_is_the_default_limit():
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\x00" * (8 * 1024 * 1024 + 1))
    with pytest.raises(ImageRejected) as exc:
        clean_photo(big)
    assert exc.value.code == "image_too_large"


def test_thumbnail_task_renders_once(django_capture_on_commit_callbacks):
    product = make_product()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        image = services.product_image_add(product=product, upload=upload(images.photo()))
    # The thumbnail task was sent on commit (besides the catalogue cache's version bump).
    assert len([c for c in callbacks if c is not catalog_cache._bump]) == 1
    image.refresh_from_db()
    assert image.thumbnail.name.endswith(".webp")
    with image.thumbnail.open("rb") as f:
        thumb = Image.open(io.BytesIO(f.read()))
        assert max(thumb.size) <= 480
    # running the task again changes nothing
    from catalog.tasks import product_image_thumbnail_task

    assert product_image_thumbnail_task.apply(args=[image.pk]).get() is False
    assert product_image_thumbnail_task.apply(args=[999999]).get() is False
