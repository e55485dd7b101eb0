"""Processes: gunicorn (:class:`Server`) and Celery workers (:class:`Worker`) as child
processes in their own sessions with the run's environment, stopped by their own pid
or process group only, and their memory as /proc reports it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from .run import PYTHON, ROOT, _env, _log_dir


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
# The catalogue pool (deploy/nginx.conf sends the catalogue's reads to it): two
# processes beside the three of the application pool on 2 cores.
CATALOG_WORKERS = 2


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
            # The deployed settings (worker recycling, timeouts, hooks); the options
            # below override what a benchmark varies.
            "--config",
            str(ROOT / "gunicorn.conf.py"),
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
