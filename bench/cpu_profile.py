"""Where a request's CPU goes: cProfile of the checkout's endpoints and of the payment
apply task, in one process, with the production settings, on a bench database.

    .venv/bin/python bench/cpu_profile.py requests [--what refusal,order,hello,insert] [--n 300]
    .venv/bin/python bench/cpu_profile.py apply [--n 300]
    (--sort cumulative|tottime, --top N, --sql prints one request's statements)

Each kind runs a warm-up, then ``--n`` requests without the profiler (the CPU and wall
time per request printed as "plain"), then ``--n`` more under cProfile, whose table is
printed. Requests go through Django's test client (the whole middleware stack, DRF,
the services; no gunicorn, no HTTP); every buyer token is used for the first time, so
the token's database read is in the figures (the benchmarks' buyers hit the token
cache). The figures of bench/README.md's "What remains" come from here."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import secrets
import sys
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/catalog.py
# would shadow the ``catalog`` app: put the project root there instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

from bench import _harness as h  # noqa: E402


def _measure(name: str, call, n: int, args) -> None:
    for i in range(10):
        call(i)
    if args.sql:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            call(10)
        for q in captured.captured_queries:
            print(f"   SQL {q['sql'][:160]}")
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(20, 20 + n):
        call(i)
    wall = (time.perf_counter() - t0) / n * 1000
    cpu = (time.process_time() - c0) / n * 1000
    print(f"== {name}: plain {cpu:.2f} ms CPU, {wall:.2f} ms wall per request")
    profile = cProfile.Profile()
    profile.enable()
    for i in range(20 + n, 20 + 2 * n):
        call(i)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


def requests(args) -> None:
    from django.test import Client

    from bench.flash_sale import make_variants

    h.seed_catalog(products=20, cooperatives=2)
    hot = make_variants(1, 1_000_000, "hot")[0]
    sold = make_variants(1, 0, "sold")[0]
    tokens = h.make_buyers(4 * args.n + 100)
    client = Client(HTTP_HOST="127.0.0.1")

    def order(token: str, variant: int):
        body = {"lines": [{"variant": variant, "quantity": 1}], "shipping_address": h.ADDRESS}
        return client.post(
            "/api/v1/orders/",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_IDEMPOTENCY_KEY=secrets.token_hex(16),
        )

    half = 2 * args.n + 50
    calls = {
        "refusal": lambda i: order(tokens[i], sold),
        "order": lambda i: order(tokens[half + i], hot),
        "hello": lambda i: client.get(
            "/bench/hello/drf-auth/", HTTP_AUTHORIZATION=f"Token {tokens[i]}"
        ),
        "insert": lambda i: client.post(
            "/bench/insert/drf-auth/",
            "{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {tokens[i]}",
        ),
    }
    for name in args.what.split(","):
        _measure(name, calls[name], args.n, args)


def apply(args) -> None:
    from bench.callbacks import make_payments
    from lifecycle.tasks import payment_notification_apply_task
    from payments.models import PaymentNotification

    payments = make_payments(2 * args.n + 30)
    inbox = [
        PaymentNotification.objects.create(
            provider=p.provider,
            event_id=f"e-{p.pk}",
            kind="payment",
            event_status="succeeded",
            out_trade_no=p.out_trade_no,
            amount=p.amount,
            trade_no=f"T{p.pk}",
        ).pk
        for p in payments
    ]
    _measure(
        "payment apply task", lambda i: payment_notification_apply_task(inbox[i]), args.n, args
    )


def main() -> None:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["requests", "apply"])
    parser.add_argument("--what", default="refusal,order,hello,insert")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", action="store_true")
    args = parser.parse_args()
    extra = {}
    if args.kind == "apply":
        from bench.callbacks import Providers

        extra = Providers().env
    bench = h.setup("profile", args, extra_env=extra)
    try:
        (requests if args.kind == "requests" else apply)(args)
    finally:
        bench.close()


if __name__ == "__main__":
    main()
