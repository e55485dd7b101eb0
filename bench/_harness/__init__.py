"""What every benchmark shares: a throw-away database, a production-like server,
Celery workers, and a load generator that measures endpoints side by side.

Nothing here is imported by the application. Each script (``bench/*.py``) imports
this package as ``h`` and:

1. calls :func:`setup` with its name (:mod:`.databases`): a fresh PostgreSQL database
   ``fg_bench_<name>`` is cloned from a migrated template (rebuilt whenever a
   migration file changes), Redis db 8 (db 9 for ``--smoke``) is emptied, and
   Django is configured in-process with the *production* settings against them;
2. seeds rows with ``bulk_create`` (:func:`seed_catalog`, :mod:`.seeding`);
3. starts gunicorn (:class:`Server`) and Celery workers (:class:`Worker`) as
   child processes with the same environment, ``DEBUG`` off (:mod:`.processes`);
4. drives them with :func:`run_blocks` / :func:`run_requests`, a bounded
   asyncio HTTP/1.1 client (:mod:`.http`; see :class:`HTTPClient` for why it is
   hand-made);
5. prints figures and ratios, and exits 1 when a correctness figure is wrong
   (:class:`Verdict`, :mod:`.cli`).

:mod:`.run` holds what one run shares: the root, the secrets, the environment
and the log directory. Only databases named ``fg_bench_*`` and Redis dbs 8 and 9
are ever touched.
"""

from __future__ import annotations

from .cli import Verdict, arg_parser, heading, ratio
from .databases import BENCH_REDIS_DBS, DEFAULT_PG, DEFAULT_REDIS, Bench, setup
from .http import (
    STATS_HEADER,
    HTTPClient,
    Request,
    Response,
    Stats,
    run_blocks,
    run_requests,
)
from .processes import (
    CATALOG_WORKERS,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    Server,
    Worker,
    children,
    descendants,
    free_port,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    stop_all,
)
from .run import PYTHON, ROOT, _env, _log_dir
from .seeding import ADDRESS, Catalog, make_buyers, restock, seed_catalog

__all__ = [
    "ADDRESS",
    "BENCH_REDIS_DBS",
    "CATALOG_WORKERS",
    "DEFAULT_PG",
    "DEFAULT_REDIS",
    "GUNICORN_THREADS",
    "GUNICORN_WORKERS",
    "PYTHON",
    "ROOT",
    "STATS_HEADER",
    "Bench",
    "Catalog",
    "HTTPClient",
    "Request",
    "Response",
    "Server",
    "Stats",
    "Verdict",
    "Worker",
    "_env",
    "_log_dir",
    "arg_parser",
    "children",
    "descendants",
    "free_port",
    "heading",
    "make_buyers",
    "peak_rss_mb",
    "ratio",
    "reset_peak_rss",
    "restock",
    "rss_mb",
    "run_blocks",
    "run_requests",
    "seed_catalog",
    "setup",
    "stop_all",
]
