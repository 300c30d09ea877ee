"""Coverage study: do darkfigure's intervals mean what they say on monitor-like data?

Simulated victim monitors like the Dutch one (4-5 lists, list dependences, list x
covariate interactions over sex x form of exploitation x age x 4 years, one list that
cannot register one form, declared as a structural zero, N about 3,000-8,000 with
n/N about 0.3-0.4). The population generator below is written for this script alone:
it does NOT use ``darkfigure.simulation`` (the truth must not come from the code under
test).

Generator (per population, per stratum s = sex x form x age x year):

* N is drawn uniformly from the setting's range; the stratum sizes N_s are
  Multinomial(N, pi) with log pi = sex x form association + age, form and year effects.
* Each person's capture history h in {0,1}^k has P(h | s) proportional to
  exp(sum_j h_j theta_js + sum_{j<l} gamma_jl h_j h_l + sum_{j<l<m} tau_jlm h_j h_l h_m),
  theta_js = logit(p_j) + list x covariate effects (drawn per population, N(0, sd)) +
  list x covariate x covariate effects where the setting has them; theta = -inf where
  the list cannot register the stratum (structural zero). Counts are
  Multinomial(N_s, P(. | s)); the all-zero pattern is the dark figure.

Settings are split into TUNING settings (used to choose the default method) and HELD-OUT
settings (only reported, never tuned on): see ``TUNING`` and ``HELDOUT`` below.

Printed per setting and method: coverage of the total N and of the subgroup N̂s (every
level of sex, form, age and year; mean over subgroups and the worst subgroup) at nominal
95%, mean relative bias of the total (and mean absolute relative bias over subgroups),
median relative interval width, and seconds per population.

Run (2 shared cores: nice, and at most 2 processes)::

    nice -n 10 python benchmarks/coverage_study.py --populations 100 --seed 1 --settings heldout
    nice -n 10 python benchmarks/coverage_study.py --populations 30 --settings tuning --methods averaged,cruyff-bic

Binomial SD of a coverage of 0.95 over 100 populations: 0.022.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from dataclasses import dataclass, field
from multiprocessing import get_context

import numpy as np
import pandas as pd

COVARIATES: dict[str, tuple[str, ...]] = {
    "sex": ("F", "M"),
    "form": ("sexual", "labour", "criminal"),
    "age": ("adult", "minor"),
    "year": ("2019", "2020", "2021", "2022"),
}


@dataclass(frozen=True)
class Setting:
    """One simulated monitor.

    lists : list names; p : base capture probability of each list (for the reference stratum).
    listcov : (list, covariate) -> SD of the per-level list x covariate effects (drawn per population).
    listcovcov : (list, covariate, covariate) -> SD of three-way effects (outside two-factor models).
    pairs / triples : fixed list interactions (log odds ratios), jittered by N(0, 0.1) per population.
    szero : (list, covariate, level) the list cannot register (declared to the estimator).
    n_range : range of the population size N.
    plain : the estimator sees the table summed over the covariates (a plain k-list table; only with no
        list x covariate effect, so that summing adds no heterogeneity); only the total is reported.
    max_order : passed to the estimator (3: three-list terms in the search).
    """

    name: str
    lists: tuple[str, ...]
    p: tuple[float, ...]
    listcov: dict = field(default_factory=dict)
    listcovcov: dict = field(default_factory=dict)
    pairs: dict = field(default_factory=dict)
    triples: dict = field(default_factory=dict)
    szero: tuple | None = None
    n_range: tuple[int, int] = (3000, 8000)
    description: str = ""
    plain: bool = False
    max_order: int | None = None


_ALL_LC = 0.35  # a modest list x covariate effect SD

SETTINGS: dict[str, Setting] = {
    # ------------------------------------------------------------------ tuning settings
    "T1-pair4": Setting(
        "T1-pair4", ("A", "B", "C", "D"), (0.14, 0.12, 0.10, 0.08),
        listcov={("A", "sex"): 0.5, ("B", "form"): 0.5, ("C", "year"): 0.3, ("D", "age"): 0.4},
        pairs={("A", "B"): 0.8},
        szero=("D", "form", "sexual"),
        description="4 lists, A:B dependence, one list x covariate effect per list (the issue's setting)",
    ),
    "T2-twopairs5": Setting(
        "T2-twopairs5", ("P", "K", "N", "I", "Z"), (0.12, 0.10, 0.09, 0.07, 0.06),
        listcov={("P", "sex"): 0.4, ("P", "form"): 0.5, ("K", "form"): 0.4, ("N", "age"): 0.5,
                 ("I", "year"): 0.3, ("Z", "sex"): 0.4},
        pairs={("P", "K"): 0.7, ("N", "Z"): -0.6},
        szero=("I", "form", "sexual"),
        description="5 lists, one positive and one negative pair, six list x covariate effects",
    ),
    "T3-chain5": Setting(
        "T3-chain5", ("P", "K", "N", "I", "Z"), (0.11, 0.10, 0.09, 0.08, 0.06),
        listcov={(j, c): 0.35 for j in ("P", "K", "N", "I", "Z") for c in ("sex", "form")},
        pairs={("P", "K"): 0.6, ("K", "N"): 0.5},
        szero=("I", "form", "sexual"),
        n_range=(3000, 5000),
        description="5 lists, chain P-K-N, every list x sex and list x form effect",
    ),
    # ------------------------------------------------------------------ held-out settings (report only)
    "H1-dutch5": Setting(
        "H1-dutch5", ("P", "K", "N", "I", "Z"), (0.13, 0.09, 0.10, 0.07, 0.05),
        listcov={("P", "sex"): 0.4, ("P", "form"): 0.6, ("P", "year"): 0.25, ("K", "age"): 0.5, ("K", "form"): 0.4,
                 ("N", "sex"): 0.5, ("N", "form"): 0.5, ("I", "year"): 0.3, ("Z", "age"): 0.6},
        pairs={("P", "K"): 0.7, ("N", "Z"): 0.5, ("P", "I"): -0.4},
        szero=("I", "form", "sexual"),
        n_range=(4000, 8000),
        description="5 lists, three pairs (one negative), nine list x covariate effects",
    ),
    "H2-allcov4": Setting(
        "H2-allcov4", ("A", "B", "C", "D"), (0.15, 0.12, 0.10, 0.08),
        listcov={(j, c): _ALL_LC for j in ("A", "B", "C", "D") for c in COVARIATES},
        pairs={("B", "C"): 0.5, ("A", "D"): -0.5},
        szero=("D", "form", "criminal"),
        description="4 lists, two pairs, every list x covariate effect",
    ),
    "H3-threeway5": Setting(
        "H3-threeway5", ("P", "K", "N", "I", "Z"), (0.12, 0.10, 0.09, 0.07, 0.06),
        listcov={("P", "sex"): 0.4, ("K", "form"): 0.5, ("N", "age"): 0.4, ("Z", "year"): 0.3},
        listcovcov={("P", "sex", "form"): 0.3},
        pairs={("P", "K"): 0.6, ("K", "N"): 0.3},
        triples={("P", "K", "N"): 0.4},
        szero=("I", "form", "sexual"),
        description="5 lists, a three-list term and a list x sex x form term (outside the two-factor scope)",
    ),
    "H4-small5": Setting(
        "H4-small5", ("P", "K", "N", "I", "Z"), (0.11, 0.09, 0.08, 0.07, 0.06),
        listcov={("P", "form"): 0.5, ("K", "sex"): 0.4, ("N", "year"): 0.3, ("Z", "form"): 0.4},
        pairs={("P", "N"): 0.6},
        szero=("I", "form", "sexual"),
        n_range=(2500, 3500),
        description="5 lists, small N (sparse strata), one pair",
    ),
    # ------------------------------------------------------------------ plain k-list tables (report only)
    "P1-plain4": Setting(
        "P1-plain4", ("A", "B", "C", "D"), (0.20, 0.15, 0.12, 0.10),
        pairs={("A", "B"): 0.8, ("C", "D"): -0.4},
        n_range=(2000, 5000), plain=True,
        description="plain 4-list table (no covariates), one positive and one negative pair",
    ),
    "P2-triple4": Setting(
        "P2-triple4", ("A", "B", "C", "D"), (0.20, 0.16, 0.14, 0.12),
        pairs={("A", "B"): 0.6, ("B", "C"): 0.4, ("A", "C"): 0.3},
        triples={("A", "B", "C"): 0.5},
        n_range=(2000, 5000), plain=True, max_order=3,
        description="plain 4-list table with a three-list term, estimated with max_order=3",
    ),
}
TUNING = ["T1-pair4", "T2-twopairs5", "T3-chain5"]
HELDOUT = ["H1-dutch5", "H2-allcov4", "H3-threeway5", "H4-small5"]
PLAIN = ["P1-plain4", "P2-triple4"]


# ---------------------------------------------------------------------------- generator
def _strata() -> pd.DataFrame:
    return pd.DataFrame(list(itertools.product(*COVARIATES.values())), columns=list(COVARIATES))


def generate(setting: Setting, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """One population: the aggregated observed capture histories and the true sizes.

    Returns
    -------
    data : DataFrame
        List columns (0/1), the covariates and ``count``; observed persons only.
    truth : dict
        ``("total", "")`` -> N and ``(covariate, level)`` -> N of that subgroup.
    """
    st = _strata()
    s = len(st)
    # stratum composition: sexual exploitation mostly women, criminal mostly men, few minors, growth over years
    logpi = np.zeros(s)
    logpi += np.where(st["form"] == "sexual", 0.6, np.where(st["form"] == "labour", 0.0, -0.5))
    logpi += np.where((st["form"] == "sexual") & (st["sex"] == "M"), -1.6, 0.0)
    logpi += np.where((st["form"] == "criminal") & (st["sex"] == "M"), 0.7, 0.0)
    logpi += np.where(st["age"] == "minor", -1.2, 0.0)
    logpi += 0.08 * st["year"].astype(int).sub(2019).to_numpy()
    logpi += rng.normal(0, 0.1, s)
    pi = np.exp(logpi - logpi.max())
    pi /= pi.sum()
    n_total = int(rng.integers(setting.n_range[0], setting.n_range[1] + 1))
    ns = rng.multinomial(n_total, pi)

    k = len(setting.lists)
    theta = np.tile(np.log(np.array(setting.p) / (1 - np.array(setting.p))), (s, 1))
    for (lst, cov), sd in setting.listcov.items():
        j = setting.lists.index(lst)
        eff = rng.normal(0, sd, len(COVARIATES[cov]))
        eff -= eff[0]
        theta[:, j] += eff[st[cov].map({v: i for i, v in enumerate(COVARIATES[cov])}).to_numpy()]
    for (lst, c1, c2), sd in setting.listcovcov.items():
        j = setting.lists.index(lst)
        eff = rng.normal(0, sd, (len(COVARIATES[c1]), len(COVARIATES[c2])))
        eff[0, :] = 0
        eff[:, 0] = 0
        i1 = st[c1].map({v: i for i, v in enumerate(COVARIATES[c1])}).to_numpy()
        i2 = st[c2].map({v: i for i, v in enumerate(COVARIATES[c2])}).to_numpy()
        theta[:, j] += eff[i1, i2]
    if setting.szero is not None:
        lst, cov, lev = setting.szero
        theta[(st[cov] == lev).to_numpy(), setting.lists.index(lst)] = -np.inf
    patterns = np.array(list(itertools.product([0, 1], repeat=k)), dtype=float)  # (2^k, k)
    lin = np.zeros(len(patterns))
    for (a, b), g in setting.pairs.items():
        ia, ib = setting.lists.index(a), setting.lists.index(b)
        lin += (g + rng.normal(0, 0.1)) * patterns[:, ia] * patterns[:, ib]
    for (a, b, c), g in setting.triples.items():
        ia, ib, ic = (setting.lists.index(x) for x in (a, b, c))
        lin += (g + rng.normal(0, 0.1)) * patterns[:, ia] * patterns[:, ib] * patterns[:, ic]
    with np.errstate(invalid="ignore"):
        logp = np.where(patterns[None, :, :] == 1, theta[:, None, :], 0.0).sum(axis=2) + lin[None, :]
    logp = np.nan_to_num(logp, nan=-np.inf)
    prob = np.exp(logp - logp.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    counts = np.vstack([rng.multinomial(ns[i], prob[i]) for i in range(s)])  # (s, 2^k)

    rows = []
    for i in range(s):
        for h in range(1, len(patterns)):
            if counts[i, h]:
                rows.append((*patterns[h].astype(int), *st.iloc[i], int(counts[i, h])))
    data = pd.DataFrame(rows, columns=[*setting.lists, *COVARIATES, "count"])
    truth = {("total", ""): float(n_total)}
    for cov, levels in COVARIATES.items():
        for lev in levels:
            truth[(cov, lev)] = float(ns[(st[cov] == lev).to_numpy()].sum())
    return data, truth


# ---------------------------------------------------------------------------- methods
def _estimate_kwargs(setting: Setting) -> dict:
    kw = {
        "lists": list(setting.lists),
        "covariates": [] if setting.plain else list(COVARIATES),
        "structural_zeros": None if setting.szero is None else [setting.szero],
        "progress": False,
        "n_jobs": 1,
    }
    if setting.max_order is not None:
        kw["max_order"] = setting.max_order
    return kw


# name -> keyword arguments of darkfigure.estimation (besides data, lists, covariates, seed)
METHODS: dict[str, dict] = {
    "default": {},  # search="auto" (stratified with covariates), ci="averaged" (AIC weights, search repeated)
    # the default with the re-selection started from the search's own start (no list interaction) instead of
    # the replicate's component model (pipeline.interval._AVERAGING, set in the worker for this method only)
    "default-from-start": {"_averaging": {"reselect_from": "lower"}},
    "default-no-reselect": {"_averaging": {"reselect": False}},
    # replicates drawn from the chosen (heaviest) model only, the search repeated from its start
    "default-best-from-start": {"_averaging": {"draw": "best", "reselect_from": "lower"}},
    # replicates drawn from the smallest-BIC candidate, the AIC search repeated (narrower on T1/T3; not validated)
    "default-bic-draw": {"_averaging": {"draw": "bic"}},
    "cruyff-bic-param": {"search": "cruyff", "criterion": "bic", "ci": "parametric", "conditional": True},
    "cruyff-bic-profile": {"search": "cruyff", "criterion": "bic", "ci": "profile", "conditional": True},
    "cruyff-aic-param": {"search": "cruyff", "criterion": "aic", "ci": "parametric", "conditional": True},
    "pvalue-param": {"search": "pvalue", "ci": "parametric", "conditional": True},
    "pvalue-pairs-param": {"search": "pvalue-pairs", "ci": "parametric", "conditional": True},
    "cruyff-aic-averaged": {"search": "cruyff", "criterion": "bic", "ci": "averaged", "average_criterion": "aic"},
    "stratified-bic-averaged": {"search": "stratified", "criterion": "bic", "ci": "averaged", "average_criterion": "bic"},
    "stratified-aic-averaged": {"search": "stratified", "criterion": "aic", "ci": "averaged", "average_criterion": "aic"},
    "stratified-bic-param": {"search": "stratified", "criterion": "bic", "ci": "parametric", "conditional": True},
    # the generating model's two-factor terms (plus every covariate x covariate term), fixed: what a
    # perfect search would give (not available in practice; a yardstick)
    "oracle-param": {"ci": "parametric", "oracle": True},
}


def oracle_terms(setting: Setting) -> list[str]:
    """The two-factor terms of the generating model and every covariate pair."""
    terms = [f"{a}:{b}" for a, b in setting.pairs] + [f"{a}:{b}" for a, b, c in setting.triples]
    terms += [f"{a}:{b}:{c}" for a, b, c in setting.triples]
    terms += [f"{j}:{c}" for j, c in setting.listcov] + [f"{j}:{a}:{b}" for j, a, b in setting.listcovcov]
    terms += [f"{a}:{b}" for a, b in itertools.combinations(COVARIATES, 2)]
    return terms


def _run_one(args) -> list[dict]:
    setting_name, pop, seed, methods, reps = args
    from darkfigure.estimation import estimate

    setting = SETTINGS[setting_name]
    rng = np.random.default_rng([seed, pop, zlib_hash(setting_name)])
    data, truth = generate(setting, rng)
    if setting.plain:  # no list x covariate effect: the summed table has the same capture model
        data = data.groupby(list(setting.lists), as_index=False)["count"].sum()
        truth = {("total", ""): truth[("total", "")]}
    n_obs = float(data["count"].sum())
    out = []
    for m in methods:
        kw = dict(METHODS[m])
        kw.pop("conditional", None)
        from darkfigure.pipeline import interval

        saved = dict(interval._AVERAGING)
        interval._AVERAGING.update(kw.pop("_averaging", {}))
        if kw.pop("oracle", False):
            kw["model"] = oracle_terms(setting)
        t0 = time.perf_counter()
        try:
            e = estimate(data, seed=seed * 1000 + pop, reps=reps, **_estimate_kwargs(setting), **kw)
            err = None
        except Exception as ex:  # noqa: BLE001 - a failure is a result of the study
            e, err = None, f"{type(ex).__name__}: {ex}"
        finally:
            interval._AVERAGING.clear()
            interval._AVERAGING.update(saved)
        sec = time.perf_counter() - t0
        est = None if e is None else e.estimates
        for (cov, lev), n_true in truth.items():
            if est is None:
                nhat = lo = hi = np.nan
            else:
                row = est[(est["group"] == cov) & (est["level"] == lev)]
                if row.empty:
                    nhat = lo = hi = np.nan
                else:
                    nhat, lo, hi = (float(row.iloc[0][c]) for c in ("nhat", "lower", "upper"))
            out.append({
                "setting": setting_name, "population": pop, "method": m, "group": cov, "level": lev,
                "truth": n_true, "nhat": nhat, "lower": lo, "upper": hi, "seconds": sec, "n_obs": n_obs,
                "error": err, "conditional": None if e is None else e.settings.get("conditional_interval"),
            })
    return out


def zlib_hash(s: str) -> int:
    """A stable integer from a string (Python's hash() is salted per process)."""
    import zlib

    return zlib.crc32(s.encode())


def summarise(res: pd.DataFrame) -> pd.DataFrame:
    """Coverage, bias, width and time per setting and method."""
    res = res.copy()
    res["covered"] = (res["lower"] <= res["truth"]) & (res["truth"] <= res["upper"])
    res["relbias"] = res["nhat"] / res["truth"] - 1
    res["relwidth"] = (res["upper"] - res["lower"]) / res["truth"]
    rows = []
    for (s, m), d in res.groupby(["setting", "method"], sort=False):
        tot = d[d["group"] == "total"]
        sub = d[d["group"] != "total"]
        subcov = sub.groupby(["group", "level"])["covered"].mean()
        subbias = sub.groupby(["group", "level"])["relbias"].mean()
        worst = subcov.idxmin() if len(subcov) else ("-", "-")
        rows.append({
            "setting": s, "method": m, "pops": len(tot),
            "n/N": float((tot["n_obs"] / tot["truth"]).mean()),
            "cover": tot["covered"].mean(), "bias%": 100 * tot["relbias"].mean(),
            "sub_cover": subcov.mean(), "sub_worst": f"{subcov.min():.2f} {worst[0]}={worst[1]}",
            "sub_|bias|%": 100 * subbias.abs().mean(),
            "width%": 100 * tot["relwidth"].median(), "sec": tot["seconds"].mean(),
            "failed": int(tot["nhat"].isna().sum()),
        })
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the study and print the table (and optionally save the raw results)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--populations", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first", type=int, default=0, help="index of the first population (to extend a study)")
    ap.add_argument("--settings", default="heldout", help="tuning, heldout, plain, all, or comma-separated names")
    ap.add_argument("--methods", default="default,cruyff-bic-param", help=f"comma-separated among {list(METHODS)}")
    ap.add_argument("--reps", type=int, default=500, help="bootstrap replicates per estimate")
    ap.add_argument("--processes", type=int, default=1, help="worker processes (2 cores are shared: keep 1-2)")
    ap.add_argument("--out", help="save the raw per-population results (CSV)")
    a = ap.parse_args(argv)
    names = {"tuning": TUNING, "heldout": HELDOUT, "plain": PLAIN, "all": TUNING + HELDOUT + PLAIN}.get(
        a.settings, a.settings.split(",")
    )
    methods = a.methods.split(",")
    for n in names:
        if n not in SETTINGS:
            ap.error(f"unknown setting {n!r}; settings are {list(SETTINGS)}")
    for m in methods:
        if m not in METHODS:
            ap.error(f"unknown method {m!r}; methods are {list(METHODS)}")
    # populations interleaved over the settings, so that a study cut short still covers each setting
    tasks = [(s, p, a.seed, methods, a.reps) for p in range(a.first, a.first + a.populations) for s in names]
    t0 = time.perf_counter()
    rows: list[dict] = []
    def _keep(r: list[dict]) -> None:
        rows.extend(r)
        if a.out and len(rows) % (20 * len(r) or 1) == 0:  # save as we go: a long study can be cut short
            pd.DataFrame(rows).to_csv(a.out, index=False)

    if a.processes > 1:
        with get_context("spawn").Pool(a.processes) as pool:
            for r in pool.imap_unordered(_run_one, tasks):
                _keep(r)
    else:
        for t in tasks:
            _keep(_run_one(t))
    res = pd.DataFrame(rows)
    if a.out:
        res.to_csv(a.out, index=False)
    pd.set_option("display.width", 200)
    print(f"{a.populations} populations per setting, seed {a.seed}, {a.reps} bootstrap replicates, "
          f"{time.perf_counter() - t0:.0f} s; nominal level 95% "
          f"(binomial SD at 0.95: {math.sqrt(0.95 * 0.05 / max(a.populations, 1)):.3f})")
    for s in names:
        kind = " (held out)" if s in HELDOUT else " (tuning)" if s in TUNING else " (plain, report only)"
        print(f"  {s}{kind}: {SETTINGS[s].description}")
    print(summarise(res).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
