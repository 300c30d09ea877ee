"""dga (Madigan & York's Bayesian model averaging over decomposable graphs) beside R's ``dga``.

Whole processes alternating with the R job (../shared/peers/jobs/e_dga.R: ``bma.cr`` on UK 2013 with
5 lists, delta = 2^-k, prior 1/N, the reference runs' N grid) when R is present, 3 runs each, medians,
load printed, ratio last. darkfigure: ``darkfigure estimate <uk_2013_5lists.csv> --method dga`` (R's job:
dga alone, the same grid and numbers; a plain CSV takes the lean path of cli/lean.py, NumPy only);
``darkfigure compare <uk_2013_5lists.csv> --methods dga`` (which also holds out each list and re-runs dga on
the other four for the headline's evidence, and runs the headline's reference log-linear fit and Chao's
bound) and the same with ``--no-validation``.
Run: python benchmarks/bench_dga.py [runs]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import DATASETS, darkfigure_argv, r_job, side_by_side  # noqa: E402


def main(runs: int = 3) -> None:
    jobs = {}
    r = r_job("e_dga.R")
    if r:
        jobs["R dga"] = ["Rscript", str(r), str(DATASETS)]
    data = str(DATASETS / "uk_2013_5lists.csv")
    jobs["darkfigure estimate --method dga"] = darkfigure_argv("estimate", data, "--method", "dga")
    jobs["darkfigure compare"] = darkfigure_argv("compare", data, "--methods", "dga")
    jobs["darkfigure compare --no-validation"] = [*jobs["darkfigure compare"], "--no-validation"]
    side_by_side("dga, UK 2013 (5 lists)", jobs, runs, show=lambda name, out: next(
        (" ".join(ln.strip("│ ").split())[:100] for ln in out.splitlines()
         if ln.startswith(("RESULT", "N̂")) or ln.startswith("│ dga")), ""))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
