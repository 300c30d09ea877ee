"""Where the user waits on small jobs: ``darkfigure --version``, ``--help`` and a 3-list estimate with a
profile-likelihood interval, whole processes (targets: < 0.3 s and < 1 s), 5 runs each alternating,
medians, machine load printed.
Run: python benchmarks/bench_startup.py [runs]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import darkfigure_argv, side_by_side  # noqa: E402


def main(runs: int = 5) -> None:
    side_by_side("darkfigure start-up and a 3-list profile interval", {
        "--version": darkfigure_argv("--version"),
        "--help": darkfigure_argv("--help"),
        "3-list": darkfigure_argv("estimate", "dga_example_3list", "--ci", "profile"),
    }, runs, show=lambda name, out: next((" ".join(ln.strip("│ ").split())[:90] for ln in out.splitlines()
                                          if ln.strip().startswith("│ N̂")), ""), ratios=False)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
