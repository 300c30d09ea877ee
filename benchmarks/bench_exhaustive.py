"""Every hierarchical model: Rcapture ``closedpMS.t`` beside ``darkfigure estimate --search exhaustive``.

5 lists (UK 2013): all 6,893 hierarchical models up to order 4 (the exhaustive search's default
``--max-order`` is k - 1), with the hierarchy and existence checks, whole processes alternating with
R's job (../shared/peers/jobs/c_rcapture.R) when R is present. 6 lists (UK 2013): all 32,768
graphical two-way models (Rcapture was not run there: ~343 s per the reference probe).

darkfigure forks a helper that loads the compiled kernel (numba) while the command starts, where a second
core may run it (``darkfigure.loglinear._kernel_server``). ``--helper`` adds the runs with it forced off and
on as separate jobs (``DARKFIGURE_KERNEL_HELPER=0`` and ``=1``), measured alternating with the others. The
cpu figures count the command's process only, not its helpers (they outlive it by a moment, reparented).
Run: python benchmarks/bench_exhaustive.py [runs] [--helper]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import DATASETS, darkfigure_argv, r_job, side_by_side  # noqa: E402


def _show(name: str, out: str) -> str:
    for ln in out.splitlines():
        if ln.startswith("RESULT") or ln.strip().startswith(("│ model", "│ N̂")):
            return " ".join(ln.strip("│ ").split())[:110]
    return ""


def main(runs: int = 3, helper: bool = False) -> None:
    five = darkfigure_argv("estimate", str(DATASETS / "uk_2013_5lists.csv"), "--search", "exhaustive", "--ci", "none")
    six = darkfigure_argv("estimate", str(DATASETS / "uk_2013.csv"), "--search", "exhaustive", "--ci", "none")
    r = r_job("c_rcapture.R")
    jobs = {"R Rcapture": ["Rscript", str(r), str(DATASETS), "4"]} if r else {}
    jobs["darkfigure"] = five
    if helper:  # the kernel helper forced off and on (the plain job: as the machine's load decides)
        jobs["no helper"] = ["env", "DARKFIGURE_KERNEL_HELPER=0", *five]
        jobs["helper"] = ["env", "DARKFIGURE_KERNEL_HELPER=1", *five]
    side_by_side("UK 5 lists, all 6,893 hierarchical models", jobs, runs, show=_show)
    side_by_side("UK 6 lists, all 32,768 graphical two-way models (target < 60 s)", {"darkfigure": six}, runs,
                 show=_show)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 3, helper="--helper" in sys.argv)
