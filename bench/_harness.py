"""What every benchmark shares: a throw-away database, a production-like server,
Celery workers, and a load generator that measures endpoints side by side.

Nothing here is imported by the application. Each script (``bench/*.py``):

1. calls :func:`setup` with its name: a fresh PostgreSQL database
   ``fg_bench_<name>`` is cloned from a migrated template (rebuilt whenever a
   migration file changes), Redis db 8 (db 9 for ``--smoke``) is emptied, and
   Django is configured in-process with the *production* settings against them;
2. seeds rows with ``bulk_create`` (:func:`seed_catalog`);
3. starts gunicorn (:class:`Server`) and Celery workers (:class:`Worker`) as
   child processes with the same environment, ``DEBUG`` off;
4. drives them with :func:`run_blocks` / :func:`run_requests`, a bounded
   asyncio HTTP/1.1 client (see :class:`HTTPClient` for why it is hand-made);
5. prints figures and ratios, and exits 1 when a correctness figure is wrong.

Only databases named ``fg_bench_*`` and Redis dbs 8 and 9 are ever touched.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import dataclasses
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
BENCH_REDIS_DBS = (8, 9)

# A stable secret per run: server, workers and this process must agree.
_SECRET_KEY = secrets.token_urlsafe(64)
_SANDBOX_SECRET = secrets.token_hex(32)
_env: dict[str, str] = {}
_log_dir = Path(tempfile.mkdtemp(prefix="farmgate-bench-"))
if not os.environ.get("BENCH_KEEP_LOGS"):
    # Server and worker logs live only as long as the run (BENCH_KEEP_LOGS=1 keeps them).
    atexit.register(shutil.rmtree, _log_dir, True)


# --- arguments and results ------------------------------------------------
def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny size that only checks the script works"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database")
    return parser


@dataclasses.dataclass
class Verdict:
    """Correctness checks (a failure makes the script exit 1) and goals (reported)."""

    failures: list[str] = dataclasses.field(default_factory=list)
    goals: list[tuple[str, bool, str]] = dataclasses.field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.failures.append(what)

    def goal(self, name: str, value: float, target: float, *, at_most: bool = False) -> bool:
        met = value <= target if at_most else value >= target
        sign = "<=" if at_most else ">="
        if met:
            gap = ""
        elif at_most:
            gap = f" (missed: {value / target:.2f}x the limit)"
        else:
            gap = f" (missed: {value / target:.0%} of the goal)"
        line = f"{name} = {value:.3f}  goal {sign} {target}{gap}"
        print(f"  [{'met' if met else 'MISSED'}] {line}")
        self.goals.append((name, met, line))
        return met

    def exit(self) -> None:
        if self.failures:
            print(f"\nCORRECTNESS FAILED: {'; '.join(self.failures)}")
            sys.exit(1)
        missed = [name for name, met, _ in self.goals if not met]
        print("\nall correctness checks passed" + (f"; goals missed: {missed}" if missed else ""))
        sys.exit(0)


_started = time.monotonic()


def heading(text: str) -> None:
    elapsed = f" [{time.monotonic() - _started:.0f} s]"
    print(f"\n== {text} " + "=" * max(0, 64 - len(text)) + elapsed, flush=True)


# --- database and Django ----------------------------------------------------
def _pg_base() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_PG
    if not url.startswith("postgres"):
        url = DEFAULT_PG
    return url


def _pg_url(dbname: str) -> str:
    parts = urlsplit(_pg_base())
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, ""))


def _admin_connect():
    import psycopg

    return psycopg.connect(_pg_url("postgres"), autocommit=True)


def _check_bench_name(dbname: str) -> None:
    if not dbname.startswith("fg_bench_"):
        raise ValueError(f"bench databases are named fg_bench_*, not {dbname!r}")


def _drop_database(cur, dbname: str) -> None:
    _check_bench_name(dbname)
    cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _template_database() -> str:
    """A migrated database to clone from, rebuilt when any migration changes.

    Cloning (``CREATE DATABASE ... TEMPLATE``) takes a second where migrating
    takes many, which keeps the smoke runs inside the test suite short.
    """
    name = f"fg_bench_template_{_migrations_fingerprint()}"
    with _admin_connect() as conn, conn.cursor() as cur:
        # One builder at a time; the others wait and then find it ready.
        cur.execute("SELECT pg_advisory_lock(hashtext('fg_bench_template'))")
        try:
            cur.execute(
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname LIKE 'fg\\_bench\\_template\\_%%'"
            )
            existing = dict(cur.fetchall())
            for old in existing:
                if old != name:
                    _drop_database(cur, old)
            if existing.get(name) == "ready":
                return name
            _drop_database(cur, name)
            cur.execute(f'CREATE DATABASE "{name}"')
            env = {**os.environ, **_server_env(name)}
            subprocess.run(
                [PYTHON, "manage.py", "migrate", "--noinput", "--skip-checks", "-v0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            cur.execute(f"COMMENT ON DATABASE \"{name}\" IS 'ready'")
            return name
        finally:
            cur.execute("SELECT pg_advisory_unlock(hashtext('fg_bench_template'))")


def _redis_url(db: int) -> str:
    if db not in BENCH_REDIS_DBS:
        raise ValueError(f"bench Redis dbs are {BENCH_REDIS_DBS}, not {db}")
    base = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def _server_env(dbname: str, redis_db: int = 8) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "storefront.settings.production",
        "DATABASE_URL": _pg_url(dbname),
        "REDIS_URL": _redis_url(redis_db),
        "SECRET_KEY": _SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
        "BENCHMARK_VIEWS": "1",
        "PAYMENTS_SANDBOX_ENABLED": "1",
        "SANDBOX_WALLET_SECRET": _SANDBOX_SECRET,
        "LOG_LEVEL": "WARNING",
        "EMAIL_ALLOW_CONSOLE": "1",
        "FARMGATE_VAR_DIR": str(ROOT / "var" / "bench"),
        "MEDIA_ROOT": str(_log_dir / "media"),
        "PYTHONUNBUFFERED": "1",
    }


_LOCK_KEY = "bench:running"
_lock_token = secrets.token_hex(8)


def _lock_redis_db(url: str, wait: float = 900) -> None:
    """Own the bench Redis db for this run, then empty it.

    Two runs on one db would consume each other's Celery tasks (the queue names
    are fixed), so a second run (another engineer's ``make test``, say) waits here.
    """
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + wait
    while not client.set(_LOCK_KEY, _lock_token, nx=True, ex=1800):
        if time.monotonic() > deadline:
            raise RuntimeError(f"another benchmark holds {url} ({_LOCK_KEY})")
        time.sleep(1)
    client.flushdb()
    client.set(_LOCK_KEY, _lock_token, ex=1800)

    def release() -> None:
        with contextlib.suppress(Exception):
            if client.get(_LOCK_KEY) == _lock_token.encode():
                client.delete(_LOCK_KEY)

    atexit.register(release)


@dataclasses.dataclass
class Bench:
    name: str
    dbname: str
    redis_db: int
    smoke: bool
    keep_db: bool
    env: dict[str, str]
    log_dir: Path

    def redis(self):
        import redis

        return redis.Redis.from_url(self.env["REDIS_URL"])

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
        if not self.keep_db:
            with _admin_connect() as conn, conn.cursor() as cur:
                _drop_database(cur, self.dbname)


def setup(name: str, args: argparse.Namespace, extra_env: dict[str, str] | None = None) -> Bench:
    """A fresh ``fg_bench_<name>`` database and Redis db, and Django configured on them."""
    smoke = bool(getattr(args, "smoke", False))
    dbname = f"fg_bench_{name}{'_smoke' if smoke else ''}"
    redis_db = 9 if smoke else 8
    template = _template_database()
    with _admin_connect() as conn, conn.cursor() as cur:
        _drop_database(cur, dbname)
        cur.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{template}"')
    env = {**_server_env(dbname, redis_db), **(extra_env or {})}
    os.environ.update(env)
    _env.clear()
    _env.update(env)
    _lock_redis_db(env["REDIS_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    # Production settings serve hashed static names: pages need the manifest.
    call_command("collectstatic", interactive=False, verbosity=0, skip_checks=True)
    bench = Bench(
        name=name,
        dbname=dbname,
        redis_db=redis_db,
        smoke=smoke,
        keep_db=bool(getattr(args, "keep_db", False)),
        env=env,
        log_dir=_log_dir,
    )
    return bench


# --- seeding ----------------------------------------------------------------
@dataclasses.dataclass
class Catalog:
    product_ids: list[int]
    slugs: list[str]
    category_slugs: list[str]
    cooperative_slugs: list[str]
    county_slugs: list[str]
    variant_ids: list[int]


def seed_catalog(
    *,
    products: int,
    cooperatives: int,
    variants_per_product: int = 2,
    counties: int | None = None,
    categories: int = 8,
    prefix: str = "",
) -> Catalog:
    """``products`` active listings spread over ``cooperatives``, in a few bulk inserts.

    ``prefix`` keeps slugs unique when called more than once on one database.
    """
    import random
    from datetime import date, timedelta
    from decimal import Decimal

    from catalog.constants import CertificationKind, ProductStatus
    from catalog.models import (
        Batch,
        Category,
        Certification,
        Cooperative,
        County,
        Product,
        ProductImage,
        Variant,
    )
    from catalog.stock import stock_record_opening

    rng = random.Random(8)
    county_rows = County.objects.bulk_create(
        County(
            name=f"County {prefix}{i}",
            slug=f"{prefix}county-{i}",
            province="Xinjiang",
            poverty_relief=True,
        )
        for i in range(counties or max(1, cooperatives // 2))
    )
    coops = Cooperative.objects.bulk_create(
        Cooperative(
            name=f"Cooperative {prefix}{i}",
            slug=f"{prefix}coop-{i}",
            county=county_rows[i % len(county_rows)],
            story="A flour cooperative of the county's farming households.",
        )
        for i in range(cooperatives)
    )
    category_rows = Category.objects.bulk_create(
        Category(name=f"Category {prefix}{i}", slug=f"{prefix}cat-{i}", position=i)
        for i in range(categories)
    )
    kinds = list(CertificationKind.values)
    Certification.objects.bulk_create(
        Certification(
            kind=kinds[i % len(kinds)],
            number=f"COOP-CERT-{prefix}{i}",
            issuer="County bureau",
            cooperative=coop,
            valid_until=date(2027, 12, 31),
        )
        for i, coop in enumerate(coops)
    )
    base = date(2026, 1, 1)
    description = "Spring wheat from the county's terraces, stone-milled in small batches. " * 3
    rows = Product.objects.bulk_create(
        Product(
            cooperative=coops[i % len(coops)],
            category=category_rows[i % len(category_rows)],
            # The Chinese columns named, whatever language is active (catalog/translation.py).
            title=f"Stone-milled flour {prefix}{i}",
            title_zh_hans=f"Stone-milled flour {prefix}{i}",
            slug=f"{prefix}flour-{i}",
            description=description,
            description_zh_hans=description,
            grade=("Grade 1", "Grade 2", "Special")[i % 3],
            origin="Jeminay",
            status=ProductStatus.ACTIVE,
        )
        for i in range(products)
    )
    # auto_now_add stamps one instant on all rows: spread them so ordering is real.
    for i, product in enumerate(rows):
        product.created = product.created - timedelta(minutes=i)
    Product.objects.bulk_update(rows, ["created"], batch_size=1000)
    variants = Variant.objects.bulk_create(
        (
            Variant(
                product=product,
                name=f"{5 * (v + 1)} kg",
                sku=f"SKU-{product.pk}-{v}",
                price=Decimal(rng.randrange(1500, 30000)) / 100,
                weight_grams=5100 * (v + 1),
                stock=0 if rng.random() < 0.1 else rng.randrange(1, 500),
                position=v,
            )
            for product in rows
            for v in range(variants_per_product)
        ),
        batch_size=2000,
    )
    # The opening stock as receipt movements, so stock = sum of movements here too.
    stock_record_opening(variants=variants, note="bench seed")
    ProductImage.objects.bulk_create(
        (
            ProductImage(
                product=product,
                token=f"t{product.pk:030d}",
                image=f"products/{product.pk}/t{product.pk:030d}.jpg",
                thumbnail=f"products/{product.pk}/thumbs/t{product.pk:030d}.webp",
                width=1200,
                height=900,
                alt=product.title,
            )
            for product in rows
        ),
        batch_size=2000,
    )
    Certification.objects.bulk_create(
        (
            Certification(
                kind=kinds[i % len(kinds)],
                number=f"PROD-CERT-{product.pk}",
                issuer="Provincial bureau",
                cooperative_id=product.cooperative_id,
                product=product,
            )
            for i, product in enumerate(rows)
            if i % 4 == 0
        ),
        batch_size=2000,
    )
    Batch.objects.bulk_create(
        (
            Batch(
                code=f"B-{product.pk}",
                product=product,
                harvested_on=base,
                milled_on=base + timedelta(days=30),
                protein_pct=Decimal("13.5"),
                moisture_pct=Decimal("13.0"),
            )
            for product in rows
        ),
        batch_size=2000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Catalog(
        product_ids=[p.pk for p in rows],
        slugs=[p.slug for p in rows],
        category_slugs=[c.slug for c in category_rows],
        cooperative_slugs=[c.slug for c in coops],
        county_slugs=[c.slug for c in county_rows],
        variant_ids=[v.pk for v in variants],
    )


ADDRESS = {
    "name": "Aynur",
    "phone": "13800138000",
    "province": "Xinjiang",
    "city": "Altay",
    "district": "Jeminay",
    "address": "12 Wheat Road",
    "postcode": "836800",
}


def restock(variant_ids: list[int], to: int) -> None:
    """Top these variants up to ``to`` units, as recorded receipts (stock moves only
    through ``catalog.stock``, benchmarks included)."""
    from catalog.models import Variant
    from catalog.stock import stock_adjust

    for pk, stock in Variant.objects.filter(pk__in=variant_ids).values_list("pk", "stock"):
        if stock < to:
            stock_adjust(variant_id=pk, delta=to - stock, note="bench restock")


def make_buyers(count: int, *, prefix: str = "buyer") -> list[str]:
    """``count`` users with API tokens, in bulk; returns their token keys in order."""
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    password = make_password(None)  # unusable: these buyers only ever use tokens
    users = User.objects.bulk_create(
        (User(username=f"{prefix}{i}", password=password) for i in range(count)), batch_size=2000
    )
    tokens = Token.objects.bulk_create(
        (Token(key=secrets.token_hex(20), user=user) for user in users), batch_size=2000
    )
    return [t.key for t in tokens]


# --- processes ----------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int) -> float:
    """The kernel's high-water mark of the process's resident memory (VmHWM)."""
    return _status_kb(pid, "VmHWM") / 1024


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class _Process:
    """A child process in its own session, stopped by its own pid / process group only."""

    proc: subprocess.Popen | None = None
    log_path: Path

    def _spawn(self, argv: Sequence[str], label: str, env: dict[str, str] | None = None) -> None:
        self.log_path = _log_dir / f"{label}-{int(time.time() * 1000)}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env={**os.environ, **_env, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group this object started (its session)."""
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        if not self.proc:
            return
        t0 = time.monotonic()
        try:
            self._stop(timeout)
        finally:
            if os.environ.get("BENCH_DEBUG"):
                print(f"  (stopped {self.log_path.name} in {time.monotonic() - t0:.1f} s)")

    def _stop(self, timeout: float) -> None:
        if self.proc.poll() is None and self.proc.args[0] == "py-spy":
            # Stop the profiled program, not py-spy: it writes its profile when that ends.
            for pid in children(self.proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        if self.proc.poll() is None:
            if not getattr(self, "_terminating", False):
                with contextlib.suppress(ProcessLookupError):
                    self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)
                self.proc.wait(5)
        # Children left behind by a killed parent are in our process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()
        self.proc = None
        self._terminating = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def stop_all(processes: Sequence[_Process]) -> None:
    """Stop several children at once (each takes a few seconds to shut down cleanly)."""
    for process in processes:
        if process.proc and process.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.proc.send_signal(signal.SIGTERM)
                process._terminating = True
    for process in processes:
        process.stop()


# Recommended for 2 cores (measured in bench/README.md): three processes keep both
# cores for Python; threads overlap each request's database and Redis waits and
# keep HTTP connections alive (the sync worker closes every connection).
GUNICORN_WORKERS = 3
GUNICORN_THREADS = 4


class Server(_Process):
    """gunicorn serving ``storefront.wsgi`` with the production settings, DEBUG off."""

    def __init__(
        self,
        *,
        workers: int = GUNICORN_WORKERS,
        threads: int = GUNICORN_THREADS,
        worker_class: str = "gthread",
        env: dict[str, str] | None = None,
    ):
        self.port = free_port()
        self.workers, self.threads, self.worker_class = workers, threads, worker_class
        argv = argv_server = [
            PYTHON,
            "-m",
            "gunicorn",
            "storefront.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ]
        profile = os.environ.get("BENCH_PYSPY")
        if profile:
            # py-spy (pip install py-spy) samples every worker; collapsed stacks are
            # written when the server stops: sort them to see where the time goes.
            argv = ["py-spy", "record", "--subprocesses", "--format", "raw", "--rate", "250"]
            argv += ["--nonblocking", "-o", profile, "--", *argv_server]
        self._spawn(argv, "gunicorn", env)
        self._wait_ready()

    @property
    def describe(self) -> str:
        return f"gunicorn -w {self.workers} -k {self.worker_class} --threads {self.threads}"

    def _wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                answered = httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
                # Every worker must be up, not just the first one to answer.
                if answered and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become ready:\n{self.log_tail()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        master = self.pid
        if os.environ.get("BENCH_PYSPY"):  # py-spy is the parent of gunicorn's master
            master = next(iter(children(self.pid)), self.pid)
        return children(master)


class Worker(_Process):
    """A Celery worker on the bench Redis db (``celery -A storefront worker``)."""

    def __init__(
        self,
        *,
        queues: Iterable[str],
        concurrency: int = 2,
        name: str = "bench",
        include: Sequence[str] = (),
        nice: int = 0,
        env: dict[str, str] | None = None,
    ):
        self.name = name
        argv = argv_worker = [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "storefront",
            "worker",
            "-Q",
            ",".join(queues),
            "-c",
            str(concurrency),
            "-n",
            f"{name}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if include:
            argv += ["--include", ",".join(include)]
        if nice:
            argv = ["nice", "-n", str(nice), *argv]
        profile = os.environ.get("BENCH_PYSPY_WORKER")
        if profile:  # as BENCH_PYSPY for gunicorn: one collapsed-stack file per worker started
            out = f"{profile}.{name}.{int(time.time() * 1000)}"
            argv = ["py-spy", "record", "--subprocesses", "--format", "raw", "--rate", "250"]
            argv += ["--nonblocking", "-o", out, "--", *argv_worker]
        self._spawn(argv, f"celery-{name}", env)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.log_tail()}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker did not become ready:\n{self.log_tail()}")


# --- load generation --------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    label: str = ""


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    latency: float
    started: float
    request: Request


class HTTPClient:
    """One keep-alive HTTP/1.1 connection over asyncio streams.

    Why not httpx or aiohttp: on a 2-core machine the load generator shares the
    CPU with the server, and every microsecond it spends per request is taken
    from the server and flattens every ratio towards 1. httpx's AsyncClient
    costs several times more per request than these ~60 lines, and aiohttp
    would be a dependency for the same result. The requests are simple (no
    TLS, no redirects, bodies with Content-Length or chunked).
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def send(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                await self._connect()
            head = [f"{req.method} {req.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            head += [f"{k}: {v}" for k, v in req.headers]
            if req.body or req.method in ("POST", "PUT", "PATCH"):
                head.append(f"Content-Length: {len(req.body)}")
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + req.body)
                return await self._read()
            except (ConnectionError, asyncio.IncompleteReadError):
                # A kept-alive connection the server closed: reconnect once.
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _read(self) -> tuple[int, dict[str, str], bytes]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        elif status in (204, 304):
            body = b""
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body


async def _drive(
    base_url: str,
    requests: Sequence[Request],
    concurrency: int,
    on_response: Callable[[Response], None] | None,
    clients: list[HTTPClient] | None = None,
) -> tuple[list[Response], float]:
    parts = urlsplit(base_url)
    own = clients is None
    if clients is None:
        clients = [HTTPClient(parts.hostname, parts.port) for _ in range(concurrency)]
    queue = iter(enumerate(requests))
    results: list[Response | None] = [None] * len(requests)

    async def worker(client: HTTPClient) -> None:
        for index, req in queue:
            started = time.perf_counter()
            try:
                status, headers, body = await client.send(req)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status, headers, body = 0, {}, repr(exc).encode()
                await client.close()
            resp = Response(status, headers, body, time.perf_counter() - started, started, req)
            results[index] = resp
            if on_response:
                on_response(resp)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients[:concurrency]))
    elapsed = time.perf_counter() - t0
    if own:
        await asyncio.gather(*(c.close() for c in clients))
    return [r for r in results if r is not None], elapsed


def run_requests(
    base_url: str,
    requests: Sequence[Request],
    concurrency: int,
    on_response: Callable[[Response], None] | None = None,
) -> tuple[list[Response], float]:
    """Send every request, ``concurrency`` at a time; returns responses and wall time."""
    return asyncio.run(_drive(base_url, requests, concurrency, on_response))


@dataclasses.dataclass
class Stats:
    label: str
    count: int = 0
    seconds: float = 0.0
    errors: int = 0
    latencies: list[float] = dataclasses.field(default_factory=list)
    statuses: dict[int, int] = dataclasses.field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> str:
        codes = ",".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.label:<22} {self.rps:>9.0f} {self.pct(0.5) * 1000:>9.1f} "
            f"{self.pct(0.99) * 1000:>9.1f} {self.count:>8}  {codes}"
        )


STATS_HEADER = f"{'endpoint':<22} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>8}  status"


def run_blocks(
    base_url: str,
    endpoints: dict[str, Callable[[int], Request]],
    *,
    concurrency: int,
    block: int,
    rounds: int,
    warmup: int = 0,
    check: Callable[[str, Response], bool] | None = None,
) -> dict[str, Stats]:
    """Measure endpoints side by side: rounds of A, B, C... blocks of ``block`` requests.

    Each block runs one endpoint alone at full concurrency (so its throughput
    is its own), and the rounds alternate the endpoints through the whole run,
    so slow drifts of the machine (another process, CPU frequency) fall on
    all of them alike. ``endpoints`` maps a label to ``f(i) -> Request``.
    Connections are kept alive across blocks, as a browser or app would.
    """
    stats = {label: Stats(label) for label in endpoints}
    counters = dict.fromkeys(endpoints, 0)

    def make(label: str, n: int) -> list[Request]:
        start = counters[label]
        counters[label] += n
        return [endpoints[label](start + i) for i in range(n)]

    async def main() -> None:
        parts = urlsplit(base_url)
        clients = [HTTPClient(parts.hostname, parts.port) for _ in range(concurrency)]
        try:
            for label in endpoints:
                if warmup:
                    await _drive(base_url, make(label, warmup), concurrency, None, clients)
            for _ in range(rounds):
                for label in endpoints:
                    responses, elapsed = await _drive(
                        base_url, make(label, block), concurrency, None, clients
                    )
                    s = stats[label]
                    s.count += len(responses)
                    s.seconds += elapsed
                    for r in responses:
                        s.latencies.append(r.latency)
                        s.statuses[r.status] = s.statuses.get(r.status, 0) + 1
                        ok = 200 <= r.status < 400 and (check is None or check(label, r))
                        if not ok:
                            s.errors += 1
        finally:
            await asyncio.gather(*(c.close() for c in clients))

    asyncio.run(main())
    return stats


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0
