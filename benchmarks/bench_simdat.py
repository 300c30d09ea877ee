"""The simdat job: Cruyff's stepwise search + 1,000 parametric bootstrap replicates, beside R's ``mse``.

Whole processes, alternating with the R job (../shared/peers/jobs/a_mse.R: ``model_search`` +
``boot_mse(rep = 1000, seed = 1)``) when R is present, 3 runs each, medians, machine load printed,
ratio last. ``--inner`` adds the in-process figures (search and replicates timed inside one process).
``--reps N`` runs both sides with N replicates instead of 1,000 (R needs 5-40 minutes per run at 1,000).
Run: python benchmarks/bench_simdat.py [runs] [--inner]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import DATASETS, darkfigure_argv, median_time, r_job, result_line, side_by_side  # noqa: E402

REPS = 1000


def inner(repeat: int = 3) -> None:
    """Search and replicates timed inside one process (the work without imports and start-up)."""
    from darkfigure import datasets
    from darkfigure.loglinear.bootstrap import parametric_bootstrap
    from darkfigure.loglinear.design import CompleteTable
    from darkfigure.loglinear.search import cruyff_search

    table = CompleteTable(datasets.load("cruyff_simdat"), year="Y", year_degree=2)
    ms, ts, res = median_time(lambda: cruyff_search(table), repeat)
    mb, tb, boot = median_time(lambda: parametric_bootstrap(res.best, reps=REPS, seed=1, progress=False), repeat)
    lo, hi = boot.intervals()[0]
    print(f"inner: min-BIC N-hat {res.best.nhat:,.1f}, 95% parametric [{lo:,.0f}, {hi:,.0f}] (reference 7,635-20,041)")
    print(f"inner: search median {ms:.2f} s (runs {', '.join(f'{t:.2f}' for t in ts)}); {REPS} parametric replicates "
          f"median {mb:.2f} s (runs {', '.join(f'{t:.2f}' for t in tb)}); outcomes {boot.status_counts}")


def main(runs: int = 3) -> None:
    jobs = {}
    r = r_job("a_mse.R")
    if r:
        jobs["R mse"] = ["Rscript", str(r), str(DATASETS), str(REPS)]
    jobs["darkfigure"] = darkfigure_argv("estimate", "cruyff_simdat", "--year", "Y", "--year-degree", "2", "--search",
                                         "cruyff", "--ci", "parametric", "--reps", str(REPS), "--seed", "1")
    side_by_side(f"simdat: Cruyff search + {REPS:,} parametric replicates", jobs, runs, show=result_line)


if __name__ == "__main__":
    if "--reps" in sys.argv:
        i = sys.argv.index("--reps")
        REPS = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--inner" in sys.argv:
        inner()
    main(int(args[0]) if args else 3)
