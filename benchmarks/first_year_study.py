"""Does the year of first registration, as a covariate, bias the total N̂ over a window of several years?

``darkfigure link`` writes ``year``, each person's year of first registration (the earliest year of the
person's registrations). ``estimate`` on a link folder used it as a covariate by default until s24
(:mod:`darkfigure.pipeline.first_year`). This study fits the true persons (true links, no linkage error),
with and without ``year``, ``ci="none"``, the default search, against the known N:

1. ``mechanism``: 4 independent lists (p = .25, .30, .20, .35, sex +0.3 on the logit, optionally a normal
   heterogeneity shared by the lists), N = 1,700, each registration dated uniformly over 2023-2024
   independently of the person; seeds 1000-1049.
2. ``held_out``: ``benchmarks/independent_registrations`` (moderate, N = 1,700; covariates sex,
   exploitation, age_group), its own dates (an episode in 2021-2023, registrations within 400 days)
   and the same registrations redated uniformly over 2023-2024 (the new user's setting, s24); seeds 251-270.
3. ``clearing_house``: the project's simulator (:func:`darkfigure.linkage.synthetic.simulate_registrations`,
   errors "standard"; N = 8,200 over 2022-2024), where every person's registrations fall in the person's
   one year; seeds 251-258.

Run: ``PYTHONPATH=src python benchmarks/first_year_study.py [part ...]`` (about a minute on one core).
Measured on 7 Dec 2026 (s24, main at 12416d3, a busy 2-core machine), mean N̂ with year / without:
mechanism, independent lists 1,818 (+6.9%) / 1,699 (-0.1%), the 2024 stratum holding 377 of the 397
never registered and the 2023 stratum 139 that do not exist; with heterogeneity sd 0.8 1,694 / 1,704;
held_out redated 1,817 (+6.9%, sd 155) / 1,675 (-1.5%, sd 114), own dates 1,683 / 1,675;
clearing_house 8,105 / 8,108 (truth 8,200).

4. ``per_year`` (s25, 8 Dec 2026): part 1's registrations as the units of ``--year registration_year``, a person per
   calendar year of registration seen by that year's lists; the truth is 1,700 in each year. 20 seeds: per-year N̂
   1,710 (sd 102) and 1,715 (sd 96).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from darkfigure.estimation import estimate
from darkfigure.histories import CaptureHistories


def _nhat(df: pd.DataFrame, lists: list[str], covs: list[str]):
    """The Estimate of the persons `df` (one row each) with covariates `covs`, no interval."""
    h = CaptureHistories.from_records(df.reset_index(drop=True), lists=lists, covariates=covs)
    return estimate(h, ci="none", model_checks=False, assumption_range="off")


def _both(df: pd.DataFrame, lists: list[str], covs: list[str]) -> dict:
    """Total N̂ with and without year, and the with-year model's N̂ and observed per year."""
    e = _nhat(df, lists, [*covs, "year"])
    y = e.estimates[e.estimates["group"] == "year"].set_index("level")
    out = {"with_year": e.nhat, "without": _nhat(df, lists, covs).nhat}
    for lv, r in y.iterrows():
        out[f"nhat_{lv}"], out[f"obs_{lv}"] = r["nhat"], r["observed"]
    return out


def mechanism(het_sd: float, reps: int = 50, n: int = 1700) -> pd.DataFrame:
    """Independent lists, dates uniform over 2023-2024 per registration (module docstring, part 1)."""
    p, lists, rows = np.array([.25, .3, .2, .35]), [f"L{j}" for j in range(4)], []
    for s in range(reps):
        rng = np.random.default_rng(1000 + s)
        sex = rng.choice(["F", "M"], n)
        lp = np.log(p / (1 - p))[None, :] + het_sd * rng.normal(size=(n, 1)) + 0.3 * (sex == "F")[:, None]
        cap = rng.random((n, 4)) < 1 / (1 + np.exp(-lp))
        first = np.where(cap, np.where(rng.random((n, 4)) < .5, 2023, 2024), 9999).min(axis=1)
        seen = cap.any(axis=1)
        df = pd.DataFrame(cap[seen].astype(int), columns=lists).assign(sex=sex[seen], year=first[seen].astype(str))
        rows.append({"seed": 1000 + s, "n_obs": int(seen.sum()), **_both(df, lists, ["sex"])})
    return pd.DataFrame(rows)


