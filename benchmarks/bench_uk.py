"""The UK job: SparseMSE stepwise (p < 0.02) + 1,000 nonparametric replicates with re-selection, BCa.

Whole processes, alternating with the R job (../shared/peers/jobs/b_sparsemse.R:
``estimatepopulation(UKdat, nboot = 1000, pthresh = 0.02)``) when R is present, 3 runs each,
medians, machine load printed, ratio last. ``--inner`` adds the in-process figure.
Reference: SparseMSE 11,418 [9,267, 14,307] (BCa, its own random numbers).
``--reps N`` runs both sides with N replicates instead of 1,000 (R needs 5-40 minutes per run at 1,000).
Run: python benchmarks/bench_uk.py [runs] [--inner]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import DATASETS, darkfigure_argv, median_time, r_job, result_line, side_by_side  # noqa: E402

REPS = 1000


def inner(repeat: int = 3) -> None:
    """The whole estimate timed inside one process (without imports and start-up)."""
    from darkfigure.estimation import estimate

    m, ts, res = median_time(
        lambda: estimate("uk_2013", search="pvalue", ci="nonparametric-conditional", reps=REPS, seed=1234), repeat
    )
    print(f"inner: {res}; outcomes {res.bootstrap.status_counts}; a = {res.bootstrap.acceleration:.5f}")
    print(f"inner: median {m:.2f} s (runs {', '.join(f'{t:.2f}' for t in ts)}); stages {res.seconds}")


def main(runs: int = 3) -> None:
    jobs = {}
    r = r_job("b_sparsemse.R")
    if r:
        jobs["R SparseMSE"] = ["Rscript", str(r), str(DATASETS), str(REPS)]
    jobs["darkfigure"] = darkfigure_argv("estimate", "uk_2013", "--search", "pvalue", "--ci",
                                         "nonparametric-conditional", "--reps", str(REPS), "--seed", "1234")
    side_by_side(f"UK: stepwise + {REPS:,} nonparametric replicates with re-selection, BCa", jobs, runs, show=result_line)


if __name__ == "__main__":
    if "--reps" in sys.argv:
        i = sys.argv.index("--reps")
        REPS = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--inner" in sys.argv:
        inner()
    main(int(args[0]) if args else 3)
