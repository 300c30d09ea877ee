"""Cost and result of ``darkfigure strata``'s default (a model search per stratum, model-averaged interval)
against ``--search none`` (main effects, parametric bootstrap), on the dutch_like simulator.

Strata whose lists interact make the main-effects N̂ too small; the search repairs that at a cost per
stratum, which this script prints (seconds per stratum, one worker, 500 bootstrap replicates) with the
totals and the simulator's truth.

Run: darkfigure simulate dutch_like --seed 1 --out out/sim
     nice -n 10 python benchmarks/bench_strata_search.py out/sim [--reps 500]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from darkfigure.strata import estimate_strata


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sim", type=Path, help="folder written by `darkfigure simulate` (histories.csv, truth.csv)")
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--by", default="sex,year", help="stratum columns to try, one run each")
    a = ap.parse_args()
    df = pd.read_csv(a.sim / "histories.csv")
    truth = pd.read_csv(a.sim / "truth.csv")
    row = truth[(truth["group"] == "total") & truth["level"].isna() & truth["year"].isna()]
    total = int(row["N"].iloc[0]) if len(row) else None
    print(f"{a.sim}: truth N = {total if total is None else f'{total:,}'}; load {os.getloadavg()[0]:.1f}")
    estimate_strata(df.head(2000), by="sex", reps=20, seed=1, n_jobs=1)  # warm-up: imports, numba
    for by in a.by.split(","):
        for label, kw in (("--search none", {"search": "none"}), ("default (auto, averaged)", {})):
            t0 = time.perf_counter()
            r = estimate_strata(df, by=by, reps=a.reps, seed=1, n_jobs=1, **kw)
            s = time.perf_counter() - t0
            S = r.counts["strata"]
            poor = int(r.table["warnings"].str.contains("poorly", regex=False).sum())
            print(f"--by {by:4s} {label:25s} {s / S:.2f} s/stratum ({S} strata, {r.n_observed / S:,.0f} observed "
                  f"each)  N̂ {r.nhat:,.0f} ({r.confidence_interval.low:,.0f}-{r.confidence_interval.high:,.0f})  "
                  f"poor fit in {poor} of {S}", flush=True)


if __name__ == "__main__":
    main()
