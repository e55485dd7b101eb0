"""bench/_harness is a package of modules by job; every name a bench script takes from it
(``h.<name>``) is still there, so the scripts run unchanged."""

from __future__ import annotations

import re
from pathlib import Path

from bench import _harness as h

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_every_name_the_scripts_use_is_exported():
    used = {
        name
        for script in BENCH.glob("*.py")
        for name in re.findall(r"\bh\.([A-Za-z_]\w*)", script.read_text(encoding="utf-8"))
    }
    assert {"setup", "Server", "run_blocks", "seed_catalog", "_env", "_log_dir"} <= used
    assert sorted(name for name in used if not hasattr(h, name)) == []


def test_the_modules_share_one_run_state():
    from bench._harness import databases, processes, run

    assert h._env is run._env is databases._env is processes._env
    assert h._log_dir == run._log_dir and BENCH.parent == h.ROOT
