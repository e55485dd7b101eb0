"""Catalogue serving under load: the product list against bare Django and DRF floors.

Production-like: gunicorn (``_harness.GUNICORN_WORKERS`` x ``GUNICORN_THREADS``
gthread), the production settings with DEBUG off, PostgreSQL, Redis cache.
2,000 products over 10 cooperatives. From this (separate) process, a bounded
asyncio client runs at concurrency 8 and 32, alternating blocks of

* ``products list``  — ``/api/v1/products/`` pages and filters, 20 per page
* ``product detail`` — ``/api/v1/products/<slug>/`` over 200 products
* ``DRF hello``      — a bare DRF ``APIView`` (``BENCHMARK_VIEWS``)
* ``Django hello``   — a bare ``JsonResponse`` view

and prints req/s, p50 and p99 for each and the ratio products list / DRF hello
(goal >= 0.5), and the peak RSS of each web worker (goal <= 150 MB).

Correctness (exit 1 when wrong): every request answers 200 with a full page, and
a price or stock change made through the services is visible on the very next
request to the list and the detail (no stale stock or price from any cache).

    .venv/bin/python bench/catalog.py [--smoke] [--concurrency 8 32] [--rounds N]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this very
# file would shadow the ``catalog`` app: put the project root there instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

from bench import _harness as h  # noqa: E402


def list_urls(cat: h.Catalog) -> list[str]:
    """The pages a storefront's visitors actually hit: first pages, filters, orderings."""
    from catalog.constants import CertificationKind

    pages = min(5, -(-len(cat.slugs) // 20))  # pages past the last answer 404
    urls = [f"/api/v1/products/?page={p}" for p in range(1, pages + 1)]
    urls += [f"/api/v1/products/?category={c}" for c in cat.category_slugs[:6]]
    urls += [f"/api/v1/products/?cooperative={c}" for c in cat.cooperative_slugs[:6]]
    urls += [f"/api/v1/products/?county={c}&in_stock=true" for c in cat.county_slugs[:3]]
    urls += [f"/api/v1/products/?certification={k}" for k in list(CertificationKind.values)[:2]]
    urls += [
        "/api/v1/products/?ordering=price",
        "/api/v1/products/?ordering=-price&in_stock=true",
        "/api/v1/products/?min_price=50&max_price=150",
        "/api/v1/products/?ordering=title&page=2",
    ]
    return urls


def check_fresh(server: h.Server, cat: h.Catalog, verdict: h.Verdict) -> None:
    """A stock or price change must show on the very next request (list and detail)."""
    import httpx

    from catalog.models import Variant
    from catalog.services import variant_update
    from catalog.stock import StockChange, stock_adjust, stock_change_apply

    product_id = cat.product_ids[0]
    slug = cat.slugs[0]
    variants = list(Variant.objects.filter(product_id=product_id).order_by("price", "id"))
    coop = cat.cooperative_slugs[0]
    list_url = f"{server.url}/api/v1/products/?cooperative={coop}&page_size=100"
    detail_url = f"{server.url}/api/v1/products/{slug}/"

    def listed() -> dict:
        for page in range(1, 100):
            body = httpx.get(f"{list_url}&page={page}", timeout=10).json()
            for row in body["results"]:
                if row["slug"] == slug:
                    return row
            if not body.get("next"):
                break
        raise AssertionError(f"{slug} not listed")

    def detail() -> dict:
        return httpx.get(detail_url, timeout=10).json()

    # Warm every cache there is, then change the data behind it.
    for _ in range(2):
        listed(), detail()
    new_price = "12.34"
    variant_update(variant=variants[0], price=__import__("decimal").Decimal(new_price))
    row, body = listed(), detail()
    verdict.check(row["price_from"] == new_price, "price change visible in the list at once")
    prices = {v["id"]: v["price"] for v in body["variants"]}
    verdict.check(
        prices.get(variants[0].pk) == new_price, "price change visible in the detail at once"
    )
    for v in variants:  # sold out, as a guarded count from the figure just read
        current = Variant.objects.get(pk=v.pk).stock
        stock_change_apply(variant_id=v.pk, change=StockChange(shown=current, count=0))
    row, body = listed(), detail()
    verdict.check(row["in_stock"] is False, "sold-out visible in the list at once")
    verdict.check(
        all(v["available"] == 0 for v in body["variants"]), "sold-out visible in the detail at once"
    )
    stock_adjust(variant_id=variants[-1].pk, delta=7)  # goods received
    row, body = listed(), detail()
    verdict.check(row["in_stock"] is True, "restock visible in the list at once")
    available = {v["id"]: v["available"] for v in body["variants"]}
    verdict.check(available.get(variants[-1].pk) == 7, "restock visible in the detail at once")


def main() -> None:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--rounds", type=int, default=0)
    parser.add_argument("--block", type=int, default=0)
    parser.add_argument("--workers", type=int, default=h.GUNICORN_WORKERS)
    parser.add_argument("--threads", type=int, default=h.GUNICORN_THREADS)
    parser.add_argument("--worker-class", default="gthread")
    args = parser.parse_args()
    smoke = args.smoke
    products, coops = (60, 3) if smoke else (2000, 10)
    rounds = args.rounds or (1 if smoke else 6)
    block = args.block or (16 if smoke else 400)

    bench = h.setup("catalog", args)
    verdict = h.Verdict()
    try:
        cat = h.seed_catalog(products=products, cooperatives=coops)
        lists = list_urls(cat)
        details = [f"/api/v1/products/{s}/" for s in cat.slugs[: 20 if smoke else 200]]
        endpoints = {
            "products list": lambda i: h.Request("GET", lists[i % len(lists)]),
            "product detail": lambda i: h.Request("GET", details[(i * 7) % len(details)]),
            "DRF hello": lambda i: h.Request("GET", "/bench/hello/drf/"),
            "Django hello": lambda i: h.Request("GET", "/bench/hello/django/"),
        }

        def check(label: str, r: h.Response) -> bool:
            if label == "products list":
                body = json.loads(r.body)
                return len(body["results"]) == min(20, body["count"]) or not body["next"]
            return True

        with h.Server(
            workers=args.workers, threads=args.threads, worker_class=args.worker_class
        ) as server:
            h.heading(f"{products} products / {coops} cooperatives — {server.describe}")
            print(f"products list cycles {len(lists)} URLs; detail cycles {len(details)}")
            ratios = {}
            for concurrency in args.concurrency:
                stats = h.run_blocks(
                    server.url,
                    endpoints,
                    concurrency=concurrency,
                    block=block,
                    rounds=rounds,
                    warmup=0 if smoke else 100,
                    check=check,
                )
                print(f"\nconcurrency {concurrency}, {rounds} rounds of {block}-request blocks")
                print(h.STATS_HEADER)
                for s in stats.values():
                    print(s.row())
                for s in stats.values():
                    verdict.check(s.errors == 0, f"c={concurrency} {s.label}: {s.errors} errors")
                ratios[concurrency] = h.ratio(stats["products list"].rps, stats["DRF hello"].rps)
                print(
                    f"products list / DRF hello = {ratios[concurrency]:.2f}   "
                    f"detail / DRF hello = "
                    f"{h.ratio(stats['product detail'].rps, stats['DRF hello'].rps):.2f}   "
                    f"DRF hello / Django hello = "
                    f"{h.ratio(stats['DRF hello'].rps, stats['Django hello'].rps):.2f}"
                )
            peaks = {pid: h.peak_rss_mb(pid) for pid in server.worker_pids()}
            h.heading("freshness: stock and price changes on the next request")
            check_fresh(server, cat, verdict)
        h.heading("goals")
        shown = ", ".join(f"{v:.0f} MB" for v in peaks.values())
        print(f"peak RSS per web worker (VmHWM): {shown}")
        for concurrency, value in ratios.items():
            verdict.goal(f"products list / DRF hello at c={concurrency}", value, 0.5)
        verdict.goal("peak web worker RSS MB", max(peaks.values()), 150, at_most=True)
    finally:
        bench.close()
    verdict.exit()


if __name__ == "__main__":
    main()
