import pytest
from django.core.management import call_command

from catalog.constants import StockReason
from catalog.demo import load_demo
from catalog.models import Batch, Cooperative, Product, ProductImage, Variant
from catalog.qr import trace_url
from catalog.stock import stock_adjust
from tests.factories import assert_stock_ledger_consistent, make_batch, make_product

pytestmark = pytest.mark.django_db


def test_demo_loader_is_idempotent():
    first = load_demo()
    sold = Variant.objects.get(sku="JMN-BF-5")
    stock_adjust(variant_id=sold.pk, delta=-3, reason=StockReason.CORRECTION)  # some went
    images = ProductImage.objects.count()
    second = load_demo()
    assert first == second
    assert Variant.objects.get(sku="JMN-BF-5").stock == sold.stock - 3
    assert_stock_ledger_consistent()
    assert ProductImage.objects.count() == images
    jeminay = Cooperative.objects.get(slug="jeminay-golden-wheat")
    assert jeminay.county.province.startswith("新疆")
    assert Product.objects.filter(cooperative=jeminay).count() >= 3
    assert set(
        Variant.objects.filter(product__cooperative=jeminay).values_list("name", flat=True)
    ) >= {"5 kg 袋", "10 kg 袋", "25 kg 袋"}
    assert Cooperative.objects.count() >= 5
    assert all(img.thumbnail for img in ProductImage.objects.all())


def test_load_demo_command_prints_logins(capsys):
    call_command("load_demo", "--no-photos")
    out = capsys.readouterr().out
    assert "jeminay-manager" in out and "farmgate-demo" in out


def test_home_lists_cooperatives(client):
    load_demo(with_photos=False)
    response = client.get("/")
    assert response.status_code == 200
    assert "吉木乃县金麦田面粉专业合作社" in response.content.decode()


def test_trace_page_shows_the_batch_and_qr(client):
    product = make_product(title="Stone flour", origin="Tost")
    batch = make_batch(product=product, code="JMN-TEST-1")
    response = client.get(f"/trace/{batch.code}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Stone flour" in body and "JMN-TEST-1" in body and "13.5" in body
    assert "<svg" in body


def test_trace_unknown_batch_is_404(client):
    assert client.get("/trace/NOPE/").status_code == 404


def test_qr_code_encodes_the_public_trace_url(settings):
    settings.PUBLIC_BASE_URL = "https://farmgate.example"
    assert trace_url("JMN-2026-09-A") == "https://farmgate.example/trace/JMN-2026-09-A/"
    import io

    import segno
    from PIL import Image

    from catalog.qr import trace_qr_png

    png = trace_qr_png("JMN-2026-09-A")
    assert Image.open(io.BytesIO(png)).format == "PNG"
    expected = segno.make("https://farmgate.example/trace/JMN-2026-09-A/", error="m")
    assert expected.designator  # segno encodes exactly that URL (same input → same matrix)
    out = io.BytesIO()
    expected.save(out, kind="png", scale=6)
    assert out.getvalue() == png


def test_batch_absolute_url_is_the_trace_page():
    batch = make_batch(product=make_product(), code="X-1")
    assert batch.get_absolute_url() == "/trace/X-1/"
    assert Batch.objects.get(code="X-1")


@pytest.mark.parametrize(
    ("status", "found"),
    [("active", True), ("archived", True), ("draft", False), ("rejected", False)],
)
def test_trace_shows_only_products_that_have_been_on_sale(client, status, found):
    batch = make_batch(product=make_product(status=status), code=f"T-{status}")
    assert (client.get(f"/trace/{batch.code}/").status_code == 200) is found
    assert (client.get(f"/api/v1/trace/{batch.code}/").status_code == 200) is found


def test_load_demo_creates_no_superuser_unless_debug_or_asked(settings, capsys):
    from accounts.models import User

    settings.DEBUG = False
    call_command("load_demo", "--no-photos")
    assert not User.objects.filter(username="admin").exists()
    assert not User.objects.filter(is_superuser=True).exists()
    assert "farmgate-admin" not in capsys.readouterr().out

    call_command("load_demo", "--no-photos", "--with-admin")
    assert User.objects.get(username="admin").is_superuser
    assert "farmgate-admin" in capsys.readouterr().out


def test_load_demo_creates_the_superuser_with_debug_on(settings):
    from accounts.models import User

    settings.DEBUG = True
    call_command("load_demo", "--no-photos")
    assert User.objects.get(username="admin").is_superuser


def test_load_demo_refuses_the_superuser_under_production_settings(settings):
    from django.core.management import CommandError

    from accounts.models import User

    settings.DEBUG = True  # even then: production.py turns the superuser off
    settings.DEMO_SUPERUSER_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo", "--no-photos", "--with-admin")
    call_command("load_demo", "--no-photos")
    assert not User.objects.filter(is_superuser=True).exists()
