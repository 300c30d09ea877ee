"""The simdat job: Cruyff's stepwise search + 1,000 parametric bootstrap replicates.

Peer figure on this machine (2 cores): Cruyff's R package mse took 82 s for model_search and 99 s for
boot_mse(rep = 1000) (../shared/reference/RESULTS.md). Run: python benchmarks/bench_simdat.py
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import median_time  # noqa: E402

from darkfigure import datasets  # noqa: E402
from darkfigure.loglinear.bootstrap import parametric_bootstrap  # noqa: E402
from darkfigure.loglinear.design import CompleteTable  # noqa: E402
from darkfigure.loglinear.search import cruyff_search  # noqa: E402

R_SEARCH, R_BOOT = 82.0, 99.0


def main(repeat: int = 5) -> None:
    table = CompleteTable(datasets.load("cruyff_simdat"), year="Y", year_degree=2)
    ms, ts, res = median_time(lambda: cruyff_search(table), repeat)
    best = res.best
    mb, tb, boot = median_time(lambda: parametric_bootstrap(best, reps=1000, seed=1, progress=False), repeat)
    lo, hi = boot.intervals()[0]
    print(f"simdat: min-BIC N-hat {best.nhat:,.1f}, 95% parametric bootstrap [{lo:,.0f}, {hi:,.0f}] (reference 7,635-20,041)")
    print(f"model search      median {ms:6.2f} s  (runs {', '.join(f'{t:.2f}' for t in ts)});  R mse {R_SEARCH:.0f} s -> {R_SEARCH / ms:5.1f}x")
    print(f"1000 parametric   median {mb:6.2f} s  (runs {', '.join(f'{t:.2f}' for t in tb)});  R mse {R_BOOT:.0f} s -> {R_BOOT / mb:5.1f}x")
    print(f"whole job         {ms + mb:6.2f} s;  R {R_SEARCH + R_BOOT:.0f} s -> {(R_SEARCH + R_BOOT) / (ms + mb):5.1f}x (target < 2 s)")
    print(f"replicate outcomes: {boot.status_counts}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
