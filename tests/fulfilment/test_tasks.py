"""Each task run twice changes nothing the second time; slips; e-mail retries."""

import io

import pytest
from django.core import mail
from pypdf import PdfReader

from fulfilment import services, tasks
from fulfilment.models import Shipment, ShipmentLine, TrackingEvent
from fulfilment.slips import find_cjk_font
from lifecycle import tasks as lifecycle_tasks
from orders.constants import OrderStatus
from tests.factories import make_carriers, make_manager, make_paid_order, make_two_coop_order

from . import failing_mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _carriers():
    make_carriers()


def _state():
    return (
        list(
            Shipment.objects.order_by("pk").values_list(
                "pk",
                "status",
                "updated",
                "packing_slip",
                "managers_notified_at",
                "buyer_notified_at",
            )
        ),
        ShipmentLine.objects.count(),
        TrackingEvent.objects.count(),
        len(mail.outbox),
    )


def _with_managers(order):
    for line in order.lines.all():
        manager = make_manager(line.cooperative)
        manager.email = f"{manager.username}@example.com"
        manager.save()


def test_every_task_run_twice_changes_nothing_the_second_time(
    django_capture_on_commit_callbacks, settings
):
    settings.AUTO_DELIVER_DAYS = 0
    settings.RETURN_WINDOW_DAYS = 0
    order, *_ = make_two_coop_order()
    _with_managers(order)

    def twice(task, *args):
        with django_capture_on_commit_callbacks(execute=True):
            task.delay(*args)
        after_first = _state()
        with django_capture_on_commit_callbacks(execute=True):
            task.delay(*args)
        assert _state() == after_first, task.name
        return after_first

    state = twice(tasks.shipments_create_task, order.pk)
    assert len(state[0]) == 2 and state[3] == 2  # two shipments, one e-mail per cooperative
    a, b = Shipment.objects.order_by("pk")
    for shipment in (a, b):
        twice(tasks.shipment_notify_managers_task, shipment.pk)
        twice(tasks.shipment_render_packing_slip_task, shipment.pk)
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF1234567890")
    services.shipment_mark_shipped(shipment_id=b.pk, carrier="sf", tracking_number="SF1234567891")
    for shipment in (a, b):
        twice(tasks.shipment_notify_buyer_shipped_task, shipment.pk)
    twice(tasks.shipments_auto_deliver_task)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    twice(lifecycle_tasks.orders_complete_task)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_the_packing_slip_holds_the_order_the_lines_and_a_qr_per_batch():
    order, _coop_a, _ = make_two_coop_order()
    a, _b = services.shipments_create_for_order(order_id=order.pk)
    assert services.shipment_render_packing_slip(shipment_id=a.pk) is True
    a.refresh_from_db()
    assert a.packing_slip.name.endswith(".pdf")
    with a.packing_slip.open("rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    line = a.lines.select_related("order_line", "batch").get()
    assert order.number in text
    assert line.order_line.sku in text and line.batch.code in text
    assert "王小明" in text and "中关村大街" in text  # the CJK font renders the address
    assert "Wildflower" not in text  # the other cooperative's line is not on this slip
    images = [img for page in reader.pages for img in page.images]
    assert len(images) == 1  # one batch, one QR code
    assert services.shipment_render_packing_slip(shipment_id=a.pk) is False


def test_a_missing_font_is_a_clear_error(settings, tmp_path):
    from fulfilment.exceptions import PackingSlipFontMissing

    settings.PACKING_SLIP_FONT = str(tmp_path / "nope.ttf")
    with pytest.raises(PackingSlipFontMissing) as exc:
        find_cjk_font()
    assert "fonts-wqy-microhei" in exc.value.message


def test_the_cjk_font_is_installed():
    # CI must render real slips: the Debian package fonts-wqy-microhei provides it.
    assert find_cjk_font().is_file()


def test_a_failing_mail_server_is_retried_and_never_blocks_the_order(
    settings, django_capture_on_commit_callbacks
):
    from celery.exceptions import Retry

    settings.EMAIL_BACKEND = "tests.fulfilment.failing_mail.FlakyBackend"
    order = make_paid_order()
    _with_managers(order)
    failing_mail.FAILURES["left"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    # The e-mail failed after the shipment committed: the shipment and order stand.
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert failing_mail.FAILURES["left"] == 0 and mail.outbox == []
    assert shipment.managers_notified_at is None and order.status == OrderStatus.PAID

    failing_mail.FAILURES["left"] = 1
    with pytest.raises(Retry):  # the task asks Celery to try again later (with backoff)
        tasks.shipment_notify_managers_task.delay(shipment.pk)
    task = tasks.shipment_notify_managers_task
    assert task.retry_backoff and task.retry_jitter and task.max_retries >= 10
    tasks.shipment_notify_managers_task.delay(shipment.pk)  # the retry: the server is back
    shipment.refresh_from_db()
    assert len(mail.outbox) == 1 and shipment.managers_notified_at is not None


def test_a_mail_server_that_stays_down_leaves_the_shipment_to_be_notified_later(settings):
    settings.EMAIL_BACKEND = "tests.fulfilment.failing_mail.FlakyBackend"
    order = make_paid_order()
    _with_managers(order)
    (shipment,) = services.shipments_create_for_order(order_id=order.pk)
    failing_mail.FAILURES["left"] = 1
    from smtplib import SMTPException

    with pytest.raises(SMTPException):
        services.shipment_notify_managers(shipment_id=shipment.pk)
    shipment.refresh_from_db()
    assert shipment.managers_notified_at is None and shipment.status == "pending"
    assert services.shipment_notify_managers(shipment_id=shipment.pk) == 1
