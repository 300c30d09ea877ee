"""The simdat job: Cruyff's stepwise search + 1,000 parametric bootstrap replicates, beside R's ``mse``.

Whole processes, alternating with the R job (../shared/peers/jobs/a_mse.R: ``model_search`` +
``boot_mse(rep = 1000, seed = 1)``) when R is present, 3 runs each, medians, machine load printed,
ratio last. ``--inner`` adds the in-process figures (search and replicates timed inside one process).
``--reps N`` runs both sides with N replicates instead of 1,000 (R needs 5-40 minutes per run at 1,000).
``--against SRC`` adds the same command run from another source tree (``PYTHONPATH=SRC``, e.g. a copy of
main's ``src`` before a change), alternating with this one, so that a change is measured as whole processes
in one run; ``--no-r`` leaves R out (then the ratio printed is SRC's median over this tree's).
Run: python benchmarks/bench_simdat.py [runs] [--inner] [--against SRC] [--no-r]
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


def main(runs: int = 3, against: str | None = None, with_r: bool = True) -> None:
    jobs = {}
    r = r_job("a_mse.R") if with_r else None
    if r:
        jobs["R mse"] = ["Rscript", str(r), str(DATASETS), str(REPS)]
    args = ("estimate", "cruyff_simdat", "--year", "Y", "--year-degree", "2", "--search", "cruyff", "--ci",
            "parametric", "--reps", str(REPS), "--seed", "1")
    if against:
        import compileall

        # its bytecode compiled first, as for this tree (darkfigure_argv), so neither side pays compiling
        compileall.compile_dir(os.path.join(against, "darkfigure"), quiet=1)
        jobs["base"] = ["env", f"PYTHONPATH={against}", sys.executable, "-m", "darkfigure.cli", *args]
    jobs["darkfigure"] = darkfigure_argv(*args)
    side_by_side(f"simdat: Cruyff search + {REPS:,} parametric replicates", jobs, runs, show=result_line)


if __name__ == "__main__":
    if "--reps" in sys.argv:
        i = sys.argv.index("--reps")
        REPS = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    against = None
    if "--against" in sys.argv:
        i = sys.argv.index("--against")
        against = os.path.abspath(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--inner" in sys.argv:
        inner()
    main(int(args[0]) if args else 3, against=against, with_r="--no-r" not in sys.argv)
