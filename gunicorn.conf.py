"""gunicorn's settings for every deployment (Procfile, Procfile.dev with DEBUG=0, the
Dockerfile, compose.yaml): `gunicorn -c gunicorn.conf.py storefront.wsgi`.

Processes and threads follow the machine: ``cores + 1`` worker processes of 4 threads
each (on 2 cores: 3 x 4, the set-up the benchmarks measured best; bench/README.md).
The environment overrides each value; see .env.example.
"""

import multiprocessing
import os
from pathlib import Path

_cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
)
workers = int(os.environ.get("WEB_CONCURRENCY") or _cores + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# A worker silent for this long (a request stuck that long) is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
# On SIGTERM (a deploy, `docker stop`) workers finish the requests they hold for up to
# this long before they are killed: keep it below the orchestrator's stop grace period.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 25)
keepalive = 5
# Recycle workers now and then, so a slow leak never grows without bound — rarely: a new
# worker takes about a second to start, and its connections wait meanwhile. At 2,000 a
# catalogue serving 1,500 req/s on three workers replaced one every 4 s, and each
# replacement showed as a 1–2 s stall in bench/flash_catalog.py's p99.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 100_000)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory: a worker blocked on a slow disk is not taken for dead.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108

# The app logs every request it answers (JSON, with the request id); gunicorn's own
# access log is off unless asked for with GUNICORN_ACCESS_LOG=- (stdout).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# The reverse proxy's X-Forwarded-For / -Proto are believed from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server):
    # Prometheus multiprocess mode needs its folder before the first worker counts.
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    # The exited worker's counters stay (they are totals); its live gauges go.
    from storefront.metrics import mark_process_dead

    mark_process_dead(worker.pid)
