import pytest

from catalog import services
from storefront.text import clean_line, clean_multiline
from tests.factories import make_category, make_cooperative, make_product

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>Fine <b>flour</b>'


def test_clean_multiline_removes_markup_and_keeps_text():
    assert clean_multiline(XSS) == "Fine flour"
    assert clean_multiline("a & b < c") == "a & b < c"  # plain text survives as text
    assert clean_multiline("one\r\n\r\n\r\n\r\ntwo\x00\u202e") == "one\n\ntwo"


def test_clean_line_strips_controls_and_newlines():
    assert clean_line(" 5\tkg\nbag\x07 ") == "5 kg bag"
    assert clean_line("x" * 300, max_length=10) == "x" * 10


@pytest.mark.django_db
def test_product_services_store_clean_text():
    product = services.product_create(
        cooperative=make_cooperative(),
        category=make_category(),
        title="<b>Stone</b> flour\x00",
        description=XSS,
        origin="Tost\u202e",
    )
    assert product.title == "Stone flour"
    assert product.description == "Fine flour"
    assert product.origin == "Tost"
    product = services.product_update(product=product, description="<iframe src=//evil>ok")
    assert product.description == "ok"


@pytest.mark.django_db
def test_stored_xss_never_reaches_the_storefront(client):
    product = make_product()
    services.product_update(product=product, description=XSS)
    body = client.get(product.get_absolute_url()).content.decode()
    assert "<script>alert" not in body and "onerror" not in body
    assert "Fine flour" in body
