"""SQL queries per request for every list endpoint and list page, at sizes 10, 50 and 100.

A list that runs one more query per row (an N+1) is fast with ten rows and falls
over with a hundred; so every paginated API list under ``/api/v1/`` (found from
the URL configuration, so a new list is measured without editing this file) is
requested with ``page_size`` 10, 50 and 100, and every storefront page that lists
things is requested on a cooperative, county or filter holding exactly 10, 50 and
100 products. Each request runs with the cache empty (the database path is what
is measured) through Django's test client on PostgreSQL, with the production
settings.

Prints the query count and p50 time per size. Exits 1 when a count differs
between sizes (goal: identical counts) or a request fails; reports the goal
p50(100) <= 3 x p50(10).

Pages that must not grow with a cooperative (issue 20): the cooperative and county
pages of a cooperative with 2,000 products against those of one with 10 — queries
identical (exit 1 otherwise), goal p50(2000) <= 1.5 x p50(10).

    .venv/bin/python bench/queries.py [--smoke] [--repeat N]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this very
# file would shadow the ``catalog`` app: put the project root there instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

from bench import _harness as h  # noqa: E402

SIZES = (10, 50, 100)
BIG = 2000  # products of the one big cooperative


def discover_api_lists() -> list[str]:
    """Paths of paginated list views under /api/v1/ that take no URL argument."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                full = prefix + route
                if not full.startswith("api/v1/") or "<" in full or "(?P" in full:
                    continue
                cls = getattr(p.callback, "cls", None) or getattr(p.callback, "view_class", None)
                actions = getattr(p.callback, "actions", None) or {}
                answers_get = actions.get("get") == "list" if actions else hasattr(cls, "get")
                # Views that paginate; those that turn out not to answer a list are
                # dropped when measured (their body has no "results").
                if cls is not None and answers_get and getattr(cls, "pagination_class", None):
                    found.append("/" + full.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def seed(smoke: bool):
    """Enough rows that every list can fill a page of 100, plus sized cooperatives."""
    from catalog.models import Cooperative, County

    full = h.seed_catalog(
        products=200 if smoke else 400,
        cooperatives=105,
        counties=105,
        categories=105,
    )
    sized = {}
    for n in (*SIZES, BIG):
        part = h.seed_catalog(products=n, cooperatives=1, counties=1, prefix=f"sized{n}-")
        sized[n] = (part.cooperative_slugs[0], part.county_slugs[0])
    # One cooperative per sized county, so the county page lists exactly its products.
    assert Cooperative.objects.filter(county__slug=sized[10][1]).count() == 1
    assert County.objects.count() >= 100
    buyer_token = h.make_buyers(1, prefix="query-buyer")[0]
    _seed_orders(buyer_token, full, count=105)
    return full, sized, buyer_token


def _seed_orders(token: str, cat: h.Catalog, *, count: int) -> None:
    """Enough orders through the real checkout for the buyer's order list to fill 100."""
    from rest_framework.authtoken.models import Token

    try:
        from orders.services import order_place
    except ImportError:  # checkout not built yet: the orders list is measured empty
        return
    user = Token.objects.get(key=token).user
    h.restock(cat.variant_ids[:count], 1000)
    for i in range(count):
        order_place(
            user=user,
            shipping_address=h.ADDRESS,
            lines=[{"variant": cat.variant_ids[i], "quantity": 1}],
        )


def page_cases(sized) -> list[tuple[str, dict[int, str]]]:
    """Storefront pages whose list grows with the data: one URL per size."""
    from django.urls import NoReverseMatch, reverse

    cases = []

    def add(label, name, kwargs_for=None, query_for=None):
        try:
            urls = {
                n: reverse(name, kwargs=kwargs_for(n) if kwargs_for else None)
                + (query_for(n) if query_for else "")
                for n in SIZES
            }
        except NoReverseMatch:
            return
        cases.append((label, urls))

    add("page cooperative", "cooperative_detail", lambda n: {"slug": sized[n][0]})
    add("page county", "county_detail", lambda n: {"slug": sized[n][1]})
    add(
        "page products?cooperative (24/page)",
        "product_list",
        None,
        lambda n: f"?cooperative={sized[n][0]}",
    )
    return cases


def measure(client, url: str, repeat: int, headers: dict) -> tuple[int, int, float, int]:
    """(queries, status, p50 seconds, rows) with the cache emptied before each request."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, times, status, rows = [], [], 0, -1
    for _ in range(repeat):
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url, **headers)
            times.append(time.perf_counter() - t0)
        counts.append(len(ctx.captured_queries))
        status = response.status_code
        if response.get("Content-Type", "").startswith("application/json") and status == 200:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("results"), list):
                rows = len(body["results"])
    if len(set(counts)) != 1:
        # The same request must cost the same every time (no lazy per-process caches).
        print(f"    note: {url} ran {sorted(set(counts))} queries across repeats")
    return max(counts), status, statistics.median(times), rows


def pages_that_do_not_grow(client, sized, repeat: int, verdict) -> float:
    """Cooperative and county pages at 10 and BIG products: same queries, p50 ratio."""
    from django.urls import reverse

    h.heading(f"pages of a cooperative with {BIG} products vs one with 10 (p50 of {repeat})")
    print(f"{'page':<44} {'size':>4} {'queries':>7} {'p50 ms':>8}")
    worst = 0.0
    for label, name, index in (
        ("page cooperative", "cooperative_detail", 0),
        ("page county", "county_detail", 1),
    ):
        results = {}
        for n in (10, BIG):
            url = reverse(name, kwargs={"slug": sized[n][index]})
            queries, status, p50, _ = measure(client, url, repeat, {})
            results[n] = (queries, p50)
            print(f"{label:<44} {n:>4} {queries:>7} {p50 * 1000:>8.1f}")
            verdict.check(status == 200, f"{url} answers 200")
        verdict.check(
            results[10][0] == results[BIG][0],
            f"{label}: queries identical at 10 and {BIG} products "
            f"({results[10][0]}, {results[BIG][0]})",
        )
        ratio = h.ratio(results[BIG][1], results[10][1])
        worst = max(worst, ratio)
        print(f"    p50({BIG})/p50(10) = {ratio:.2f}")
    return worst


def _is_list(client, url: str, headers: dict) -> bool:
    response = client.get(url, **headers)
    try:
        return isinstance(response.json().get("results"), list)
    except (ValueError, AttributeError):
        return False


def main() -> None:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=0, help="requests per URL and size")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.smoke else 15)
    bench = h.setup("queries", args)
    verdict = h.Verdict()
    try:
        from django.test import Client

        _, sized, token = seed(args.smoke)
        client = Client(HTTP_HOST="127.0.0.1")
        auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
        api_lists = discover_api_lists()
        cases: list[tuple[str, dict[int, str], dict]] = []
        for path in api_lists:
            cases.append((path, {n: f"{path}?page_size={n}" for n in SIZES}, auth))
        if "/api/v1/products/" in api_lists:
            for query in ("in_stock=true&ordering=price", f"cooperative={sized[100][0]}"):
                cases.append(
                    (
                        f"/api/v1/products/?{query}",
                        {n: f"/api/v1/products/?{query}&page_size={n}" for n in SIZES},
                        {},
                    )
                )
        cases += [(label, urls, {}) for label, urls in page_cases(sized)]

        h.heading(f"queries per request, cache empty, p50 of {repeat} (PostgreSQL)")
        print(f"{'endpoint':<44} {'size':>4} {'rows':>5} {'queries':>7} {'p50 ms':>8}")
        worst_ratio = 0.0
        for label, urls, headers in cases:
            if label.startswith("/api/v1/") and not _is_list(client, urls[10], headers):
                print(f"{label:<44} (not a paginated list: skipped)")
                continue
            results = {}
            for n in SIZES:
                queries, status, p50, rows = measure(client, urls[n], repeat, headers)
                results[n] = (queries, p50)
                shown = "" if rows < 0 else str(rows)
                print(
                    f"{label[:44]:<44} {n:>4} {shown:>5} {queries:>7} {p50 * 1000:>8.1f}"
                    + ("" if status == 200 else f"  HTTP {status}")
                )
                if status != 200:
                    verdict.check(False, f"{urls[n]} answers 200")
                if 0 <= rows < n and label.startswith("/api/v1/") and "?" not in label:
                    print(f"    note: only {rows} rows for page_size {n}")
            counts = {n: results[n][0] for n in SIZES}
            verdict.check(
                len(set(counts.values())) == 1,
                f"{label}: queries constant in size {counts}",
            )
            slow = h.ratio(results[100][1], results[10][1])
            worst_ratio = max(worst_ratio, slow)
            print(f"    p50(100)/p50(10) = {slow:.2f}")
        big_ratio = pages_that_do_not_grow(client, sized, repeat, verdict)
        h.heading("goals")
        print(f"  {len(cases)} lists measured; API lists found: {', '.join(api_lists) or 'none'}")
        verdict.goal("worst p50(100)/p50(10)", worst_ratio, 3.0, at_most=True)
        verdict.goal(f"worst page p50({BIG})/p50(10)", big_ratio, 1.5, at_most=True)
    finally:
        bench.close()
    verdict.exit()


if __name__ == "__main__":
    main()
