"""Cost of repeating the search in the model-averaged bootstrap (the default with covariates).

One population of the coverage study's held-out setting H1-dutch5 (5 lists x 48 strata =
1,536 cells): the stratified AIC search, then the model-averaged parametric bootstrap
with 1,000 replicates, once with each replicate refitted by its mixture component's
model (``reselect=None``, the previous default) and once with the search over list pairs
repeated in every replicate (``reselect=stratified_start``, the default now). Prints
seconds (one process; a shared machine inflates both alike) and the replicate SDs.

    nice -n 10 python benchmarks/bench_reselection.py --reps 1000
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    """Time both bootstraps on one population and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--population", type=int, default=0)
    ap.add_argument("--setting", default="H1-dutch5")
    a = ap.parse_args(argv)
    spec = importlib.util.spec_from_file_location("coverage_study", Path(__file__).with_name("coverage_study.py"))
    cs = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("coverage_study", cs)
    spec.loader.exec_module(cs)
    from darkfigure.estimation import estimate
    from darkfigure.loglinear.averaging import averaged_bootstrap, model_average, search_candidates
    from darkfigure.loglinear.selection import reselection_start, stratified_search

    s = cs.SETTINGS[a.setting]
    data, truth = cs.generate(s, np.random.default_rng([1, a.population, cs.zlib_hash(s.name)]))
    table = estimate(data, ci="none", **cs._estimate_kwargs(s)).fit.table
    t0 = time.perf_counter()
    search = stratified_search(table)
    avg = model_average(search_candidates(search, search.best))
    t_search = time.perf_counter() - t0
    out = {}
    for name, resel in (("mixture, component refit", None), ("mixture, search repeated", reselection_start(search))):
        t0 = time.perf_counter()
        b = averaged_bootstrap(avg, reps=a.reps, seed=1, reselect=resel)
        out[name] = (time.perf_counter() - t0, np.nanstd(b.replicates[:, 0]), b.reselected)
    print(f"{a.setting} population {a.population}: {table.n_cells} cells, N {truth[('total', '')]:.0f}, "
          f"N̂ {avg.nhat:.0f}, {len(avg.fits)} model(s) averaged; search {t_search:.1f} s; {a.reps} replicates")
    for name, (sec, sd, nres) in out.items():
        print(f"  {name:28s} {sec:6.1f} s  replicate SD {sd:7.1f}  re-selected {nres}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
