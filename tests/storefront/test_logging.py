"""Issue 12 item 16: a worker's log is readable. Third-party libraries that narrate
their work at INFO (fontTools subsetting the CJK font of every packing slip) only
reach the log with warnings, also after Celery's worker has reset the root logger
to its ``--loglevel=INFO``, while the application's own INFO lines still do."""

from __future__ import annotations

import os

import pytest

from fulfilment.slips import find_cjk_font
from scripts import fuzz_api as processes

WORKER_LIKE = """
import logging
import django
django.setup()
from storefront.celery import app
app.log.setup(loglevel="INFO", colorize=False)  # what `celery worker --loglevel=INFO` does
from fpdf import FPDF
pdf = FPDF()
pdf.add_font("cjk", fname={font!r})
pdf.add_page()
pdf.set_font("cjk", size=12)
pdf.cell(text="吉木乃 flour 5 kg")
pdf.output()  # subsets the font: fontTools logs each step at INFO
logging.getLogger("fulfilment.tasks").info("application line")
"""


def test_the_worker_log_has_no_font_subsetting_chatter():
    try:
        font = find_cjk_font()
    except Exception:
        pytest.fail("the CJK font of packing slips is missing (fonts-wqy-microhei)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "storefront.settings.test"
    result = processes.python(env, "-c", WORKER_LIKE.format(font=str(font)), timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "application line" in log  # the worker's own INFO lines still show
    assert "Glyph IDs" not in log and "pruned" not in log, log[:2000]
