"""Coverage of ``darkfigure strata`` on simulated stratified populations with a known truth.

Populations from :func:`darkfigure.strata.simulate_strata` (3 lists, independent and homogeneous
within each stratum, so the log-linear main-effects model and LCMCR are right per stratum; stratum
sizes 150-1,500, capture probabilities 0.15-0.45). A share of the observed persons lose their
``region`` completely at random and :func:`~darkfigure.strata.impute_replicates` imputes it M times
(proper multiple imputation within period x capture pattern). Each run reports:

* per-stratum coverage of the true N_s (region x period) over all strata of all populations;
* coverage of the true total and of the region totals (margins);
* the mean share of the variance due to the replicates, and the same with ONE imputation only
  (what ignoring the imputation uncertainty gives) and on the complete data (no missing values).

Parts: ``big`` = one population of 500 strata x 20 replicates (the issue's headline; per-stratum
coverage over 500 strata, one total); ``many`` = P populations of 20 strata x 5 replicates
(coverage of the total over P populations); ``lcmcr`` = the same with LCMCR (pooled draws).
Run: nice -n 10 python benchmarks/strata_study.py [big|many|lcmcr] [P] (for big: the number of imputations, 20)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from darkfigure.strata import estimate_strata, impute_replicates, simulate_strata


def _cover(lo, hi, truth) -> np.ndarray:
    return (np.asarray(lo) <= np.asarray(truth)) & (np.asarray(truth) <= np.asarray(hi))


def run_population(seed: int, regions: int, periods: int, M: int, method: str, settings: dict,
                   missing_share: float = 0.2, jobs: int = 2) -> dict:
    """One population: estimates with M imputations, with one imputation, and on complete data."""
    sim = simulate_strata(regions, periods, seed=seed)
    data, reps = impute_replicates(sim.persons, sim.lists, missing_share=missing_share, replicates=M, seed=seed + 1)
    out = {}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for i, f in enumerate(reps):
            f.to_parquet(d / f"imp{i:03d}.parquet", index=False)
        runs = {"M imputations": dict(data=data, replicates=d), "1 imputation": dict(data=reps[0]),
                "complete data": dict(data=sim.persons)}
        for name, kw in runs.items():
            r = estimate_strata(by="region,period", method=method, seed=seed, n_jobs=jobs, **settings, **kw)
            t = r.table.dropna(subset=["region"]).merge(sim.truth[["region", "period", "N"]], on=["region", "period"])
            est = t[t["status"] == "estimated"]
            tot = r.totals.iloc[0]
            reg = r.totals[r.totals["group"] == "region"].merge(
                sim.truth.groupby("region")["N"].sum().rename("N").reset_index(), left_on="level", right_on="region")
            out[name] = {
                "strata_covered": _cover(est["lower"], est["upper"], est["N"]),
                "strata_estimated": len(est), "strata": len(t),
                "rel_width": ((est["upper"] - est["lower"]) / est["N"]).to_numpy(),
                "total_covered": bool(_cover(tot["lower"], tot["upper"], sim.truth.loc[
                    sim.truth.set_index(["region", "period"]).index.isin(
                        est.set_index(["region", "period"]).index), "N"].sum())),
                "total_rel_error": tot["nhat"] / sim.total - 1,
                "regions_covered": _cover(reg["lower"], reg["upper"], reg["N"]),
                "share": float(np.nanmean(est["var_share_replicates"])) if name == "M imputations" else np.nan,
                "total_share": float(tot["var_share_replicates"]) if name == "M imputations" else np.nan,
                "seconds": r.seconds,
            }
    return out


def _runs(seeds, *args) -> list[dict]:
    out = []
    for s in seeds:
        r = run_population(s, *args)
        m = r["M imputations"]
        print(f"  population {s}: strata covered {m['strata_covered'].mean():.2f}, total covered {m['total_covered']}, "
              f"{m['seconds']:.0f} s", flush=True)
        out.append(r)
    return out


def summarise(results: list[dict], label: str) -> None:
    print(f"\n{label}")
    print(f"{'':16s} {'strata cov.':>11s} {'regions cov.':>12s} {'total cov.':>10s} {'rel. width':>10s} "
          f"{'repl. share':>11s} {'total repl.':>11s} {'est./strata':>11s}")
    for name in results[0]:
        rs = [r[name] for r in results]
        sc = np.concatenate([r["strata_covered"] for r in rs])
        rc = np.concatenate([r["regions_covered"] for r in rs])
        tc = np.mean([r["total_covered"] for r in rs])
        w = np.median(np.concatenate([r["rel_width"] for r in rs]))
        sh = np.nan if name != "M imputations" else np.mean([r["share"] for r in rs])
        tsh = np.nan if name != "M imputations" else np.mean([r["total_share"] for r in rs])
        ne, ns = sum(r["strata_estimated"] for r in rs), sum(r["strata"] for r in rs)
        print(f"{name:16s} {sc.mean():11.3f} {rc.mean():12.3f} {tc:10.3f} {w:10.3f} "
              f"{'' if np.isnan(sh) else f'{sh:.3f}':>11s} {'' if np.isnan(tsh) else f'{tsh:.3f}':>11s} "
              f"{ne:>5d}/{ns:<5d}")
    print(f"({len(results)} population(s); strata coverage over {len(sc)} stratum estimates, regions over {len(rc)}; "
          f"median relative width (upper - lower) / N; 'repl. share' = mean share of the variance due to the "
          f"replicates per stratum, 'total repl.' for the total)")


def main(part: str = "many", P: int = 30) -> None:
    t0 = time.perf_counter()
    ll = {"reps": 100, "search": "none"}  # main effects, as measured in docs/strata.md
    if part == "big":
        res = _runs([1000], 100, 5, P, "loglinear", ll)
        summarise(res, f"500 strata (100 regions x 5 periods) x {P} imputations, 20% of regions missing; log-linear "
                       "main effects, parametric bootstrap 100 replicates per unit, Rubin's rules")
    elif part == "many":
        res = _runs(range(2000, 2000 + P), 4, 5, 5, "loglinear", ll)
        summarise(res, f"{P} populations x 20 strata (4 regions x 5 periods) x 5 imputations, 20% of regions "
                       "missing; log-linear main effects, parametric bootstrap 100 replicates, Rubin's rules")
    elif part == "lcmcr":
        lc = {"burnin": 500, "samples": 250, "thinning": 5, "chains": 2}
        res = _runs(range(3000, 3000 + P), 2, 5, 5, "lcmcr", lc)
        summarise(res, f"{P} populations x 10 strata (2 regions x 5 periods) x 5 imputations; LCMCR K=7, burn-in "
                       "500, 2 chains x 250 draws thinned by 5, pooled posterior draws")
    else:
        raise SystemExit("part must be big, many or lcmcr")
    print(f"wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    part = sys.argv[1] if len(sys.argv) > 1 else "many"
    main(part, int(sys.argv[2]) if len(sys.argv) > 2 else (20 if part == "big" else 30))
