"""Payment callbacks under fire: duplicates, forgeries, a worker killed mid-stream.

2,000 orders are paid (half sandbox wallet, half Alipay) by signed notifications
sent concurrently, shuffled, to gunicorn: every genuine one once, 30% of them a
second time (a provider retry), and 10% more that are forged (wrong key, or a
genuine signature over a changed amount) against 200 other unpaid payments.
Halfway through, the Celery worker of the ``payments`` queue is killed with
SIGKILL (main process and pool, as a crashed machine) and a new one started.
A stand-in for beat runs the inbox sweep as production does (rows stored but
not applied after ``--sweep-age`` seconds are enqueued again; production: 60 s).

Prints genuine payments applied / unique genuine (must be 1.000), forged
accepted (must be 0), lost (must be 0), ledger total against payments total
(must be equal to the fen) and the time until all were applied — exit 1 when
any of these is wrong. Then, on the same worker and broker:

* the rate of ``payment_notification_apply_task`` relative to a no-op task
  (``bench/celery_tasks.py``), each measured over the same number of queued
  tasks — goal >= 0.25;
* the p95 latency from a notification's arrival to its application (the order paid),
  the notifications paced at a steady rate (``--trickle-rate``; by default half the apply
  rate just measured, at most 20/s: nothing else is queued on the payments worker when
  each arrives), alone — goal <= 0.5 s — and with
  500 thumbnail tasks (``media`` queue, its own worker) queued at the same moment —
  goal: with / without <= 2.

    .venv/bin/python bench/callbacks.py [--smoke] [--payments 2000] [--sweep-age 60]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

# Run as a script, this file's folder comes first on sys.path, where bench/catalog.py
# would shadow the ``catalog`` app: put the project root there instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

from bench import _harness as h  # noqa: E402

ALIPAY_APP_ID = "2021000000000001"
SANDBOX = "/api/v1/payments/callbacks/sandbox/"
ALIPAY = "/api/v1/payments/callbacks/alipay/"


# --- keys and signatures (the provider side, written independently of payments/) ----
def _rsa_pair():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_private(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_public(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _rsa_sign(key, message: bytes) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


class Providers:
    """Alipay's key pair and the merchant's, the sandbox secret: what the providers hold."""

    def __init__(self) -> None:
        self.alipay = _rsa_pair()
        self.merchant = _rsa_pair()
        self.attacker = _rsa_pair()
        folder = h._log_dir / "keys"
        folder.mkdir(exist_ok=True)
        (folder / "alipay_public.pem").write_bytes(_pem_public(self.alipay))
        (folder / "app_private.pem").write_bytes(_pem_private(self.merchant))
        self.env = {
            "ALIPAY_APP_ID": ALIPAY_APP_ID,
            "ALIPAY_APP_PRIVATE_KEY_FILE": str(folder / "app_private.pem"),
            "ALIPAY_PUBLIC_KEY_FILE": str(folder / "alipay_public.pem"),
        }

    @staticmethod
    def sandbox(payment, *, secret: str, amount: Decimal | None = None) -> h.Request:
        body = json.dumps(
            {
                "id": f"sbx-{payment.out_trade_no}",
                "out_trade_no": payment.out_trade_no,
                "status": "SUCCESS",
                "amount": f"{amount or payment.amount:.2f}",
                "created": datetime.now(UTC).isoformat(),
            }
        ).encode()
        t = int(time.time())
        mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        headers = (
            ("Content-Type", "application/json"),
            ("X-Sandbox-Signature", f"t={t},v1={mac}"),
        )
        return h.Request("POST", SANDBOX, headers, body, label="sandbox")

    def alipay_form(self, payment, *, key=None, amount: Decimal | None = None) -> dict:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        form = {
            "notify_time": now,
            "notify_type": "trade_status_sync",
            "notify_id": f"ntf{payment.out_trade_no}",
            "app_id": ALIPAY_APP_ID,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": f"2026{payment.pk:012d}",
            "out_trade_no": payment.out_trade_no,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": f"{amount or payment.amount:.2f}",
            "receipt_amount": f"{amount or payment.amount:.2f}",
            "buyer_id": "2088102177846880",
            "gmt_payment": now,
        }
        message = "&".join(f"{k}={v}" for k, v in sorted(form.items()) if v)
        form["sign"] = _rsa_sign(key or self.alipay, message.encode())
        form["sign_type"] = "RSA2"
        return form

    @staticmethod
    def alipay_request(form: dict) -> h.Request:
        headers = (("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),)
        return h.Request("POST", ALIPAY, headers, urlencode(form).encode(), label="alipay")

    def genuine(self, payment, secret: str) -> h.Request:
        if payment.provider == "sandbox":
            return self.sandbox(payment, secret=secret)
        return self.alipay_request(self.alipay_form(payment))

    def forged(self, payment, secret: str, i: int) -> h.Request:
        """Half signed with a key that is not the provider's, half with a changed amount."""
        bigger = payment.amount + Decimal("100.00")
        if payment.provider == "sandbox":
            if i % 2:
                return self.sandbox(payment, secret="not-" + secret)
            req = self.sandbox(payment, secret=secret)
            tampered = req.body.replace(
                f'"amount": "{payment.amount:.2f}"'.encode(), f'"amount": "{bigger:.2f}"'.encode()
            )
            return h.Request(req.method, req.path, req.headers, tampered, label="sandbox")
        if i % 2:
            return self.alipay_request(self.alipay_form(payment, key=self.attacker))
        form = self.alipay_form(payment)
        form["total_amount"] = f"{bigger:.2f}"  # signed over the real amount
        return self.alipay_request(form)


