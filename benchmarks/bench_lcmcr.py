"""LCMCR sampler speed on the Netherlands table (6 lists, n = 8,234, posterior N ~ 1e5).

Peer figure on this machine (2 cores, idle): R LCMCR 0.4.14 ran the standard 110,000 iterations
(K = 10, burn-in 10,000, 1,000 draws thinned by 100) in 1.75 s, about 64,000 iterations per
second, one chain (../shared/reference/RESULTS.md). Here: one chain in one thread (the comparable
figure), then the default 4 chains on the available cores.
Side by side (``--vs-r``, or always when R is present): whole processes alternating with the R job
(../shared/peers/jobs/d_lcmcr.R, one chain of 110,000 iterations), 3 runs each, medians, load
printed, ratio last: darkfigure with R's work (one chain) and as ``darkfigure compare --methods lcmcr``
runs it (4 chains).
Run: python benchmarks/bench_lcmcr.py [repeat]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import DATASETS, median_time, r_job, side_by_side  # noqa: E402

from darkfigure.bayes.lcmcr import lcmcr  # noqa: E402
from darkfigure.datasets import load_r  # noqa: E402

R_ITERATIONS_PER_SECOND = 64_000


def main(repeat: int = 5) -> None:
    h = load_r("Ned")
    lcmcr(h, burnin=10, samples=4, thinning=1, chains=1)  # compile (or load the numba cache)
    s1, t1, r1 = median_time(lambda: lcmcr(h, chains=1, n_jobs=1, seed=123), repeat)
    ips = 110_500 / s1
    print(f"Ned, 1 chain x 110,500 iterations: median {s1:.2f} s (runs {', '.join(f'{t:.2f}' for t in t1)})")
    print(f"  {ips:,.0f} iterations/s; R LCMCR {R_ITERATIONS_PER_SECOND:,} -> {ips / R_ITERATIONS_PER_SECOND:.2f}x")
    s4, t4, r4 = median_time(lambda: lcmcr(h, seed=123), max(1, repeat // 2))
    print(f"Ned, 4 chains, {r4.settings['n_jobs']} threads: median {s4:.2f} s (runs {', '.join(f'{t:.2f}' for t in t4)}); "
          f"{4 * 110_500 / s4:,.0f} iterations/s in all")
    print(f"  N median {r4.median:,.0f} [{r4.ci_low:,.0f}, {r4.ci_high:,.0f}], R-hat {r4.rhat:.3f}, "
          f"chain medians {', '.join(f'{m:,.0f}' for m in r4.chain_medians)}")


ONE_CHAIN = ("import sys; from darkfigure.io import read_histories; from darkfigure.bayes.lcmcr import lcmcr; "
             "r = lcmcr(read_histories(sys.argv[1]).collapse(), chains=1, n_jobs=1, seed=123); "
             "print(f'N median {r.median:,.0f} [{r.ci_low:,.0f}, {r.ci_high:,.0f}] iters_per_s={r.iterations_per_second:.0f}')")


def vs_r(runs: int = 3) -> None:
    """Whole processes beside R's LCMCR (when R is present); then the samplers' own iterations per
    second (R: ``lcmCR_PostSampl``'s elapsed time; darkfigure: the chain's), medians and ratio."""
    import re
    import statistics

    data = str(DATASETS / "netherlands_2010_2015.csv")
    jobs = {}
    r = r_job("d_lcmcr.R")
    if r:
        jobs["R LCMCR"] = ["Rscript", str(r), str(DATASETS)]
    jobs["df 1 chain"] = [sys.executable, "-c", ONE_CHAIN, data]
    jobs["df compare"] = [sys.executable, "-m", "darkfigure.cli", "compare", data, "--methods", "lcmcr", "--seed", "123"]
    ips: dict[str, list[float]] = {}

    def show(name: str, out: str) -> str:
        m = re.search(r"iters_per_s=(\d+)", out)
        if m:
            ips.setdefault(name, []).append(float(m.group(1)))
        lines = [ln for ln in out.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else ""

    side_by_side("LCMCR, Netherlands, 110,000 iterations per chain", jobs, runs, show=show)
    if "R LCMCR" in ips and "df 1 chain" in ips:
        a, b = statistics.median(ips["R LCMCR"]), statistics.median(ips["df 1 chain"])
        print(f"RATIO LCMCR sampler, one chain: darkfigure {b:,.0f} / R {a:,.0f} iterations/s = {b / a:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
    vs_r()
