"""What one benchmark run shares between its modules: the checkout's root, the Python
that runs it, the secrets the server, the workers and this process agree on, the
environment :func:`bench._harness.databases.setup` made, and the log directory."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable

# A stable secret per run: server, workers and this process must agree.
_SECRET_KEY = secrets.token_urlsafe(64)
_SANDBOX_SECRET = secrets.token_hex(32)
_env: dict[str, str] = {}
_log_dir = Path(tempfile.mkdtemp(prefix="farmgate-bench-"))
if not os.environ.get("BENCH_KEEP_LOGS"):
    # Server and worker logs live only as long as the run (BENCH_KEEP_LOGS=1 keeps them).
    atexit.register(shutil.rmtree, _log_dir, True)
