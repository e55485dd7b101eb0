"""Exports: from an admin list with its filters, as a background job with progress, CSV
(UTF-8 with BOM) or XLSX, formula injection escaped, scoped, downloadable only by the
owner, e-mailed, expired after a week; 100,000 lines streamed with flat memory."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.utils import timezone
from openpyxl import load_workbook

from orders.constants import OrderStatus
from orders.models import Order, OrderLine, OrderShipping
from reports import jobs
from reports.constants import JobStatus
from reports.models import Job
from storefront.errors import InvalidInput, NotFound
from storefront.spreadsheet import cell_safe
from tests.factories import (
    ADDRESS,
    make_cooperative,
    make_manager,
    make_paid_order,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_coops():
    coop_a, coop_b = make_cooperative(name="Wheat"), make_cooperative(name="Honey")
    pa = make_product(cooperative=coop_a, title='=HYPERLINK("http://x")', price="10.00")
    pb = make_product(cooperative=coop_b, title="Honey", price="30.00")
    order = make_paid_order(items=[(pa.variants.get(), 2), (pb.variants.get(), 1)])
    other = make_paid_order(items=[(pa.variants.get(), 1)], status=OrderStatus.PENDING_PAYMENT)
    return coop_a, coop_b, order, other


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the code enqueues on commit (the eager task) at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _csv_rows(job: Job) -> list[list[str]]:
    raw = job.file.open("rb").read()
    assert raw.startswith("\ufeff".encode())  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_cell_safe_escapes_formulas_but_not_plain_text():
    for bad in ("=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", " =1", "＝1"):
        assert cell_safe(bad).startswith("'"), bad
    for good in ("Honey", "面粉 5kg", "", "1-2"):
        assert cell_safe(good) == good


def test_a_manager_exports_the_lines_of_the_filtered_list_only_their_cooperative(
    two_coops, on_commit
):
    coop_a, _coop_b, order, _other = two_coops
    manager = make_manager(coop_a)
    manager.email = "m@example.com"
    manager.save()
    with on_commit():
        job = jobs.export_job_create(
            user=manager,
            export="lines",
            fmt="csv",
            source="orders.Order",
            params={"status__exact": ["paid"]},
        )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE  # eager in tests: the task ran on commit
    rows = _csv_rows(job)
    assert rows[0][0] == "order"
    assert [r[0] for r in rows[1:]] == [order.number]  # the pending order is filtered out
    assert rows[1][5] == order.lines.get(cooperative=coop_a).sku  # no line of coop B
    assert rows[1][6].startswith("'=HYPERLINK")  # escaped
    assert rows[1][9] == "20.00"
    assert job.done == job.total == 1 and job.percent == 100
    assert len(mail.outbox) == 1 and f"/admin/reports/jobs/{job.pk}/" in mail.outbox[0].body
    assert job.expires_at > timezone.now() + timedelta(days=6)


def test_orders_export_as_xlsx_keeps_numbers_as_numbers(two_coops, on_commit):
    _coop_a, _coop_b, order, _other = two_coops
    staff = make_user(is_staff=True, is_platform_staff=True)
    with on_commit():
        job = jobs.export_job_create(
            user=staff, export="orders", fmt="xlsx", source="orders.Order", params={}
        )
    job.refresh_from_db()
    sheet = load_workbook(job.file.open("rb"), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("order", "status")
    parts = {(r[0], r[6]): r for r in rows[1:]}
    assert len(parts) == 3  # two cooperatives of one order, one of the other
    row = parts[(order.number, "Honey")]
    assert row[1] == "Paid" and row[9] == 30 and isinstance(row[9], (int, float))
    assert row[7] == ADDRESS["province"]


def test_bad_filters_other_lists_and_formats_are_refused(two_coops):
    coop_a, *_ = two_coops
    manager = make_manager(coop_a)
    with pytest.raises(InvalidInput):
        jobs.export_job_create(
            user=manager, export="lines", fmt="pdf", source="orders.Order", params={}
        )
    with pytest.raises(InvalidInput):
        jobs.export_job_create(
            user=manager, export="ledger", fmt="csv", source="orders.Order", params={}
        )
    with pytest.raises(InvalidInput):
        jobs.export_job_create(
            user=manager,
            export="lines",
            fmt="csv",
            source="orders.Order",
            params={"nope__x": ["1"]},
        )
    with pytest.raises(NotFound):
        jobs.export_job_create(
            user=manager, export="lines", fmt="csv", source="nothing.Here", params={}
        )
    buyer = make_user()
    with pytest.raises(NotFound):
        jobs.export_job_create(
            user=buyer, export="lines", fmt="csv", source="orders.Order", params={}
        )
    assert not Job.objects.exists()


def test_the_job_page_the_download_and_their_scope(client, two_coops, on_commit):
    coop_a, coop_b, _order, _other = two_coops
    manager_a, manager_b = make_manager(coop_a), make_manager(coop_b)
    client.force_login(manager_a)
    changelist = client.get("/admin/orders/order/?status__exact=paid")
    query = {"source": "orders.Order", "export": "lines", "filters": "status__exact=paid"}
    link = f"/admin/reports/export/?{urlencode(query)}"
    assert link.replace("&", "&amp;") in changelist.content.decode()
    page = client.get(link)
    assert page.status_code == 200 and "1 row will be written" in page.content.decode()
    with on_commit():
        response = client.post(
            "/admin/reports/export/",
            {
                "source": "orders.Order",
                "export": "lines",
                "filters": "status__exact=paid",
                "format": "csv",
            },
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/reports/jobs/{job.pk}/"
    status = client.get(f"/admin/reports/jobs/{job.pk}/status/").json()
    assert status["finished"] and status["percent"] == 100
    download = client.get(f"/admin/reports/jobs/{job.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(
        b"\xef\xbb\xbf"
    )

    client.force_login(manager_b)
    for url in ("", "status/", "download/"):
        assert client.get(f"/admin/reports/jobs/{job.pk}/{url}").status_code == 404
    # The owner who no longer manages the cooperative cannot download it either.
    manager_a.memberships.all().delete()
    manager_a.is_staff = True
    manager_a.save()
    from tests.factories import make_cooperative as mk

    make_manager(mk(), username=None)  # unrelated
    client.force_login(manager_a)
    assert client.get(f"/admin/reports/jobs/{job.pk}/download/").status_code == 404


def test_files_expire_after_a_week(two_coops, on_commit):
    staff = make_user(is_staff=True, is_platform_staff=True)
    with on_commit():
        job = jobs.export_job_create(
            user=staff, export="orders", fmt="csv", source="orders.Order", params={}
        )
    job.refresh_from_db()
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    assert jobs.jobs_expire(now=timezone.now() + timedelta(days=6)) == 0
    assert jobs.jobs_expire(now=timezone.now() + timedelta(days=8)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.EXPIRED and not job.file and not storage.exists(name)


def _bulk_lines(count: int, coop, variant, prefix: str) -> None:
    """``count`` order lines in orders of 5, written in bulk."""
    user = make_user()
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            number=f"{prefix}{i:08d}",
            user=user,
            status=OrderStatus.PAID,
            subtotal=Decimal("50.00"),
            shipping_fee=Decimal("0.00"),
            total=Decimal("50.00"),
            shipping_address=ADDRESS,
            expires_at=now,
            paid_at=now,
        )
        for i in range(count // 5)
    )
    OrderLine.objects.bulk_create(
        (
            OrderLine(
                order=o,
                variant=variant,
                cooperative=coop,
                sku=variant.sku,
                title="Flour 5 kg",
                unit_price=Decimal("10.00"),
                quantity=1,
                line_total=Decimal("10.00"),
                weight_grams=5100,
            )
            for o in orders
            for _ in range(5)
        ),
        batch_size=5000,
    )
    OrderShipping.objects.bulk_create(
        (
            OrderShipping(
                order=o, cooperative=coop, goods_total=Decimal("50.00"), weight_grams=1, fee=0
            )
            for o in orders
        ),
        batch_size=5000,
    )


def _export(staff, fmt: str, *, traced: bool = False) -> tuple[float, int, Job]:
    """Run one export job; its time (untraced: tracemalloc slows Python down several
    times) or its peak of Python memory (traced)."""
    if traced:
        tracemalloc.start()
    started = time.monotonic()
    job = jobs.export_job_create(
        user=staff, export="lines", fmt=fmt, source="orders.Order", params={}
    )
    elapsed = time.monotonic() - started
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    job.refresh_from_db()
    return elapsed, peak, job


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100000_lines_export_as_a_job_within_a_minute_with_flat_memory(monkeypatch):
    coop = make_cooperative()
    variant = make_product(cooperative=coop).variants.get()
    staff = make_user(is_staff=True, is_platform_staff=True)
    progress: list[int] = []
    from reports import progress as progress_module

    original = progress_module.Progress._write

    def spy(self):
        progress.append(self.done)
        return original(self)

    monkeypatch.setattr(progress_module.Progress, "_write", spy)
    monkeypatch.setattr(progress_module, "WRITE_EVERY_SECONDS", 0)

    _bulk_lines(10_000, coop, variant, "A")
    _time, small_peak, small = _export(staff, "csv", traced=True)
    assert small.status == JobStatus.DONE and small.total == 10_000

    _bulk_lines(90_000, coop, variant, "B")
    _time, big_peak, _big = _export(staff, "csv", traced=True)
    # Ten times the rows, not ten times the memory: streamed, never held whole.
    assert big_peak < small_peak * 1.5 + 1_000_000, (small_peak, big_peak)

    progress.clear()
    csv_time, _peak, job = _export(staff, "csv")
    assert job.status == JobStatus.DONE and job.done == job.total == 100_000
    assert csv_time < 60, csv_time
    # Progress was reported while it ran, rising to the end.
    assert len(progress) >= 10 and progress == sorted(progress) and progress[-1] == 100_000
    assert sum(1 for _ in job.file.open("rb")) - 1 == 100_000

    xlsx_time, _peak, xlsx = _export(staff, "xlsx")
    assert xlsx.status == JobStatus.DONE and xlsx.done == 100_000
    assert xlsx_time < 60, xlsx_time
    print(
        f"\nexport of 100,000 lines: csv {csv_time:.1f} s, xlsx {xlsx_time:.1f} s; "
        f"peak Python memory 10,000 lines {small_peak / 1e6:.1f} MB, "
        f"100,000 lines {big_peak / 1e6:.1f} MB"
    )
