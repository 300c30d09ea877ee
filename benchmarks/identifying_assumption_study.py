"""Study: does the identifying-assumption range (darkfigure.sensitivity) contain the true N?

Populations are drawn by a generator written for this script alone (it does not use
``darkfigure.sensitivity.simulate_kway`` nor ``darkfigure.simulate``). Per population:
k lists (3, 4 or 5), 1 or 2 strata (a covariate), 1,000-4,000 persons per stratum.

Settings
--------
* ``kway-inner``: capture histories from the log-linear distribution
  ``log p_h = sum_j h_j logit(p_j) + sum_{j<l} g_jl h_j h_l + (-1)^k log(psi) h_1...h_k``,
  p_j ~ U(0.1, 0.4), g_jl ~ N(0, 0.4^2) per stratum, one psi per population drawn
  log-uniformly in [1/1.5, 1.5] (a violation inside the default range 1/2-2).
* ``kway-full``: the same, psi log-uniform in [1/2, 2] (up to the ends of the range).
* ``none``: the same with psi = 1 (the assumption holds).
* ``latent-classes`` (held out: psi is not set, it is whatever heterogeneity implies): two
  latent classes (share U(0.2, 0.5) of "visible" persons with p_j ~ U(0.3, 0.6), the others
  p_j ~ U(0.03, 0.15)), independent lists within a class. The true psi of the population's
  expected table is computed exactly and reported.

Each population is estimated by ``darkfigure.estimate(..., ci="none")`` with its default
search and the default range (1/2, 2). Printed per setting: populations, share whose true psi
lies in [1/2, 2], coverage of the point range [N̂(1/2), N̂(2)], of Sun et al.'s 95% bounds,
and of the chosen model's usual 95% profile interval (psi = 1), the median ratio
N̂(2)/N̂(1/2), and seconds per population.

Run (2 shared cores: nice)::

    nice -n 10 python benchmarks/identifying_assumption_study.py --populations 200 --seed 1
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
import pandas as pd

from darkfigure.estimation import estimate
from darkfigure.loglinear.profile import profile_interval


def _patterns(k: int) -> np.ndarray:
    return np.array([[(i >> j) & 1 for j in range(k)] for i in range(2**k)], dtype=float)


def _kway(logm: np.ndarray, pats: np.ndarray) -> float:
    """(-1)^k times the k-way contrast sum_h (-1)^(k-|h|) log m_h: log psi."""
    k = pats.shape[1]
    sizes = pats.sum(axis=1)
    return float(((-1) ** k) * np.sum(((-1.0) ** (k - sizes)) * logm))


def _loglinear_probs(rng, k, psi):
    pats = _patterns(k)
    a = np.log((p := rng.uniform(0.1, 0.4, k)) / (1 - p))
    eta = pats @ a
    for j in range(k):
        for m in range(j + 1, k):
            eta += rng.normal(0, 0.4) * pats[:, j] * pats[:, m]
    eta += ((-1) ** k) * math.log(psi) * np.prod(pats, axis=1)
    pr = np.exp(eta - eta.max())
    return pr / pr.sum()


def _latent_probs(rng, k):
    pats = _patterns(k)
    share = rng.uniform(0.2, 0.5)
    out = np.zeros(2**k)
    for w, lo, hi in ((share, 0.3, 0.6), (1 - share, 0.03, 0.15)):
        p = rng.uniform(lo, hi, k)
        out += w * np.prod(np.where(pats == 1, p, 1 - p), axis=1)
    return out


def population(rng, setting: str):
    """(aggregated table, true N, true log psi averaged over strata)."""
    k = int(rng.choice([3, 4, 5]))
    strata = int(rng.choice([1, 2]))
    psi = {"kway-inner": lambda: math.exp(rng.uniform(-math.log(1.5), math.log(1.5))),
           "kway-full": lambda: math.exp(rng.uniform(-math.log(2), math.log(2))),
           "none": lambda: 1.0, "latent-classes": lambda: float("nan")}[setting]()
    pats = _patterns(k)
    rows, n_true, logpsi = [], 0, []
    for s in range(strata):
        pr = _latent_probs(rng, k) if setting == "latent-classes" else _loglinear_probs(rng, k, psi)
        logpsi.append(_kway(np.log(pr), pats))
        n = int(rng.integers(1000, 4001))
        n_true += n
        c = rng.multinomial(n, pr)
        for i in range(1, 2**k):
            if c[i]:
                r = {f"list{j + 1}": int(pats[i, j]) for j in range(k)}
                if strata > 1:
                    r["group"] = f"g{s}"
                r["count"] = int(c[i])
                rows.append(r)
    return pd.DataFrame(rows), n_true, float(np.mean(logpsi))


def run(setting: str, n_pop: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    rec = []
    t0 = time.perf_counter()
    for _ in range(n_pop):
        df, n_true, logpsi = population(rng, setting)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = estimate(df, ci="none")
        ia = res.identifying
        if ia is None or ia.bounds.get("confidence") is None:
            rec.append(dict(ok=False))
            continue
        lo, hi = ia.bounds["confidence"]
        try:
            pr = profile_interval(res.fit)
            usual = pr.low <= n_true <= pr.high
        except (ValueError, RuntimeError):
            usual = np.nan
        rec.append(dict(ok=True, in_psi=abs(logpsi) <= math.log(2) + 1e-12, point=ia.low <= n_true <= ia.high,
                        bounds=lo <= n_true <= hi, usual=usual, ratio=ia.high / ia.low))
    d = pd.DataFrame(rec)
    ok = d[d["ok"]]
    return {
        "setting": setting, "populations": n_pop, "failed": int((~d["ok"]).sum()),
        "true psi in [1/2,2]": ok["in_psi"].mean(), "point range covers": ok["point"].mean(),
        "95% bounds cover": ok["bounds"].mean(), "usual 95% profile covers": ok["usual"].mean(),
        "median high/low": ok["ratio"].median(), "s/pop": (time.perf_counter() - t0) / n_pop,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--populations", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--settings", default="kway-inner,kway-full,none,latent-classes")
    a = ap.parse_args()
    out = [run(s, a.populations, a.seed + i) for i, s in enumerate(a.settings.split(","))]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        print(pd.DataFrame(out).to_string(index=False))
    print(f"binomial SD of a coverage of 0.95 over {a.populations} populations: "
          f"{math.sqrt(0.95 * 0.05 / a.populations):.3f}")


if __name__ == "__main__":
    main()
