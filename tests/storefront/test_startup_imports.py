"""A web process starts without the heavy libraries only some requests need: pypinyin's
phrase dictionary (~70 MB per process) and fpdf2 with fontTools load on first use
(bench/catalog.py's goal: a web worker at most 150 MB)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
from storefront.wsgi import application
heavy = sorted(m for m in ("pypinyin", "fpdf", "fontTools", "jieba") if m in sys.modules)
print(",".join(heavy))
"""


def test_the_wsgi_application_loads_no_heavy_library():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "storefront.settings.test"
        ),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1:] in ([], [""]), done.stdout
