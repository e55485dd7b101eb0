"""Run every benchmark in turn (``make bench``) and sum up; exit 1 if any correctness check failed.

    .venv/bin/python bench/run_all.py [--smoke] [--only catalog flash_sale ...]

Each script is its own process with its own database (``fg_bench_<name>``), so one
failing does not stop the others. Output goes to the terminal and, per script, to
``var/bench/<name>.txt`` (the figures bench/README.md records).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["queries", "catalog", "flash_sale", "flash_catalog", "callbacks", "memory"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", nargs="+", choices=SCRIPTS)
    args = parser.parse_args()
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.only or SCRIPTS:
        argv = [sys.executable, str(ROOT / "bench" / f"{name}.py")]
        if args.smoke:
            argv.append("--smoke")
        print(f"\n##### {' '.join(argv[1:])}", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen(
            argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        lines = []
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        code = proc.wait()
        (out_dir / f"{name}{'-smoke' if args.smoke else ''}.txt").write_text("".join(lines))
        missed = [ln.strip() for ln in lines if "[MISSED]" in ln]
        results[name] = (code, time.monotonic() - started, missed)
    print("\n##### summary")
    for name, (code, seconds, missed) in results.items():
        state = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"  {name:<11} {state:<18} {seconds:>5.0f} s   goals missed: {len(missed)}")
        for line in missed:
            print(f"      {line}")
    sys.exit(0 if all(code == 0 for code, _, _ in results.values()) else 1)


if __name__ == "__main__":
    main()
