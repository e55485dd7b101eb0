"""Arguments and results: the command line every script shares, correctness checks and
goals (:class:`Verdict`), section headings and ratios."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time


def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny size that only checks the script works"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database")
    return parser


@dataclasses.dataclass
class Verdict:
    """Correctness checks (a failure makes the script exit 1) and goals (reported)."""

    failures: list[str] = dataclasses.field(default_factory=list)
    goals: list[tuple[str, bool, str]] = dataclasses.field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.failures.append(what)

    def goal(self, name: str, value: float, target: float, *, at_most: bool = False) -> bool:
        met = value <= target if at_most else value >= target
        sign = "<=" if at_most else ">="
        if met:
            gap = ""
        elif at_most:
            gap = f" (missed: {value / target:.2f}x the limit)"
        else:
            gap = f" (missed: {value / target:.0%} of the goal)"
        line = f"{name} = {value:.3f}  goal {sign} {target}{gap}"
        print(f"  [{'met' if met else 'MISSED'}] {line}")
        self.goals.append((name, met, line))
        return met

    def exit(self) -> None:
        if self.failures:
            print(f"\nCORRECTNESS FAILED: {'; '.join(self.failures)}")
            sys.exit(1)
        missed = [name for name, met, _ in self.goals if not met]
        print("\nall correctness checks passed" + (f"; goals missed: {missed}" if missed else ""))
        sys.exit(0)


_started = time.monotonic()


def heading(text: str) -> None:
    elapsed = f" [{time.monotonic() - _started:.0f} s]"
    print(f"\n== {text} " + "=" * max(0, 64 - len(text)) + elapsed, flush=True)


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0
