"""Which rule turns the linkage draws into N̂ corrected? Measured on three generators from the same draws.

Tester report 14a (H1): the bootstrap bias correction ``as-linked - (mean over draws - as-linked)``
moved N̂ away from the true-link N̂ in 8 of 8 populations of an independent generator, where the
draws join more than the as-linked persons (namesake pairs below the threshold) and their mean lies
below the as-linked N̂, toward the truth. The rules compared, all from one set of draws (A = N̂ as
linked, M = mean N̂ over the draws; the interval is the pooled replicates moved with the point, as
:func:`darkfigure.linkage.combine.combine_draws` moves it):

* ``bias``: A - (M - A) (Chipperfield & Chambers 2015; the default until 2026-12-06);
* ``mean``: M (Sadinle 2018's linkage averaging);
* ``mixed``: M when M < A, else A - (M - A) (always moves down: A - abs(M - A));
* ``toward`` (the default since): M when M < A, else A (the point never moves against the draws; a shift up
  is not told apart from each draw's own random splits, which raise N̂ even under calibrated probabilities);
* ``none``: A with the draws' interval moved onto it.

Per population: the relative difference of each point from the true-link N̂ (the as-linked model fixed
on the true histories) and whether each interval covers it, as pooled (``cover_*``) and as published
with :func:`darkfigure.linkage.combine.published_interval` (``pub_*``: the union with the as-linked
interval where narrower, and with A and M when the draws are shifted beyond their Monte-Carlo error).

Generators: ``sim`` (the project's ``simulate_registrations('clearing_house', errors=SETTING)``, the
lists and year, the model chosen by BIC as in ``linkage_uncertainty_study``); ``t12`` (tester 12's
``independent_registrations``, independence model of sex and exploitation, as
``independent_linkage_check``); ``t14a`` (tester 14a's ``/work/tester14a_gen/gen.py``, the model chosen by
the default search on the as-linked sex, exploitation and year, ``missing="em"``). Each: ``ci="parametric"``
with 200 replicates as linked, 20 draws x 20 replicates.

Measured (2026-12-06 11:23-11:50 UTC, one study process at a time, load 6.8-10.2 on 2 cores; fresh seeds nobody
had used; the mean over draws is that of the ``"toward"`` draws, the matches never compared merged in; mean relative
difference from the true-link N̂, and populations whose pooled interval covers it)::

    generator (populations)                          M < A  bias          mean          mixed         toward        none (A)
    t14a: mild 111-113, tail 0.6 311-313 (6)         4      +24.5% 1/6    +12.1% 0/6    +12.0% 1/6    +12.1% 0/6    +18.3% 0/6
    t12: moderate 251-254, heavy 351-354 (8)         0      +2.0% 5/8     +4.2% 4/8     +2.0% 5/8     +3.1% 5/8     +3.1% 5/8
    sim: 5 settings, seeds 6001-6002 (7)             1      +0.4% 7/7     +0.7% 7/7     +0.4% 7/7     +0.5% 7/7     +0.5% 7/7
    sim at threshold 0.1 (over-linked) (4)           0      -3.1% 2/4     +1.3% 4/4     -3.1% 2/4     -0.9% 4/4     -0.9% 4/4
    all (25), mean absolute                          5      7.2% 15/25    4.6% 15/25    4.3% 15/25    4.2% 16/25    5.7% 16/25

``mixed`` wins where N̂ as linked over-counts (every generator at the default threshold) and loses where it
under-counts (over-linked): there the draws split the false links and lie above A toward the truth, and mixed,
like the bias correction, moves N̂ away. ``toward`` is never on the other side of A from the draws; it is the
default. Populations::

    sim:typos:6001 sim:no_dob:6001 sim:dob_errors:6001 sim:standard:6001 sim:recurring_names:6001 sim:typos:6002
    sim:no_dob:6002 sim:recurring_names:6002:0.1 sim:no_dob:6003:0.1 sim:typos:6003:0.1 sim:standard:6002:0.1
    t12:moderate:251:4500 t12:moderate:252:3000 t12:moderate:253:6000 t12:moderate:254:4500 t12:heavy:351:4500
    t12:heavy:352:3000 t12:heavy:353:6000 t12:heavy:354:4500 t14a:mild:111:0 t14a:mild:112:0 t14a:mild:113:0
    t14a:mild:311:0.6 t14a:mild:312:0.6 t14a:mild:313:0.6

With the undated registrations assigned once per draw (``linkage/undated_draws.py``, 2026-12-06 14:14-15:12 UTC,
load 8-13; tuned on t14a:mild:131-133:0, t14a:mild:331-332:0.6), toward before -> after on fresh seeds
t14a:mild:141-142:0 +19.6 -> +2.6% (covered 0 -> 2 of 2), t14a:mild:341-342:0.6 +4.1 -> +1.6% (0 -> 2),
t14a:heavy:241-242:0 +47.8 -> +12.4% (0 -> 0), sim:{no_dob,recurring_names,typos,standard}:6011 +0.3 -> -0.3%
(4 -> 4), t12:moderate:271-272:4500 +1.0 -> -0.4% (2 -> 2), t12:heavy:371-372:4500 +1.6 -> -2.0% (2 -> 2); per population in docs/methods/linkage.md, "Undated registrations in the draws".

Run: ``nice python benchmarks/correction_rule_study.py sim:typos:6001 t12:heavy:351:4500 t14a:mild:111:0.6
--out rules.csv`` (one population per argument; rows appended to --out as they finish).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

RULES = ("bias", "mean", "mixed", "toward", "none")
T14A_GEN = "/work/tester14a_gen/gen.py"
T14A_LISTS = ["border", "health", "labour_insp", "municipality", "ngo_shelter", "police"]


def rule_points(a: float, m: float) -> dict[str, float]:
    """N̂ corrected under each rule of the module docstring, from A (as linked) and M (mean over draws)."""
    return {"bias": a - (m - a), "mean": m, "mixed": m if m < a else a - (m - a), "toward": min(m, a), "none": a}


def rule_rows(a: float, draw_nhat: np.ndarray, pooled: np.ndarray, lo0: float, hi0: float,
              truth: float, level: float = 0.95) -> dict:
    """Points, intervals and coverage of every rule for one population.

    `pooled`: the total's replicates of all draws, centred on the mean over draws (not moved);
    `lo0, hi0`: the as-linked interval; `truth`: the true-link N̂. Returns a flat dict.
    """
    from darkfigure.linkage.combine import published_interval

    d = np.asarray(draw_nhat, float)
    d = d[np.isfinite(d)]
    m = float(d.mean())
    q = (1 - level) / 2
    lo_m, hi_m = np.nanquantile(pooled, [q, 1 - q])
    out = {"as_linked": a, "mean_draws": m, "draws_sd": float(d.std(ddof=1)), "draws": d.size, "truth": truth,
           "lower_as_linked": lo0, "upper_as_linked": hi0, "lower_mean": lo_m, "upper_mean": hi_m,
           "cover_as_linked": bool(lo0 <= truth <= hi0)}
    for r, p in rule_points(a, m).items():
        lo, hi = lo_m + (p - m), hi_m + (p - m)
        plo, phi, _, shifted = published_interval(
            np.array([lo]), np.array([hi]), np.array([lo0]), np.array([hi0]), np.array([a]), np.array([m]),
            np.array([float(d.std(ddof=1) / np.sqrt(d.size))]))
        out |= {f"{r}": p, f"rel_{r}_%": 100 * (p - truth) / truth, f"cover_{r}": bool(lo <= truth <= hi),
                f"pub_{r}": bool(plo[0] <= truth <= phi[0]), f"pub_width_{r}": float(phi[0] - plo[0]),
                f"shifted_{r}": bool(shifted[0])}
    return out


def _from_estimate(r) -> tuple[float, np.ndarray, np.ndarray, float, float, list[str]]:
    """A, the draws' N̂, the pooled replicates centred on M, the as-linked interval and the model, from a
    ``dfg.estimate`` result on a link run (the chosen-model correction, ``ci="parametric"``)."""
    le = r.raw.linkage
    est = r.raw.estimates.iloc[0]
    a = float(le.nhat_as_linked)
    d = np.asarray(le.draw_nhat, float)
    m = float(np.nanmean(d))
    reps = np.asarray(le.replicates, float)[:, 0]
    # the pipeline's replicates are moved with its point (nhat_corrected); put them back on M
    pooled = reps + (m - float(le.nhat_corrected))
    model = [":".join(t) for t in r.raw.fit.model.terms if len(t) > 1]
    return a, d, pooled, float(est["lower_as_linked"]), float(est["upper_as_linked"]), model


def pop_sim(setting: str, seed: int, draws: int, reps: int, threshold: float = 0.5) -> dict:
    """One population of the project's simulator (the figures of ``linkage_uncertainty_study.one_population``);
    `threshold` below 0.5 links too much (false links: N̂ as linked below the truth, the case none of the three
    generators gives at the default)."""
    from darkfigure.estimation import estimate
    from darkfigure.linkage import link, persons_from_links, simulate_registrations
    from darkfigure.linkage.uncertainty import LinkRun, linkage_uncertainty, loglinear_refit

    regs = simulate_registrations("clearing_house", seed=seed, errors=setting).registrations
    res = link(regs, truth="true_person_id", seed=seed, threads=1, threshold=threshold)
    run = LinkRun.from_result(res)
    h0 = res.histories.collapse(["year"])
    e0 = estimate(h0, year="year", ci="parametric", reps=200, seed=seed, n_jobs=1)
    model = [":".join(t) for t in e0.fit.model.terms if len(t) > 1]
    refit = loglinear_refit(model, ["year"], reps=reps, year="year")
    _, ht = persons_from_links(regs.drop(columns=["first_name", "surname", "date_of_birth"]), regs["true_person_id"])
    truth = float(estimate(ht.collapse(["year"]), model=model or None, search="none", ci="none", year="year").nhat)
    le = linkage_uncertainty(run, refit, draws=draws, seed=seed, n_jobs=1,
                             as_linked=(e0.estimates[["group", "level", "observed"]], e0.estimates["nhat"].to_numpy(),
                                        None))
    d = np.asarray(le.draw_nhat, float)
    pooled = np.asarray(le.replicates, float)[:, 0] + (float(np.nanmean(d)) - le.nhat_corrected)
    q = res.quality.iloc[0]
    return {"precision": float(q["precision"]), "recall": float(q["recall"]), "persons_linked": int(h0.n_observed),
            "persons_drawn": le.persons_drawn, "persons_true": int(ht.n_observed),
            **rule_rows(float(e0.nhat), d, pooled, float(e0.lower), float(e0.upper), truth)}


def _link_files(files: list[Path], seed: int):
    """``darkfigure.linkage.link`` of per-organisation files with the truth column."""
    from darkfigure.linkage import link

    return link(files, truth="true_person_id", seed=seed, threads=1)


def pop_t12(setting: str, seed: int, persons: int, draws: int, reps: int) -> dict:
    """One population of tester 12's generator (as ``independent_linkage_check.one_population``)."""
    from independent_registrations import generate

    import darkfigure as dfg

    g = generate(seed, setting, persons)
    with tempfile.TemporaryDirectory(prefix="rules_t12_") as tmp:
        files = []
        for org, regs in g.registrations.groupby("organisation"):
            files.append(Path(tmp) / f"{org}.csv")
            regs.to_csv(files[-1], index=False)
        res = _link_files(files, 0)
    opts = dict(covariates=["sex", "exploitation"], search="none", ci="parametric", reps=200, seed=1, n_jobs=1)
    r = dfg.estimate(res, missing="em", linkage_draws=draws, linkage_reps=reps, **opts)
    a, d, pooled, lo0, hi0, _ = _from_estimate(r)
    truth = float(dfg.estimate(g.histories, lists=g.lists, **{**opts, "ci": "none"}).nhat)
    q = res.quality.iloc[0]
    return {"precision": float(q["precision"]), "recall": float(q["recall"]),
            "persons_linked": int(q["found_persons"]), "persons_drawn": r.raw.linkage.persons_drawn,
            "persons_true": int(q["true_persons"]), **rule_rows(a, d, pooled, lo0, hi0, truth)}


