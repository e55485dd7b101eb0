"""Fixtures of the resilience suite: a buyer with an address, an API client, and a
private Redis server (never the shared one) that tests may stop and start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.factories import ADDRESS, make_user


@pytest.fixture
def address() -> dict:
    return dict(ADDRESS)


@pytest.fixture
def buyer(db):
    return make_user("resil-buyer")


@pytest.fixture
def buyer_client(buyer) -> APIClient:
    client = APIClient()
    client.force_authenticate(buyer)
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a free port: stopping it harms nobody else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fg-resil-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except Exception:
            return False


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        if os.environ.get("FARMGATE_REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed (CI needs it)")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def wait_for(condition, *, timeout: float = 30.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")


def point_celery_at(broker_url: str | None, *, eager: bool) -> dict:
    """Point the Celery app at ``broker_url`` and drop the connections and producers
    made for the previous broker. Returns what to restore with :func:`restore_celery`."""
    from storefront.celery import app

    keys = ("broker_url", "task_always_eager", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    if broker_url is not None:
        app.conf.update(
            broker_url=broker_url,
            task_always_eager=eager,
            broker_transport_options={"visibility_timeout": 3600},
        )
    _drop_connections(app)
    return saved


def restore_celery(saved: dict) -> None:
    from storefront.celery import app

    app.conf.update(saved)
    _drop_connections(app)


def _drop_connections(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None
