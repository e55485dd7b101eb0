"""The dependency lock: ``requirements/run.txt`` and ``requirements/test.txt``.

``python scripts/lock.py`` (what ``make lock`` runs) compiles both from pyproject.toml
with uv, for every platform and Python 3.11+, with the hash of every file, and keeps
the versions already pinned unless pyproject.toml needs others (``--upgrade`` takes
the newest allowed versions). Each lock starts with the digest of the dependency
sections of pyproject.toml it was made from.

``python scripts/lock.py --check`` (run by ``make run``, ``make test`` and the
Dockerfile's build) needs no network: it fails loudly when pyproject.toml's
dependencies changed since the locks were made, so an installation never silently
misses a new dependency. The fix is one command: ``make lock``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {
    # name: (pyproject extras, constrained by) — test first: run.txt takes its versions.
    "test": (("test",), None),
    "run": ((), "test"),
}
STAMP = "# pyproject-deps-sha256: "
PYTHON = "3.11"


def lock_path(name: str, root: Path = ROOT) -> Path:
    return root / "requirements" / f"{name}.txt"


def deps_digest(pyproject: Path) -> str:
    """Digest of what the locks depend on: requires-python, dependencies, locked extras."""
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project.get("optional-dependencies", {})
    relevant = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(project.get("dependencies", [])),
        "extras": {
            extra: sorted(extras.get(extra, []))
            for extras_of_lock, _ in LOCKS.values()
            for extra in extras_of_lock
        },
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def stamp_of(lock: Path) -> str | None:
    if not lock.exists():
        return None
    for line in lock.read_text().splitlines()[:10]:
        if line.startswith(STAMP):
            return line.removeprefix(STAMP).strip()
    return None


def check(root: Path = ROOT) -> list[str]:
    """The problems that make the locks unusable (empty when they are current)."""
    digest = deps_digest(root / "pyproject.toml")
    problems = []
    for name in LOCKS:
        lock = lock_path(name, root)
        found = stamp_of(lock)
        if found is None:
            problems.append(f"{lock.relative_to(root)} is missing or has no digest line")
        elif found != digest:
            problems.append(
                f"{lock.relative_to(root)} was made from other dependencies than pyproject.toml"
            )
    return problems


def compile_locks(*, upgrade: bool) -> None:
    digest = deps_digest(ROOT / "pyproject.toml")
    uv = Path(sys.executable).parent / "uv"
    for name, (extras, constrained_by) in LOCKS.items():
        lock = lock_path(name)
        lock.parent.mkdir(exist_ok=True)
        args = [
            str(uv),
            "pip",
            "compile",
            "pyproject.toml",
            "--universal",
            "--python-version",
            PYTHON,
            "--generate-hashes",
            "--quiet",
            "--custom-compile-command",
            "make lock",
            "--output-file",
            str(lock.relative_to(ROOT)),
        ]
        for extra in extras:
            args += ["--extra", extra]
        if constrained_by:
            args += ["--constraint", str(lock_path(constrained_by).relative_to(ROOT))]
        if upgrade:
            args.append("--upgrade")
        subprocess.run(args, cwd=ROOT, check=True)
        lines = [line for line in lock.read_text().splitlines() if not line.startswith(STAMP)]
        lines.insert(2, f"{STAMP}{digest}")
        lock.write_text("\n".join(lines) + "\n")
        print(f"lock: wrote {lock.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check, offline")
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        if problems:
            print("", file=sys.stderr)
            print("*** The dependency lock is out of date ***", file=sys.stderr)
            for problem in problems:
                print(f"    {problem}", file=sys.stderr)
            print(
                "    pyproject.toml's dependencies changed: run `make lock` and commit"
                " requirements/*.txt with the change.",
                file=sys.stderr,
            )
            print("", file=sys.stderr)
            return 1
        return 0
    compile_locks(upgrade=args.upgrade)
    return 0


if __name__ == "__main__":
    sys.exit(main())
