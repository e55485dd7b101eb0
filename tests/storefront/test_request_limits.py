import pytest

pytestmark = pytest.mark.django_db


def test_fifty_megabyte_upload_is_refused_before_reading(client):
    response = client.generic(
        "POST",
        "/api/v1/auth/token/",
        data=b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_large_json_body_is_refused(client):
    response = client.generic(
        "POST",
        "/api/v1/auth/token/",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
    )
    assert response.status_code == 413


def test_page_gets_plain_413(client):
    response = client.generic(
        "POST",
        "/",
        data=b"",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413 and b"too large" in response.content


def test_bogus_content_length_is_refused(client):
    response = client.generic(
        "POST",
        "/api/v1/auth/token/",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH="lots",
    )
    assert response.status_code == 413


def test_normal_requests_pass(client):
    assert client.get("/healthz").status_code == 200


def test_api_query_parameter_given_twice_is_refused(client):
    response = client.get("/api/v1/products/?page=1&page=2")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and "page" in body["details"]
    assert client.get("/api/v1/products/?page=1").status_code == 200


def test_product_ordering_is_one_of_four(client):
    assert client.get("/api/v1/products/?ordering=-price").status_code == 200
    for bad in ("-price,title", "price,price", "stock", ""):
        response = client.get(f"/api/v1/products/?ordering={bad}")
        assert response.status_code in (200, 400)
        if bad:
            assert response.status_code == 400, bad


@pytest.mark.parametrize(
    "query",
    [
        "in_stock=AAA",
        "page=",
        "page_size=",
        "min_price=-1",
        "max_price=1e300",
        "min_price=abc",
        "certification=",
        "certification=gold",
        "ordering=",
    ],
)
def test_malformed_catalogue_filters_are_refused(client, query):
    response = client.get(f"/api/v1/products/?{query}")
    assert response.status_code == 400, query
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    "query", ["in_stock=true", "in_stock=false", "min_price=0&max_price=99", "search=%00flour%07"]
)
def test_wellformed_catalogue_filters_pass(client, query):
    assert client.get(f"/api/v1/products/?{query}").status_code == 200


def test_413_speaks_the_requests_language_not_the_previous_ones(client):
    big = {"CONTENT_LENGTH": str(60 * 1024 * 1024), "content_type": "multipart/form-data; b=x"}
    client.get("/", HTTP_ACCEPT_LANGUAGE="ug")  # leaves Uyghur active in this thread
    english = client.generic("POST", "/", data=b"", HTTP_ACCEPT_LANGUAGE="en", **big)
    assert b"too large" in english.content
    chinese = client.generic("POST", "/", data=b"", HTTP_ACCEPT_LANGUAGE="zh-hans", **big)
    assert "MB" in chinese.content.decode() and b"too large" not in chinese.content
