"""Coverage of ``darkfigure strata`` where some strata barely bound N (bootstrap replicates without a finite N̂).

Populations from :func:`darkfigure.strata.simulate_strata` (3 lists, independent and homogeneous within each
stratum: the main-effects model is right per stratum, ``--search none``). In small strata with low capture
probabilities some parametric bootstrap replicates have no finite N̂ (the refit cannot bound N). They count as
N̂* = +inf (issue 16; before, they were redrawn from the finite replicates). For each setting this prints:

* per-stratum coverage of the true N_s over the estimated strata, and over those with any replicate without a
  finite N̂; how many strata have an unbounded upper end;
* coverage of the true total over the estimated strata (an unbounded total covers it when its lower limit is
  below it), how many totals are unbounded, and the coverage of the total over the strata with bounded intervals
  (``nhat_bounded``, ...) of the true total over those strata.

Settings: ``tiny`` (10 x 5 strata of 15-80 persons, capture 0.10-0.35: the case of the issue), ``small``
(10 x 10 strata of 30-150, capture 0.15-0.45: ``strata_bias_study.py small``). Population p has seed seed0 + p.

Run: nice -n 10 python benchmarks/strata_unbounded_study.py [tiny|small ...] [--populations P] [--reps B]
Runs with the code before issue 16 too (the columns it lacks are read as absent).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from darkfigure.strata import estimate_strata, simulate_strata

SETTINGS = {
    "tiny": dict(regions=10, periods=5, size=(15, 80), capture=(0.10, 0.35)),
    "small": dict(regions=10, periods=10, size=(30, 150), capture=(0.15, 0.45)),
}


def run(setting: str, populations: int, reps: int, seed0: int) -> dict:
    """Per-stratum and total coverage over `populations` populations of `setting`."""
    cfg = SETTINGS[setting]
    cov, cov_inf, n_unb_strata, n_inf_strata = [], [], 0, 0
    tot_cov, tot_unb, bnd_cov, bnd_rel, left, left_obs = [], 0, [], [], [], []
    for p in range(populations):
        sim = simulate_strata(cfg["regions"], cfg["periods"], lists=3, size=cfg["size"], capture=cfg["capture"],
                              seed=seed0 + p)
        r = estimate_strata(sim.persons, by="region,period", reps=reps, search="none", seed=seed0 + p, n_jobs=1)
        t = r.table.merge(sim.truth[["region", "period", "N"]], on=["region", "period"])
        est = t[t["status"] == "estimated"]
        c = (est["lower"] <= est["N"]) & (est["N"] <= est["upper"])
        if "draws_unbounded" in est:
            had = est["draws_unbounded"] > 0
        else:  # before issue 16: the warning said they were redrawn
            had = est["warnings"].str.contains("were redrawn from the others", regex=False)
        cov += list(c)
        cov_inf += list(c[had])
        n_inf_strata += int(had.sum())
        n_unb_strata += int(np.isinf(est["upper"]).sum())
        tot = r.totals.iloc[0]
        truth = float(est["N"].sum())
        tot_cov.append(bool(tot["lower"] <= truth <= tot["upper"]))
        if np.isinf(tot["upper"]):
            tot_unb += 1
            names = {x["stratum"] for x in r.unbounded_totals[0]["left_out"]}
            left.append(len(names))
            left_obs.append(tot["observed_unbounded"] / tot["observed"])
            key = est["region"].astype(str) + "/" + est["period"].astype(str)
            tb = float(est.loc[~key.isin(names), "N"].sum())
            if np.isfinite(tot["upper_bounded"]):
                bnd_cov.append(bool(tot["lower_bounded"] <= tb <= tot["upper_bounded"]))
                bnd_rel.append(tot["nhat_bounded"] / tb - 1)
    return {"strata": len(cov), "coverage": float(np.mean(cov)), "with_inf": n_inf_strata,
            "coverage_with_inf": float(np.mean(cov_inf)) if cov_inf else float("nan"), "unbounded": n_unb_strata,
            "total_coverage": float(np.mean(tot_cov)), "totals_unbounded": tot_unb,
            "bounded_coverage": float(np.mean(bnd_cov)) if bnd_cov else float("nan"), "bounded_n": len(bnd_cov),
            "bounded_rel_bias": float(np.mean(bnd_rel)) if bnd_rel else float("nan"),
            "left_out": float(np.mean(left)) if left else float("nan"),
            "left_out_obs": float(np.mean(left_obs)) if left_obs else float("nan"),
            "strata_per_population": len(cov) / populations}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("settings", nargs="*", default=["tiny"], choices=list(SETTINGS))
    ap.add_argument("--populations", type=int, default=20)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed0", type=int, default=20261205)
    a = ap.parse_args()
    for s in a.settings:
        t0, load = time.perf_counter(), os.getloadavg()[0]
        r = run(s, a.populations, a.reps, a.seed0)
        print(f"{s}: P={a.populations} seeds {a.seed0}-{a.seed0 + a.populations - 1}, {a.reps} replicates per "
              f"stratum, --search none ({time.perf_counter() - t0:.0f} s, load {load:.1f})")
        print(f"  strata: {r['strata']} estimated, coverage {r['coverage']:.3f}; {r['with_inf']} with replicates "
              f"without a finite N̂, coverage among them {r['coverage_with_inf']:.3f}; {r['unbounded']} with an "
              "unbounded upper end")
        print(f"  total: coverage {r['total_coverage']:.2f}, {r['totals_unbounded']} of {a.populations} unbounded; "
              f"total over the bounded strata (when unbounded): coverage {r['bounded_coverage']:.2f} of "
              f"{r['bounded_n']}, mean relative bias {100 * r['bounded_rel_bias']:+.1f}%; it leaves out "
              f"{r['left_out']:.1f} of {r['strata_per_population']:.0f} strata on average "
              f"({100 * r['left_out_obs']:.1f}% of the persons observed)", flush=True)


if __name__ == "__main__":
    main()
