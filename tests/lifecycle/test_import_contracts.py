"""The import-linter contracts in pyproject.toml hold for the tree, and a deliberate
cycle breaks them: a copy of the apps with one forbidden import added (inside a
function, where it is easiest to hide) makes `lint-imports` exit non-zero."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# The packages the contracts cover, as pyproject.toml names them.
APPS = tuple(
    tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["importlinter"][
        "root_packages"
    ]
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_tree(target: Path) -> Path:
    for app in APPS:
        shutil.copytree(
            BASE_DIR / app, target / app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copy(BASE_DIR / "pyproject.toml", target / "pyproject.toml")
    return target


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _add_import(tree: Path, module: str, imported: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    if not path.exists():  # a package
        path = tree / module.replace(".", "/") / "__init__.py"
    path.write_text(
        path.read_text(encoding="utf-8")
        + f"\n\ndef _deliberate_cycle():\n    import {imported}\n\n    return {imported}\n",
        encoding="utf-8",
    )


def test_the_tree_keeps_the_contracts():
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("orders.selectors", "payments.models"),  # orders never reaches up to payments
        ("payments.services.ledger", "fulfilment.tasks"),  # siblings stay independent
        ("fulfilment.services", "payments.services"),
        ("payments.services.refunds", "lifecycle.services"),  # nothing below calls a flow
        ("catalog.services.products", "orders.models"),
    ],
)
def test_a_deliberate_cycle_breaks_them(tmp_path, module, imported):
    tree = _copy_tree(tmp_path)
    assert _lint(tree).returncode == 0  # the copy as it is passes: the import is the cause
    _add_import(tree, module, imported)
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert f"{module} -> {imported}" in result.stdout