def per_year(reps: int = 20, n: int = 1700) -> pd.DataFrame:
    """Part 4: the units of ``--year registration_year`` (a person per calendar year of registration, seen by that
    year's lists) on part 1's registrations: each of the n persons is present in both years, so each year's truth
    is n; the persons first registered that year (``year``) are fewer."""
    p, lists, rows = np.array([.25, .3, .2, .35]), [f"L{j}" for j in range(4)], []
    for s in range(reps):
        rng = np.random.default_rng(1000 + s)
        sex = rng.choice(["F", "M"], n)
        lp = np.log(p / (1 - p))[None, :] + 0.3 * (sex == "F")[:, None]
        cap = rng.random((n, 4)) < 1 / (1 + np.exp(-lp))
        when = np.where(rng.random((n, 4)) < .5, 2023, 2024)
        units = []
        for y in (2023, 2024):
            c = cap & (when == y)
            seen = c.any(axis=1)
            units.append(pd.DataFrame(c[seen].astype(int), columns=lists).assign(sex=sex[seen], registration_year=str(y)))
        e = _nhat(pd.concat(units, ignore_index=True), lists, ["sex", "registration_year"])
        by = e.estimates[e.estimates["group"] == "registration_year"].set_index("level")["nhat"]
        rows.append({"seed": 1000 + s, "truth_per_year": n, "nhat_2023": by["2023"], "nhat_2024": by["2024"]})
    return pd.DataFrame(rows)


def held_out(redate: bool, seeds=range(251, 271), n: int = 1700) -> pd.DataFrame:
    """benchmarks/independent_registrations, true persons (module docstring, part 2)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from independent_registrations import generate

    rows = []
    for seed in seeds:
        g = generate(seed, "moderate", n)
        reg = g.registrations
        if redate:  # every registration uniform over 2023-2024, whoever it belongs to
            rng = np.random.default_rng(seed + 10_000)
            day = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 731, len(reg)), "D")
            reg = reg.assign(registration_date=day.strftime("%Y-%m-%d"))
        first = pd.to_datetime(reg["registration_date"]).dt.year.groupby(reg["true_person_id"]).min()
        pop = g.population.set_index("true_person_id")
        obs = pop[pop[g.lists].sum(axis=1) > 0].copy()
        obs["year"] = first.reindex(obs.index).astype(str)
        rows.append({"seed": seed, "n_obs": len(obs), **_both(obs, g.lists, ["sex", "exploitation", "age_group"])})
    return pd.DataFrame(rows)


def clearing_house(seeds=range(251, 259)) -> pd.DataFrame:
    """The project's simulator, true persons (module docstring, part 3)."""
    from darkfigure.linkage.synthetic import simulate_registrations

    rows = []
    for seed in seeds:
        s = simulate_registrations("clearing_house", seed=seed, errors="standard")
        reg = s.registrations
        yr = pd.to_datetime(reg["registration_date"]).dt.year.groupby(reg["true_person_id"]).agg(["min", "max"])
        orgs = list(pd.unique(reg["organisation"]))
        seen = pd.crosstab(reg["true_person_id"], reg["organisation"]).clip(upper=1)[orgs]
        df = seen.join(s.persons.set_index("true_person_id")[["sex", "exploitation"]])
        df = df.join(yr["min"].rename("year").astype(str))
        rows.append({"seed": seed, "n_obs": len(df), "persons_in_several_years": int((yr["min"] != yr["max"]).sum()),
                     **_both(df, orgs, ["sex", "exploitation"])})
    return pd.DataFrame(rows)


def main(parts: list[str]) -> None:
    """Print each part's runs and mean / sd of the totals."""
    warnings.filterwarnings("ignore")  # the fits' warnings (sparse tables, extended MLE) are not the question here
    runs = {"mechanism": lambda: mechanism(0.0), "mechanism_het": lambda: mechanism(0.8),
            "held_out_redated": lambda: held_out(True), "held_out_own_dates": lambda: held_out(False),
            "clearing_house": clearing_house, "per_year": per_year}
    for name in parts or list(runs):
        d = runs[name]()
        print(f"== {name}: {len(d)} runs\n{d.round(1).to_string(index=False)}")
        print(d.drop(columns="seed").agg(["mean", "std"]).round(1).to_string(), "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
