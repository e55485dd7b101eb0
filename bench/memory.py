"""Memory of the web process while photos are uploaded: a pixel flood against a normal photo.

A pixel-flood PNG is a few hundred bytes whose header claims a 60,000 x 60,000
canvas: decoding it would take gigabytes. The upload path must refuse it from the
header, so the web process should grow no more for it than for an ordinary
1-megapixel JPEG. Each case runs on a fresh gunicorn (one worker, the production
settings), which first takes one tiny photo so that both peaks include the same
imports; then five uploads go through the farmer portal's photo upload
(``/farm/products/<pk>/photos/``, a logged-in farmer's session, CSRF as a
browser sends it), and the worker's peak resident memory (VmHWM) is read.

Prints both peaks and flood / normal (goal <= 1.5). Exits 1 when the normal
photo is not accepted or the flood is not refused (or leaves a row behind).

    .venv/bin/python bench/memory.py [--smoke]
"""

from __future__ import annotations

import io
import secrets
import struct
import sys
import zlib
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/catalog.py
# would shadow the ``catalog`` app: put the project root there instead.
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

from bench import _harness as h  # noqa: E402


def photo(size: tuple[int, int]) -> bytes:
    from PIL import Image

    # Noise compresses like a real photo does (badly); a flat colour would not.
    img = Image.effect_noise(size, 40).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def pixel_flood_png(width: int = 60_000, height: int = 60_000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024, 9))
        + chunk(b"IEND", b"")
    )


def farmer_session():
    """A farmer with a draft product, and the cookies of their logged-in session."""
    from django.test import Client

    from accounts.models import User
    from catalog.constants import MembershipRole
    from catalog.models import Category, Cooperative, County
    from catalog.services import membership_grant, product_create

    county = County.objects.create(name="Jeminay", slug="jeminay", province="Xinjiang")
    coop = Cooperative.objects.create(name="Jeminay flour", slug="jeminay-flour", county=county)
    category = Category.objects.create(name="Flour", slug="flour")
    user = User.objects.create_user(username="bench-farmer", password=None)
    membership_grant(user=user, cooperative=coop, role=MembershipRole.FARMER)
    product = product_create(cooperative=coop, title="Wheat flour", category=category, farmer=user)
    client = Client()
    client.force_login(user)
    csrf = secrets.token_hex(16)  # a 32-character secret, as Django's CSRF cookie holds
    return product.pk, client.cookies["sessionid"].value, csrf


def upload(server: h.Server, pk: int, session: str, csrf: str, name: str, data: bytes):
    import httpx

    return httpx.post(
        f"{server.url}/farm/products/{pk}/photos/",
        files={"photos": (name, data, "application/octet-stream")},
        headers={"X-CSRFToken": csrf, "X-Requested-With": "XMLHttpRequest"},
        cookies={"sessionid": session, "csrftoken": csrf},
        timeout=60,
    )


def measure(pk: int, session: str, csrf: str, name: str, data: bytes, times: int):
    """Peak RSS (MB) of a fresh single-worker server over ``times`` uploads, the answers,
    and how many photos they stored."""
    from catalog.models import ProductImage

    with h.Server(workers=1, threads=1) as server:
        warm = upload(server, pk, session, csrf, "tiny.jpg", photo((32, 32)))
        if warm.status_code != 200:
            raise RuntimeError(f"warm-up upload failed: {warm.status_code} {warm.text[:300]}")
        (worker,) = server.worker_pids()
        before = h.peak_rss_mb(worker)
        rows = ProductImage.objects.filter(product_id=pk).count()
        answers = [upload(server, pk, session, csrf, name, data).status_code for _ in range(times)]
        stored = ProductImage.objects.filter(product_id=pk).count() - rows
        return before, h.peak_rss_mb(worker), answers, stored


def main() -> None:
    parser = h.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=0)
    args = parser.parse_args()
    times = args.uploads or (2 if args.smoke else 5)
    bench = h.setup("memory", args)
    verdict = h.Verdict()
    try:
        pk, session, csrf = farmer_session()
        normal = photo((1155, 866))  # 1.0 megapixel
        flood = pixel_flood_png()
        h.heading("peak RSS of the web worker while photos are uploaded")
        base_n, peak_n, answers_n, stored_n = measure(pk, session, csrf, "a.jpg", normal, times)
        base_f, peak_f, answers_f, stored_f = measure(pk, session, csrf, "b.png", flood, times)
        print(
            f"  normal 1 MP JPEG ({len(normal) // 1024} KB) x{times}: answers {answers_n}, "
            f"peak {peak_n:.0f} MB (after warm-up {base_n:.0f} MB)"
        )
        print(
            f"  pixel flood PNG ({len(flood)} bytes, 60000x60000) x{times}: answers {answers_f}, "
            f"peak {peak_f:.0f} MB (after warm-up {base_f:.0f} MB)"
        )
        verdict.check(
            all(a == 200 for a in answers_n) and stored_n == times, "normal photos accepted"
        )
        verdict.check(all(a == 400 for a in answers_f), "pixel floods refused with 400")
        verdict.check(stored_f == 0, f"a refused flood stores nothing ({stored_f} stored)")
        h.heading("goals")
        verdict.goal("peak RSS flood / normal", h.ratio(peak_f, peak_n), 1.5, at_most=True)
    finally:
        bench.close()
    verdict.exit()


if __name__ == "__main__":
    main()
