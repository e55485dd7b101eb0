"""Flash sale and catalogue browsing at once: does the shop stay fast while a sale runs?

Production-like, as ``bench/catalog.py``: gunicorn, production settings, PostgreSQL,
Redis. 2,000 products over 10 cooperatives, plus the sale's product (the newest, so
it is on the first list page everyone opens). Then, in one run:

1. **idle** — alternating blocks of ``products list`` (the pages and filters of
   ``bench/catalog.py``), ``product detail`` (200 other products) and ``DRF hello``
   (a bare DRF view), at the reader concurrency;
2. **during the sale** — 1,000 buyers race for the one variant's 200 units
   (``POST /api/v1/orders/``, one token each, at the buyer concurrency) while the same
   readers keep browsing in short blocks (``--sale-block``, 3 x the readers); only
   rounds that finished before the last buyer was answered are counted.

Prints both side by side: req/s, p50, p99; list and detail req/s during the sale ÷ DRF
hello (goal >= 0.5, against the idle DRF hello and, for reference, the one measured
during the sale) and list p99 during ÷ idle (goal <= 2).

Correctness (exit 1 when wrong): no unit oversold, created + final stock = initial,
every buyer answered 201 or 409, stock = sum of its movements, every reader request
answered 200 with a full page, and the sell-out shows on the very next request to
the list and the detail (the cache never serves it stale).

    .venv/bin/python bench/flash_catalog.py [--smoke] [--buyers 1000] [--units 200]
                                            [--concurrency 32] [--readers 8]
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/catalog.py
# would shadow the ``catalog`` app: put the project root there instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

from bench import _harness as h  # noqa: E402
from bench.catalog import list_urls  # noqa: E402
from bench.flash_sale import make_variants, order_request, warm_up  # noqa: E402

READERS = ("products list", "product detail", "DRF hello")


def _merge(total: dict[str, h.Stats], part: dict[str, h.Stats]) -> None:
    for label, s in part.items():
        t = total.setdefault(label, h.Stats(label))
        t.count += s.count
        t.seconds += s.seconds
        t.errors += s.errors
        t.latencies += s.latencies
        for code, n in s.statuses.items():
            t.statuses[code] = t.statuses.get(code, 0) + n


def _buyers(url: str, tokens: list[str], variant_id: int, concurrency: int, conn) -> None:
    """The buyers' client, in its own process (forked): buyers and readers are different
    people, and one Python process driving both would make them share one interpreter
    lock, so the readers' client would wait for the buyers' (and measure itself)."""
    requests = [order_request(t, variant_id) for t in tokens]
    responses, elapsed = h.run_requests(url, requests, concurrency)
    conn.send(([(r.status, r.body, r.latency, r.started) for r in responses], elapsed))
    conn.close()


def _sale(server: h.Server, tokens: list[str], variant_id: int, concurrency: int, out: dict):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_buyers, args=(server.url, tokens, variant_id, concurrency, there))
    proc.start()
    there.close()
    rows, out["elapsed"] = here.recv()
    proc.join()
    req = h.Request("POST", "/api/v1/orders/", label="order")
    out["responses"] = [h.Response(s, {}, b, lat, st, req) for s, b, lat, st in rows]


def _check_sale(out: dict, variant_id: int, units: int, verdict: h.Verdict) -> float:
    from django.db.models import Sum

    from catalog.models import Variant
    from catalog.selectors import variants_off_ledger
    from orders.models import OrderLine

    responses = out["responses"]
    created = [r for r in responses if r.status == 201]
    refused = [r for r in responses if r.status == 409]
    others = [r for r in responses if r.status not in (201, 409)]
    t0 = min(r.started for r in responses)
    last_order = max((r.started + r.latency for r in created), default=t0) - t0
    final = Variant.objects.get(pk=variant_id).stock
    sold = OrderLine.objects.filter(variant_id=variant_id).aggregate(n=Sum("quantity"))["n"] or 0
    print(
        f"sale: {len(responses)} buyers in {out['elapsed']:.2f} s — created {len(created)}, "
        f"409 {len(refused)}, other {len(others)}; final stock {final}; "
        f"orders/s {h.ratio(len(created), last_order):.0f}"
    )
    if others:
        print(f"  first other answer: {others[0].status} {others[0].body[:200]!r}")
    verdict.check(sold <= units, f"sale: oversold units = {max(0, sold - units)}")
    verdict.check(len(created) + final == units, f"sale: created + final stock = {units}")
    verdict.check(sold == len(created), "sale: units in the database = 201 answers")
    verdict.check(not others, f"sale: every buyer answered 201 or 409 ({len(others)} others)")
    verdict.check(not variants_off_ledger(variant_ids=[variant_id]), "sale: stock = movements")
    verdict.check(
        len(created) == min(units, len(responses)), "sale: every unit sold while buyers remained"
    )
    return out["elapsed"]


def _check_sold_out_visible(server: h.Server, slug: str, verdict: h.Verdict) -> None:
    import httpx

    listed = httpx.get(f"{server.url}/api/v1/products/", timeout=10).json()
    row = next((r for r in listed["results"] if r["slug"] == slug), None)
    verdict.check(row is not None and row["in_stock"] is False, "sold-out visible in the list")
    detail = httpx.get(f"{server.url}/api/v1/products/{slug}/", timeout=10).json()
    verdict.check(
        all(v["available"] == 0 for v in detail["variants"]), "sold-out visible in the detail"
    )


def main() -> None:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=0)
    parser.add_argument("--units", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=32, help="buyers at once")
    parser.add_argument("--readers", type=int, default=8, help="readers at once")
    parser.add_argument("--block", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=0, help="idle rounds")
    parser.add_argument(
        "--sale-block", type=int, default=0, help="requests per reader block during the sale"
    )
    parser.add_argument("--workers", type=int, default=h.GUNICORN_WORKERS)
    parser.add_argument("--threads", type=int, default=h.GUNICORN_THREADS)
    parser.add_argument(
        "--catalog-workers",
        type=int,
        default=h.CATALOG_WORKERS,
        help="processes of the catalogue pool (the readers' server)",
    )
    parser.add_argument("--catalog-threads", type=int, default=h.GUNICORN_THREADS)
    parser.add_argument(
        "--one-pool",
        action="store_true",
        help="readers on the buyers' server, no catalogue pool (the layout before issue 20)",
    )
    args = parser.parse_args()
    smoke = args.smoke
    buyers = args.buyers or (60 if smoke else 1000)
    units = args.units or (10 if smoke else 200)
    products, coops = (60, 3) if smoke else (2000, 10)
    block = args.block or (20 if smoke else 100)
    rounds = args.rounds or (1 if smoke else 8)
    # Short blocks while the sale runs, so that each endpoint is measured all through it.
    sale_block = args.sale_block or args.readers * 3

    bench = h.setup("flash_catalog", args)
    verdict = h.Verdict()
    try:
        cat = h.seed_catalog(products=products, cooperatives=coops)
        tokens = h.make_buyers(buyers + args.concurrency * 2)
        hot = make_variants(1, units, "hot")[0]
        hot_slug = "festival-hot"
        lists = list_urls(cat)
        details = [f"/api/v1/products/{s}/" for s in cat.slugs[: 20 if smoke else 200]]
        endpoints = {
            "products list": lambda i: h.Request("GET", lists[i % len(lists)]),
            "product detail": lambda i: h.Request("GET", details[(i * 7) % len(details)]),
            "DRF hello": lambda i: h.Request("GET", "/bench/hello/drf/"),
        }

        def check(label: str, r: h.Response) -> bool:
            if r.status != 200:
                return False
            if label == "products list":
                body = json.loads(r.body)
                return len(body["results"]) == min(20, body["count"]) or not body["next"]
            return True

        with contextlib.ExitStack() as stack:
            server = stack.enter_context(h.Server(workers=args.workers, threads=args.threads))
            # As deployed (deploy/nginx.conf): the proxy sends the catalogue's reads to
            # their own pool of workers, so the buyers of a sale cannot take every thread.
            readers = server
            if not args.one_pool:
                readers = stack.enter_context(
                    h.Server(workers=args.catalog_workers, threads=args.catalog_threads)
                )
            h.heading(
                f"{products} products + the sale's; {buyers} buyers for {units} units — "
                f"buyers: {server.describe}; readers: "
                + ("the same server" if args.one_pool else f"catalogue pool {readers.describe}")
            )
            print(
                f"buyers at concurrency {args.concurrency}; readers at {args.readers} "
                f"({len(lists)} list URLs, {len(details)} other products' details)"
            )
            warm_up(server, tokens[buyers:], args.concurrency)
            idle = h.run_blocks(
                readers.url,
                endpoints,
                concurrency=args.readers,
                block=block,
                rounds=rounds,
                warmup=len(lists) * 3 + len(details) * 3,
                check=check,
            )
            out: dict = {}
            sale = threading.Thread(
                target=_sale, args=(server, tokens[:buyers], hot, args.concurrency, out)
            )
            during: dict[str, h.Stats] = {}
            late: dict[str, h.Stats] = {}
            sale.start()
            while sale.is_alive():
                part = h.run_blocks(
                    readers.url,
                    endpoints,
                    concurrency=args.readers,
                    block=sale_block,
                    rounds=1,
                    check=check,
                )
                # A round that ended after the last buyer's answer is not "during".
                _merge(during if sale.is_alive() else late, part)
            sale.join()
            if not during:
                print("note: the sale ended within the first reader round; counting it")
                during = late
            _check_sale(out, hot, units, verdict)
            _check_sold_out_visible(server, hot_slug, verdict)
            if readers is not server:
                _check_sold_out_visible(readers, hot_slug, verdict)

        h.heading("idle vs during the sale (readers)")
        print(f"{'':<8}" + h.STATS_HEADER)
        for label in READERS:
            print(f"{'idle':<8}" + idle[label].row())
            print(f"{'sale':<8}" + during[label].row())
        for phase, stats in (("idle", idle), ("sale", during)):
            for s in stats.values():
                verdict.check(s.errors == 0, f"{phase} {s.label}: {s.errors} errors")
        hello_idle = idle["DRF hello"].rps
        hello_sale = during["DRF hello"].rps
        h.heading("goals")
        for label in ("products list", "product detail"):
            print(
                f"  {label}: idle {h.ratio(idle[label].rps, hello_idle):.2f}x DRF hello; "
                f"during the sale {h.ratio(during[label].rps, hello_idle):.2f}x idle DRF hello, "
                f"{h.ratio(during[label].rps, hello_sale):.2f}x DRF hello during the sale"
            )
        verdict.goal(
            "products list / DRF hello idle", h.ratio(idle["products list"].rps, hello_idle), 1.0
        )
        verdict.goal(
            "list during sale / DRF hello idle",
            h.ratio(during["products list"].rps, hello_idle),
            0.5,
        )
        verdict.goal(
            "detail during sale / DRF hello idle",
            h.ratio(during["product detail"].rps, hello_idle),
            0.5,
        )
        verdict.goal(
            "list p99 during sale / idle",
            h.ratio(during["products list"].pct(0.99), idle["products list"].pct(0.99)),
            2.0,
            at_most=True,
        )
    finally:
        bench.close()
    verdict.exit()


if __name__ == "__main__":
    main()