def accepted(req: h.Request, status: int, body: bytes) -> bool:
    if req.label == "sandbox":
        return status == 204
    return status == 200 and body.strip() == b"success"


# --- data -----------------------------------------------------------------------
def make_payments(count: int) -> list:
    """``count`` orders through the real checkout, each with a payment started (half
    sandbox, half Alipay), amounts varied by quantity."""
    from orders.services import order_place
    from payments.services import payment_start

    cat = h.seed_catalog(products=10, cooperatives=2)
    h.restock(cat.variant_ids, 1_000_000)
    buyers = h.make_buyers(max(1, count // 20), prefix=f"payer{count}-")
    from rest_framework.authtoken.models import Token

    users = [t.user for t in Token.objects.select_related("user").filter(key__in=buyers)]
    rng = random.Random(count)
    payments = []
    for i in range(count):
        order, _ = order_place(
            user=users[i % len(users)],
            shipping_address=h.ADDRESS,
            lines=[{"variant": rng.choice(cat.variant_ids), "quantity": rng.randint(1, 5)}],
        )
        payments.append(payment_start(order=order, provider="sandbox" if i % 2 else "alipay"))
    return payments


def make_thumbnail_jobs(count: int) -> list[int]:
    """``count`` photos without thumbnails (one real 1600x1200 JPEG on disk behind all)."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from catalog.models import Product, ProductImage

    out = io.BytesIO()
    Image.effect_noise((1600, 1200), 40).convert("RGB").save(out, "JPEG", quality=88)
    name = default_storage.save("products/bench/source.jpg", ContentFile(out.getvalue()))
    product = Product.objects.first()
    rows = ProductImage.objects.bulk_create(
        ProductImage(product=product, token=f"th{i:030d}", image=name, width=1600, height=1200)
        for i in range(count)
    )
    return [r.pk for r in rows]


def inbox_ids_for(payments) -> set[int]:
    from payments.models import PaymentNotification

    return set(
        PaymentNotification.objects.filter(
            out_trade_no__in=[p.out_trade_no for p in payments]
        ).values_list("pk", flat=True)
    )


def applied_count(payments) -> int:
    from payments.constants import PaymentStatus
    from payments.models import Payment

    return Payment.objects.filter(
        pk__in=[p.pk for p in payments], status=PaymentStatus.SUCCEEDED
    ).count()


def wait_applied(payments, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if applied_count(payments) == len(payments):
            return True
        time.sleep(0.1)
    return applied_count(payments) == len(payments)


class Sweeper(threading.Thread):
    """What beat does in production (payments_inbox_sweep_task), with a chosen age."""

    def __init__(self, age: float, every: float) -> None:
        super().__init__(daemon=True)
        self.age, self.every = age, every
        self.stop = threading.Event()
        self.requeued = 0

    def run(self) -> None:
        from django.db import connection

        from lifecycle.tasks import payment_notification_apply_task
        from payments.services import inbox_stale_ids
        from storefront.queue import send

        try:
            while not self.stop.wait(self.every):
                for inbox_id in inbox_stale_ids(older_than_seconds=self.age):
                    send(payment_notification_apply_task, inbox_id)
                    self.requeued += 1
        finally:
            connection.close()


def payments_worker(**kwargs) -> h.Worker:
    return h.Worker(
        queues=["payments"],
        concurrency=2,
        name="payments",
        include=["bench.celery_tasks"],
        **kwargs,
    )


# --- the scenarios ----------------------------------------------------------------
def settle_under_fire(server, providers, secret, payments, decoys, args, verdict) -> h.Worker:
    from django.db.models import Sum

    from payments.constants import LedgerKind, PaymentStatus
    from payments.models import LedgerEntry, Payment, PaymentNotification

    rng = random.Random(7)
    genuine = [providers.genuine(p, secret) for p in payments]
    duplicates = rng.sample(genuine, int(len(genuine) * 0.3))
    forged = [providers.forged(p, secret, i) for i, p in enumerate(decoys)]
    requests = genuine + duplicates + forged
    rng.shuffle(requests)
    forged_set = {id(r) for r in forged}
    print(
        f"{len(payments)} payments ({sum(p.provider == 'sandbox' for p in payments)} sandbox), "
        f"{len(requests)} notifications: {len(duplicates)} duplicates, {len(forged)} forged"
    )

    worker = payments_worker()
    sweeper = Sweeper(args.sweep_age, min(5.0, max(0.5, args.sweep_age / 4)))
    sweeper.start()
    answered = []
    result: dict = {}

    def send_all() -> None:
        result["responses"], result["elapsed"] = h.run_requests(
            server.url, requests, args.concurrency, on_response=answered.append
        )

    t0 = time.monotonic()
    sender = threading.Thread(target=send_all)
    sender.start()
    while len(answered) < len(requests) // 2 and sender.is_alive():
        time.sleep(0.01)
    worker.kill()  # SIGKILL to the worker's whole process group, mid-stream
    killed_at = time.monotonic() - t0
    worker.stop()
    worker = payments_worker()
    restarted_at = time.monotonic() - t0
    sender.join()
    all_sent = time.monotonic() - t0
    ok = wait_applied(payments, time.monotonic() + args.sweep_age + 120)
    sweeper.stop.set()
    sweeper.join()
    all_applied = time.monotonic() - t0

    responses = result["responses"]
    wrong_genuine = [
        r
        for r in responses
        if id(r.request) not in forged_set and not accepted(r.request, r.status, r.body)
    ]
    forged_ok = [
        r
        for r in responses
        if id(r.request) in forged_set and accepted(r.request, r.status, r.body)
    ]
    applied = applied_count(payments)
    decoy_changed = (
        Payment.objects.filter(pk__in=[d.pk for d in decoys])
        .exclude(status=PaymentStatus.PENDING)
        .count()
    )
    decoy_stored = PaymentNotification.objects.filter(
        out_trade_no__in=[d.out_trade_no for d in decoys]
    ).count()
    paid_total = sum((p.amount for p in payments), Decimal("0"))
    ledger_sales = LedgerEntry.objects.filter(
        payment_id__in=[p.pk for p in payments], kind=LedgerKind.SALE
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    inbox_rows = PaymentNotification.objects.filter(
        out_trade_no__in=[p.out_trade_no for p in payments]
    ).count()
    last_applied = (
        PaymentNotification.objects.filter(out_trade_no__in=[p.out_trade_no for p in payments])
        .order_by("-applied_at")
        .values_list("applied_at", flat=True)
        .first()
    )

    print(
        f"  sent in {result['elapsed']:.1f} s ({len(requests) / result['elapsed']:.0f} req/s); "
        f"worker SIGKILLed at {killed_at:.1f} s, restarted at {restarted_at:.1f} s; "
        f"sweep re-enqueued {sweeper.requeued}"
    )
    print(
        f"  all sent at {all_sent:.1f} s, all applied at {all_applied:.1f} s"
        + ("" if ok else " (deadline passed)")
        + (f" (last applied_at {last_applied:%H:%M:%S.%f})" if last_applied else "")
    )
    print(
        f"  genuine applied / unique genuine = {applied}/{len(payments)} = "
        f"{applied / len(payments):.3f}   lost {len(payments) - applied}   "
        f"inbox rows {inbox_rows} (one per genuine event)"
    )
    print(
        f"  forged answered as accepted {len(forged_ok)}, decoy payments changed {decoy_changed}, "
        f"forged rows stored {decoy_stored}"
    )
    print(f"  ledger sales {ledger_sales} vs payments total {paid_total}")
    verdict.check(applied == len(payments), f"applied / unique genuine = {applied}/{len(payments)}")
    verdict.check(len(payments) - applied == 0, f"lost = {len(payments) - applied}")
    verdict.check(
        not forged_ok and decoy_changed == 0 and decoy_stored == 0,
        f"forged accepted = {len(forged_ok) + decoy_changed}",
    )
    verdict.check(
        not wrong_genuine, f"every genuine notification answered success ({len(wrong_genuine)} not)"
    )
    verdict.check(
        inbox_rows == len(payments), "one inbox row per genuine event (duplicates merged)"
    )
    verdict.check(ledger_sales == paid_total, "ledger total = payments total, to the fen")
    return worker, all_applied


def task_rates(
    server, providers, secret, payments, worker, verdict
) -> tuple[float, float, h.Worker]:
    """Completions/s of K no-op tasks and of K payment applications, same worker and broker.

    Both batches are queued while the worker is stopped (no-ops first, then the
    notifications, which the callback view stores and enqueues), so that neither
    rate is limited by how fast work arrives; each is measured between its own
    first and last completion.
    """
    import redis as redis_lib

    from bench.celery_tasks import noop_task
    from payments.models import PaymentNotification

    k = len(payments)
    worker.stop()
    key = f"bench:noop:{time.time()}"
    for _ in range(k):
        noop_task.apply_async(args=[key], queue="payments")
    responses, _ = h.run_requests(server.url, [providers.genuine(p, secret) for p in payments], 16)
    verdict.check(
        all(accepted(x.request, x.status, x.body) for x in responses), "rate batch stored"
    )
    worker = payments_worker()
    wait_applied(payments, time.monotonic() + 180)
    r = redis_lib.Redis.from_url(h._env["REDIS_URL"])
    stamps = sorted(float(x) for x in r.lrange(key, 0, -1))
    noop_rate = h.ratio(len(stamps) - 1, stamps[-1] - stamps[0])
    applied = sorted(
        PaymentNotification.objects.filter(
            out_trade_no__in=[p.out_trade_no for p in payments]
        ).values_list("applied_at", flat=True)
    )
    apply_rate = h.ratio(len(applied) - 1, (applied[-1] - applied[0]).total_seconds())
    verdict.check(len(stamps) == k, f"all {k} no-op tasks ran ({len(stamps)})")
    print(f"  {k} tasks each: no-op {noop_rate:.0f}/s, payment apply {apply_rate:.0f}/s")
    return noop_rate, apply_rate, worker


async def _paced(url: str, requests: list[h.Request], rate: float) -> list[float]:
    """Send ``requests`` one at a time at ``rate`` per second (a request that takes longer
    than the interval delays the next: the sender never queues); returns the answer times."""
    import asyncio
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    client = h.HTTPClient(parts.hostname, parts.port)
    answers = []
    t0 = time.perf_counter()
    try:
        for i, req in enumerate(requests):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
            started = time.perf_counter()
            status, _headers, body = await client.send(req)
            answers.append(time.perf_counter() - started)
            if not accepted(req, status, body):
                raise RuntimeError(f"notification refused: {status} {body[:200]!r}")
    finally:
        await client.close()
    return answers


def apply_latency_p95(
    server, providers, secret, payments, thumbnails: list[int], rate: float, label: str
) -> float:
    import asyncio

    from catalog.tasks import product_image_thumbnail_task
    from payments.models import PaymentNotification
    from storefront.queue import send

    for image_id in thumbnails:  # all queued at the same moment as the payments arrive
        send(product_image_thumbnail_task, image_id)
    # A steady trickle below the worker's rate, so each notification finds nothing else
    # queued before it on the payments worker and the latency is the pipeline's (callback
    # commit, enqueue on commit, broker, worker, apply), not a backlog's (the rate phase
    # above measures the backlog case).
    answers = asyncio.run(
        _paced(server.url, [providers.genuine(p, secret) for p in payments], rate)
    )
    wait_applied(payments, time.monotonic() + 180)
    rows = PaymentNotification.objects.filter(
        out_trade_no__in=[p.out_trade_no for p in payments]
    ).values_list("received_at", "applied_at")
    stats = h.Stats("apply", latencies=[(a - r).total_seconds() for r, a in rows])
    answered = h.Stats("answer", latencies=answers)
    print(
        f"  {label}: {len(payments)} at {rate:g}/s: arrival -> paid p50 "
        f"{stats.pct(0.5) * 1000:.0f} ms, p95 {stats.pct(0.95) * 1000:.0f} ms, max "
        f"{stats.pct(1.0) * 1000:.0f} ms; callback answered p50 "
        f"{answered.pct(0.5) * 1000:.0f} ms, p95 {answered.pct(0.95) * 1000:.0f} ms"
    )
    return stats.pct(0.95)


def main() -> None:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sweep-age", type=float, default=0)
    parser.add_argument("--rate-tasks", type=int, default=0)
    parser.add_argument("--thumbnails", type=int, default=0)
    parser.add_argument("--media-nice", type=int, default=10, help="nice of the media worker")
    parser.add_argument(
        "--trickle-rate",
        type=float,
        default=0.0,
        help="notifications/s in the latency phase (default: half the measured apply rate)",
    )
    args = parser.parse_args()
    n = args.payments or (40 if args.smoke else 2000)
    args.sweep_age = args.sweep_age or (3 if args.smoke else 60)
    k = args.rate_tasks or (20 if args.smoke else 200)
    burst = args.thumbnails or (20 if args.smoke else 500)

    providers = Providers()
    bench = h.setup("callbacks", args, extra_env=providers.env)
    verdict = h.Verdict()
    workers: list[h.Worker] = []
    try:
        from django.conf import settings

        secret = settings.SANDBOX_WALLET_SECRET
        t = time.monotonic()
        made = make_payments(n + n // 10 + 3 * k)
        payments, decoys = made[:n], made[n : n + n // 10]
        rate_batch, calm, busy = (
            made[n + n // 10 + i * k : n + n // 10 + (i + 1) * k] for i in range(3)
        )
        thumbs = make_thumbnail_jobs(burst)
        print(f"made {len(made)} orders with payments in {time.monotonic() - t:.0f} s")
        with h.Server() as server:
            h.heading(f"settle under fire — {server.describe}, payments worker -c 2")
            worker, _ = settle_under_fire(
                server, providers, secret, payments, decoys, args, verdict
            )
            workers.append(worker)
            h.heading("task rate on the same worker and broker")
            noop_rate, apply_rate, worker = task_rates(
                server, providers, secret, rate_batch, worker, verdict
            )
            workers.append(worker)
            h.heading(
                f"apply latency, with {burst} thumbnail tasks queued at the same moment "
                f"(media worker -c 1, nice {args.media_nice})"
            )
            # Production layout (Procfile): the media queue has its own worker; on a small
            # machine it also runs at a lower CPU priority so renders yield to payments.
            media = h.Worker(queues=["media"], concurrency=1, name="media", nice=args.media_nice)
            workers.append(media)
            # Below the worker's own rate (measured above), so nothing is queued before a
            # notification when it arrives; capped at 20/s (72,000 payments an hour).
            rate = args.trickle_rate or max(1.0, min(20.0, apply_rate / 2))
            p95_calm = apply_latency_p95(server, providers, secret, calm, [], rate, "alone")
            p95_busy = apply_latency_p95(
                server, providers, secret, busy, thumbs, rate, "with the burst"
            )
            print(
                f"  p95 arrival -> applied: alone {p95_calm * 1000:.0f} ms, "
                f"with the burst {p95_busy * 1000:.0f} ms"
            )
        h.heading("goals")
        verdict.goal("apply task rate / no-op task rate", h.ratio(apply_rate, noop_rate), 0.25)
        verdict.goal("apply p95 alone, seconds", p95_calm, 0.5, at_most=True)
        verdict.goal(
            "apply p95 with burst / without", h.ratio(p95_busy, p95_calm), 2.0, at_most=True
        )
    finally:
        h.stop_all(workers)
        bench.close()
    verdict.exit()


if __name__ == "__main__":
    main()