def pop_t14a(setting: str, seed: int, tail: float, draws: int, reps: int) -> dict:
    """One population of tester 14a's generator (``gen.py``; the model searched on the as-linked histories)."""
    import darkfigure as dfg

    with tempfile.TemporaryDirectory(prefix="rules_t14a_") as tmp:
        pop = Path(tmp) / "pop"
        subprocess.run([sys.executable, T14A_GEN, "--seed", str(seed), "--setting", setting, "--tail", str(tail),
                        "--out", str(pop)], check=True, capture_output=True)
        files = sorted(f for f in pop.glob("*.csv") if f.name != "true_histories.csv")
        res = _link_files(files, 1)
        true_h = pd.read_csv(pop / "true_histories.csv")
    covs = ["sex", "exploitation", "year"]
    r = dfg.estimate(res, missing="em", covariates=covs, ci="parametric", reps=200, seed=1, n_jobs=1,
                     linkage_draws=draws, linkage_reps=reps)
    a, d, pooled, lo0, hi0, model = _from_estimate(r)
    truth = float(dfg.estimate(true_h, lists=T14A_LISTS, covariates=covs, missing="em", model=model or None,
                               search="none", ci="none").nhat)
    q = res.quality.iloc[0]
    return {"precision": float(q["precision"]), "recall": float(q["recall"]),
            "persons_linked": int(q["found_persons"]), "persons_drawn": r.raw.linkage.persons_drawn,
            "persons_true": int(q["true_persons"]), **rule_rows(a, d, pooled, lo0, hi0, truth)}


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per generator and over all: mean (and mean absolute) relative difference and coverage of every rule."""
    out = []
    for name, g in [*df.groupby("generator", sort=False), ("all", df)]:
        row = {"generator": name, "n": len(g), "M<A": int((g["mean_draws"] < g["as_linked"]).sum())}
        for r in RULES:
            row[f"{r} mean%"] = g[f"rel_{r}_%"].mean()
            row[f"{r} |%|"] = g[f"rel_{r}_%"].abs().mean()
            row[f"{r} cov/pub"] = f"{int(g[f'cover_{r}'].sum())}/{int(g[f'pub_{r}'].sum())}"
        out.append(row)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    """Run the populations named on the command line (``GEN:SETTING:SEED[:EXTRA]``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("populations", nargs="*",
                    help="sim:SETTING:SEED[:THRESHOLD], t12:SETTING:SEED:PERSONS, t14a:SETTING:SEED:TAIL")
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--out", required=True, help="CSV; rows are appended (an existing file is read and summarised)")
    a = ap.parse_args(argv)
    path = Path(a.out)
    rows = pd.read_csv(path).to_dict("records") if path.exists() else []
    for spec in a.populations:
        gen, setting, seed, *extra = spec.split(":")
        t0 = time.perf_counter()
        load0 = open("/proc/loadavg").read().split()[0]
        try:
            if gen == "sim":
                r = pop_sim(setting, int(seed), a.draws, a.reps, float(extra[0]) if extra else 0.5)
            elif gen == "t12":
                r = pop_t12(setting, int(seed), int(extra[0]) if extra else 4500, a.draws, a.reps)
            elif gen == "t14a":
                r = pop_t14a(setting, int(seed), float(extra[0]) if extra else 0.0, a.draws, a.reps)
            else:
                raise SystemExit(f"unknown generator {gen!r}: sim, t12 or t14a")
        except Exception as e:  # noqa: BLE001 - one failed population is said, the others go on
            print(f"{spec}: FAILED {type(e).__name__}: {e}", flush=True)
            continue
        r = {"generator": gen, "population": spec, **r, "seconds": time.perf_counter() - t0,
             "load": f"{load0}-{open('/proc/loadavg').read().split()[0]}"}
        rows.append(r)
        pd.DataFrame(rows).to_csv(path, index=False)
        print(f"{spec}: truth {r['truth']:,.0f} A {r['as_linked']:,.0f} M {r['mean_draws']:,.0f} "
              + " ".join(f"{k} {r[f'rel_{k}_%']:+.1f}%{'c' if r[f'cover_{k}'] else ''}{'p' if r[f'pub_{k}'] else ''}"
                         for k in RULES)
              + f" ({r['seconds']:.0f} s, load {r['load']})", flush=True)
    if rows:
        with pd.option_context("display.width", 250, "display.max_columns", 40):
            print(summarise(pd.DataFrame(rows)).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
