"""Time of the interval with linkage uncertainty at about 10,000 registered persons.

Simulates ``clearing_house`` registrations scaled to about 10,000 registered persons
(``--scale 2``: about 16,000 registrations), links them (DuckDB), fits the log-linear
model on the as-linked histories (lists and year, Cruyff search) and then times
:func:`darkfigure.linkage.uncertainty.linkage_uncertainty` with its defaults (50
partition draws x 20 parametric bootstrap replicates each), on ``--jobs`` processes.
Target: under 60 s on 2 cores. Prints the figures; asserts nothing.

Measured 2026-12-06 (seed 1, nothing else running, load 1.4): 15,933 registrations, 10,119 persons as linked; link
11.6 s; the interval (50 draws x 20 replicates, 2 processes) 5.3 s; the whole process 18 s.
Again 2026-12-06 22:22 UTC (evening code: undated assignment per draw; load 2.7): link 15.5 s, the interval 13.9 s.
With every covariate of the registrations (sex, age, nationality group, form of exploitation and year; 8,967 df, as
``darkfigure estimate LINKFOLDER --year year --missing em`` with its defaults, 1,000 replicates and 50 draws; load
2.0-2.7): the linkage part 103 s, the as-linked interval 54 s, the whole command 163 s (link 15 s before it): over
the 60 s target with that many covariates.
2026-12-07 (00:10 UTC, load 1.8-3.5 with a tester running): every draw's refit now skips the model checks and the
identifying-assumption sensitivity, which nobody reads there (``estimate(..., model_checks=False,
assumption_range=None)``): one draw's refit with those five covariates (20 replicates, in one process, cProfile of 3
draws, same process and seed) 4.8 -> 2.9 s, the same N̂ and replicates; the interval of 50 draws on 2 processes then
took 135 s at load 3.5 (the machine shared; 50 x 2.9 s over 2 processes is about 73 s on idle cores).

Run: ``nice python benchmarks/bench_linkage_uncertainty.py [--scale 2 --jobs 2 --covariates year]``
"""

from __future__ import annotations

import argparse
import os
import time

from darkfigure.estimation import estimate
from darkfigure.linkage import link, simulate_registrations
from darkfigure.linkage.uncertainty import LinkRun, linkage_uncertainty, loglinear_refit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=2.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--draws", type=int, default=50)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--covariates", default="year")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    covs = [c for c in a.covariates.split(",") if c]
    rs = simulate_registrations("clearing_house", seed=a.seed, scale=a.scale)
    t = time.perf_counter()
    res = link(rs.registrations, seed=a.seed, threads=a.jobs)
    t_link = time.perf_counter() - t
    run = LinkRun.from_result(res)
    h = res.histories.collapse(covs)
    kw = {"missing": "em"} if h.n_incomplete else {}
    e = estimate(h, year="year" if "year" in covs else None, ci="none", **kw)
    model = [":".join(x) for x in e.fit.model.terms if len(x) > 1]
    refit = loglinear_refit(model, covs, reps=a.reps, year="year" if "year" in covs else None)
    t = time.perf_counter()
    le = linkage_uncertainty(run, refit, draws=a.draws, seed=a.seed, n_jobs=a.jobs)
    t_unc = time.perf_counter() - t
    load = os.getloadavg()[0]
    print(f"{len(rs.registrations):,} registrations, {h.n_observed:,} persons as linked, {len(run.pairs):,} scored pairs; "
          f"covariates {covs}; model {' + '.join(model) or 'independence'}")
    print(f"link {t_link:.1f} s; linkage-uncertainty interval ({le.draws} draws x {le.reps_per_draw} replicates, "
          f"{a.jobs} processes): {t_unc:.1f} s (load average {load:.1f})")
    print(le)


if __name__ == "__main__":
    main()
