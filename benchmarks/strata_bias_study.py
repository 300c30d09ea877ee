"""Coverage of the total over many small strata: bias-corrected vs plain sums of the strata's N̂.

Each stratum's log-linear MLE carries a small upward small-sample bias (as Lincoln–Petersen's);
over hundreds of strata the biases add up while the total's standard error grows only as their
square root. This study draws P stratified populations (3 lists, independent and homogeneous
within each stratum, so the main-effects model is right per stratum) and estimates them with
``total_bias="correct"`` (the default) and ``"report"`` (plain sums), giving for each setting the
coverage of the true total, the mean relative bias and the median relative width.

Settings (name: regions x periods strata, stratum sizes, capture probabilities):

* ``small``: 10 x 10, sizes 30-150, capture 0.15-0.45 (tuned on: the bias correction was designed here);
* ``many``: 25 x 20 = 500 strata, sizes 20-100, capture 0.2-0.5 (held out);
* ``large``: 10 x 5, sizes 150-1,500, capture 0.15-0.45 (held out: strata big enough that the
  correction should change little);
* ``four``: 4 lists, 10 x 10, sizes 30-150, capture 0.1-0.35 (held out).
* ``dutch``: ``darkfigure simulate dutch_like`` (5 lists that depend on each other and on covariates,
  structural zeros), strata year x sex x nationality (30), truth the simulator's N (held out);
* ``dutch_half``: the same at half the population (``scale_scenario(.., 0.5)``: strata of ~100-400
  observed, median under 200, so ``--search auto`` chooses one model across strata).

``--search`` is the per-stratum model search: ``none`` (main effects, the right model in the
first four settings), ``auto`` (the default of ``darkfigure strata``), ``pooled`` (one model
across strata), ``cruyff`` (Cruyff's search in every stratum, model-averaged interval).

Run: nice -n 10 python benchmarks/strata_bias_study.py [setting ...] [--populations P] [--reps B] [--search auto]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from darkfigure.strata import estimate_strata, simulate_strata

SETTINGS = {
    "small": dict(regions=10, periods=10, lists=3, size=(30, 150), capture=(0.15, 0.45)),
    "many": dict(regions=25, periods=20, lists=3, size=(20, 100), capture=(0.2, 0.5)),
    "large": dict(regions=10, periods=5, lists=3, size=(150, 1500), capture=(0.15, 0.45)),
    "four": dict(regions=10, periods=10, lists=4, size=(30, 150), capture=(0.1, 0.35)),
}


DUTCH = {"dutch": 1.0, "dutch_half": 0.5}


def _population(setting: str, seed: int):
    """(persons, by, true total) of one population of `setting`."""
    if setting in DUTCH:
        from darkfigure.linkage.synthetic import scaled_scenario
        from darkfigure.simulation import simulate

        sim = simulate(scaled_scenario("dutch_like", DUTCH[setting]), seed=seed)
        persons = sim.persons()
        return persons, "year,sex,nationality", float(sim.n_total)
    cfg = SETTINGS[setting]
    sim = simulate_strata(cfg["regions"], cfg["periods"], lists=cfg["lists"], size=cfg["size"],
                          capture=cfg["capture"], seed=seed)
    return sim.persons, "region,period", float(sim.truth["N"].sum())


def run(setting: str, populations: int, reps: int, seed0: int = 20261205, search: str = "none") -> dict:
    """Coverage, relative bias and width of the total for both treatments over `populations` draws.

    `search` is the model search: "none" (main effects, the right model in the simulate_strata settings),
    "auto" (darkfigure's default), "pooled" (one model across strata) or "cruyff" (Cruyff's search per stratum
    with the model-averaged interval, what "auto" did before "pooled" existed). Population p has seed seed0 + p.
    """
    out = {m: {"cover": [], "rel": [], "width": [], "unbounded": 0} for m in ("correct", "report")}
    models: dict[str, int] = {}
    t0 = time.perf_counter()
    for p in range(populations):
        persons, by, truth = _population(setting, seed0 + p)
        cache = tempfile.TemporaryDirectory()  # the plain sums reuse the strata of the corrected run
        for m in out:
            kw = {"ci": "averaged"} if search == "cruyff" else {}
            r = estimate_strata(persons, by=by, method="loglinear", reps=reps, seed=seed0 + p,
                                n_jobs=1, total_bias=m, search=search, cache=cache.name, **kw)
            if m == "correct":
                ms = r.settings.get("model_search")
                lab = "per stratum" if ms is None else " / ".join(dict.fromkeys(map(str, ms["models"])))
                models[lab] = models.get(lab, 0) + 1
            tot = r.totals.iloc[0]
            out[m]["cover"].append(tot["lower"] <= truth <= tot["upper"])
            out[m]["rel"].append(tot["nhat"] / truth - 1)
            out[m]["width"].append((tot["upper"] - tot["lower"]) / truth)
            # bootstrap replicates without a finite N̂ count as inf: a total can have no finite upper end (inf width)
            out[m]["unbounded"] += int(not np.isfinite(tot["upper"]))
        cache.cleanup()
    res = {"setting": setting, "search": search, "populations": populations, "seconds": time.perf_counter() - t0,
           "models": models}
    for m, v in out.items():
        res[m] = {"coverage": float(np.mean(v["cover"])), "mean_rel_bias": float(np.mean(v["rel"])),
                  "median_rel_width": float(np.median(v["width"])), "unbounded": v["unbounded"]}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS) + list(DUTCH))
    ap.add_argument("--populations", type=int, default=100)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--search", default="none", choices=["none", "auto", "pooled", "cruyff"],
                    help="none (main effects), auto (the default of `darkfigure strata`), pooled (one model across "
                         "strata), cruyff (a search in every stratum, model-averaged interval)")
    ap.add_argument("--seed0", type=int, default=20261205, help="population p has seed seed0 + p")
    a = ap.parse_args()
    for s in a.settings:
        load = os.getloadavg()[0]
        r = run(s, a.populations, a.reps, seed0=a.seed0, search=a.search)
        print(f"{s:6s} search={a.search} P={r['populations']:3d} seeds {a.seed0}-{a.seed0 + a.populations - 1} "
              f"({r['seconds']:.0f} s, load {load:.1f}-{os.getloadavg()[0]:.1f}) models: {r['models']}", flush=True)
        for m in ("correct", "report"):
            v = r[m]
            print(f"   {m:8s} coverage {v['coverage']:.2f}  bias {100 * v['mean_rel_bias']:+.2f}%  "
                  f"median width {100 * v['median_rel_width']:.1f}%  no finite upper end in {v['unbounded']}",
                  flush=True)


if __name__ == "__main__":
    main()
