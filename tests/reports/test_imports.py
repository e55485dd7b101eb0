"""Product import: dry run listing every error by row and column, all or nothing,
keyed on (cooperative, SKU), stock through stock movements, idempotent, 10,000 rows
within a minute, as a job with progress."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from catalog.constants import StockReason
from catalog.models import Product, StockMovement, Variant
from reports import imports, jobs
from reports.constants import JobStatus
from reports.models import Job
from storefront.errors import NotFound
from tests.factories import (
    assert_stock_ledger_consistent,
    make_category,
    make_cooperative,
    make_manager,
    make_product,
    make_variant,
)

pytestmark = pytest.mark.django_db
HEADER = ["sku", "title", "category", "description", "variant", "price", "stock", "weight_grams"]


def _csv(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _rows(n: int, category: str = "flour", prefix: str = "IMP") -> list[list]:
    # Four variants per product.
    return [
        [
            f"{prefix}-{i:05d}",
            f"Flour {i // 4}",
            category,
            "Stone milled",
            f"{i % 4 + 1} kg",
            "12.50",
            10 + i % 7,
            1000 * (i % 4 + 1),
        ]
        for i in range(n)
    ]


@pytest.fixture
def coop():
    make_category(slug="flour", name="面粉")
    return make_cooperative()


def _check(coop, data: bytes, name="products.csv"):
    return imports.import_check(cooperative=coop, upload=io.BytesIO(data), name=name)


def _apply(coop, data: bytes, name="products.csv", actor=None):
    return imports.import_apply(cooperative=coop, upload=io.BytesIO(data), name=name, actor=actor)


def _state():
    return (
        sorted(Product.objects.values_list("pk", "title", "category_id", "description", "updated")),
        sorted(Variant.objects.values_list("pk", "sku", "name", "price", "weight_grams", "stock")),
        StockMovement.objects.count(),
    )


def test_a_new_file_creates_draft_products_with_opening_stock_as_movements(coop):
    plan = _apply(coop, _csv(_rows(8)))
    assert (plan.new_products, plan.new_variants) == (2, 8)
    assert Product.objects.filter(cooperative=coop, status="draft").count() == 2
    variant = Variant.objects.get(sku="IMP-00005")
    assert (variant.product.title, variant.name, variant.price, variant.stock) == (
        "Flour 1",
        "2 kg",
        Decimal("12.50"),
        15,
    )
    assert variant.movements.get().reason == StockReason.RECEIPT
    assert_stock_ledger_consistent()


def test_the_same_file_twice_changes_nothing_the_second_time(coop):
    data = _csv(_rows(12))
    _apply(coop, data)
    before = _state()
    plan = _apply(coop, data)
    assert (
        plan.new_products,
        plan.updated_products,
        plan.new_variants,
        plan.updated_variants,
        plan.stock_changes,
    ) == (0, 0, 0, 0, 0)
    assert plan.unchanged == 12
    assert _state() == before


def test_stock_in_the_file_is_the_target_recorded_as_a_correction(coop):
    _apply(coop, _csv(_rows(4)))
    rows = _rows(4)
    rows[0][6] = 3  # was 10
    rows[1][5] = "13.00"
    for row in rows:
        row[1] = "Flour renamed"  # the product's title, on every row of its variants
    plan = _apply(coop, _csv(rows))
    assert (plan.stock_changes, plan.updated_variants, plan.updated_products) == (1, 1, 1)
    assert Product.objects.get().title == "Flour renamed"
    # Two titles for variants of one product is an error, not a guess.
    rows[3][1] = "Another title"
    assert [e["column"] for e in _check(coop, _csv(rows)).errors] == ["title"]
    moved = StockMovement.objects.filter(variant__sku="IMP-00000").order_by("id").last()
    assert (moved.delta, moved.reason, moved.balance) == (-7, StockReason.CORRECTION, 3)
    assert Variant.objects.get(sku="IMP-00001").price == Decimal("13.00")
    assert_stock_ledger_consistent()


def test_three_bad_rows_change_nothing_and_are_listed_by_row_and_column(coop):
    _apply(coop, _csv(_rows(4)))
    before = _state()
    rows = _rows(10)
    rows[2][5] = "-1"  # file row 4: price
    rows[5][6] = "many"  # file row 7: stock
    rows[8][2] = "spaceships"  # file row 10: category
    plan = _check(coop, _csv(rows))
    assert [(e["row"], e["column"]) for e in plan.errors] == [
        (4, "price"),
        (7, "stock"),
        (10, "category"),
    ]
    with pytest.raises(imports.ImportRefused) as refused:
        _apply(coop, _csv(rows))
    assert len(refused.value.details["errors"]) == 3
    assert _state() == before


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["", "T", "flour", "", "5 kg", "1.00", 1, 100], "sku"),
        (["A B", "T", "flour", "", "5 kg", "1.00", 1, 100], "sku"),
        (["S1", "", "flour", "", "5 kg", "1.00", 1, 100], "title"),
        (["S1", "T", "flour", "", "", "1.00", 1, 100], "variant"),
        (["S1", "T", "flour", "", "5 kg", "1.001", 1, 100], "price"),
        (["S1", "T", "flour", "", "5 kg", "100000", 1, 100], "price"),
        (["S1", "T", "flour", "", "5 kg", "0", 1, 100], "price"),
        (["S1", "T", "flour", "", "5 kg", "1.00", -1, 100], "stock"),
        (["S1", "T", "flour", "", "5 kg", "1.00", 2.5, 100], "stock"),
        (["S1", "T", "flour", "", "5 kg", "1.00", 10**9, 100], "stock"),
        (["S1", "T", "flour", "", "5 kg", "1.00", 1, 0], "weight_grams"),
        (["S1", "T", "flour", "x" * 5001, "5 kg", "1.00", 1, 100], "description"),
    ],
)
def test_each_bad_cell_is_named(coop, row, column):
    plan = _check(coop, _csv([row]))
    assert [e["column"] for e in plan.errors] == [column]


def test_duplicates_and_another_cooperatives_sku_are_refused(coop):
    other = make_product(cooperative=make_cooperative())
    make_variant(product=other, sku="THEIRS-1")
    rows = _rows(2)
    rows.append(list(rows[0]))  # same SKU twice
    rows.append(["THEIRS-1", "Mine", "flour", "", "1 kg", "1.00", 1, 100])
    rows.append(["NEW-1", "Flour 0", "flour", "Other text", "9 kg", "1.00", 1, 100])
    plan = _check(coop, _csv(rows))
    assert [(e["row"], e["column"]) for e in plan.errors] == [
        (4, "sku"),
        (5, "sku"),
        (6, "description"),
    ]


def test_headers_in_chinese_gb18030_csv_and_xlsx_are_read(coop):
    header = ["货号", "商品名称", "分类", "描述", "规格", "价格", "库存", "重量（克）"]
    data = _csv(
        [["ZH-1", "石磨面粉", "面粉", "", "5 公斤", "¥45.00", 3, 5100]],
        header=header,
        encoding="gb18030",
    )
    assert _check(coop, data).errors == []
    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(["XL-1", "Flour", "flour", "", "5 kg", 39.9, 12.0, 5100])
    out = io.BytesIO()
    workbook.save(out)
    plan = _apply(coop, out.getvalue(), name="p.xlsx")
    assert Variant.objects.get(sku="XL-1").price == Decimal("39.90") and plan.new_variants == 1


def test_unreadable_files_are_refused_with_a_message(coop):
    with pytest.raises(imports.ImportFileError):
        _check(coop, b"not a workbook", name="p.xlsx")
    with pytest.raises(imports.ImportFileError):
        _check(coop, b"", name="p.csv")
    with pytest.raises(imports.ImportFileError):
        _check(coop, _csv([], header=["sku", "title"]))
    with pytest.raises(imports.ImportFileError):
        _check(coop, b"x", name="p.txt")


def test_the_import_pages_run_a_dry_run_job_then_apply_it(
    client, coop, django_capture_on_commit_callbacks
):
    manager = make_manager(coop)
    client.force_login(manager)
    assert client.get("/admin/reports/import/").status_code == 200
    template = client.get("/admin/reports/import/template.csv")
    assert template.content.startswith(b"\xef\xbb\xbfsku,title")
    assert client.get("/admin/reports/import/template.xlsx").status_code == 200
    upload = SimpleUploadedFile("products.csv", _csv(_rows(6)), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/reports/import/", {"cooperative": coop.pk, "file": upload})
    check = Job.objects.get()
    assert response["Location"] == f"/admin/reports/jobs/{check.pk}/"
    assert check.status == JobStatus.DONE and check.result["new_variants"] == 6
    assert not Variant.objects.exists()  # a dry run writes nothing
    page = client.get(check.get_absolute_url()).content.decode()
    assert "Apply this import" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/reports/jobs/{check.pk}/apply/")
    applied = Job.objects.exclude(pk=check.pk).get()
    assert applied.status == JobStatus.DONE and applied.result["applied"]
    assert applied.done == 6 and Variant.objects.count() == 6

    # Another cooperative's manager: not their cooperative, not their job.
    stranger = make_manager(make_cooperative())
    client.force_login(stranger)
    upload = SimpleUploadedFile("products.csv", _csv(_rows(1)), content_type="text/csv")
    assert (
        client.post("/admin/reports/import/", {"cooperative": coop.pk, "file": upload}).status_code
        == 404
    )
    assert client.get(check.get_absolute_url()).status_code == 404
    assert client.post(f"/admin/reports/jobs/{check.pk}/apply/").status_code == 404
    with pytest.raises(NotFound):
        jobs.import_job_apply(user=stranger, checked_job_id=check.pk)


def test_a_dry_run_with_errors_cannot_be_applied(client, coop, django_capture_on_commit_callbacks):
    manager = make_manager(coop)
    client.force_login(manager)
    rows = _rows(2)
    rows[1][5] = "free"
    upload = SimpleUploadedFile("products.csv", _csv(rows), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/reports/import/", {"cooperative": coop.pk, "file": upload})
    check = Job.objects.get()
    page = client.get(check.get_absolute_url()).content.decode()
    assert "nothing was changed" in page and "Apply this import" not in page
    client.post(f"/admin/reports/jobs/{check.pk}/apply/")
    assert Job.objects.count() == 1


@pytest.mark.slow
@pytest.mark.postgres
def test_10000_rows_import_as_jobs_within_a_minute(coop, django_capture_on_commit_callbacks):
    manager = make_manager(coop)
    data = _csv(_rows(10_000))
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        check = jobs.import_job_create(
            user=manager,
            cooperative_id=coop.pk,
            upload=SimpleUploadedFile("big.csv", data),
            name="big.csv",
        )
    with django_capture_on_commit_callbacks(execute=True):
        applied = jobs.import_job_apply(user=manager, checked_job_id=check.pk)
    first = time.monotonic() - started
    check.refresh_from_db()
    applied.refresh_from_db()
    assert check.status == applied.status == JobStatus.DONE, applied.error
    assert check.done == check.total == applied.done == applied.total == 10_000
    assert applied.result["new_variants"] == 10_000 and applied.result["new_products"] == 2_500
    assert first < 60, first
    assert_stock_ledger_consistent()

    before = _state()
    started = time.monotonic()
    again = _apply(coop, data)
    second = time.monotonic() - started
    assert again.unchanged == 10_000 and second < 60
    assert _state() == before
    print(f"\nimport of 10,000 rows (dry run and apply jobs): {first:.1f} s; again: {second:.1f} s")
