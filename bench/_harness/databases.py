"""Databases and Django: a throw-away ``fg_bench_<name>`` PostgreSQL database cloned from
a migrated template, an owned and emptied bench Redis db, and Django configured on them
with the production settings.

Only databases named ``fg_bench_*`` and Redis dbs 8 and 9 are ever touched."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import hashlib
import os
import secrets
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .run import _SANDBOX_SECRET, _SECRET_KEY, PYTHON, ROOT, _env, _log_dir

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
BENCH_REDIS_DBS = (8, 9)


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
