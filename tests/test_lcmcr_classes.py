"""LCMCR's class draws per capture pattern (:mod:`darkfigure.bayes._lcmcr_classes`): the rejection scheme over
the inactive classes gives the multinomial of the full conditional, and the sampler's posterior of N agrees with
R LCMCR's (``lcmcr.csv``: posterior mean and quantiles) within Monte-Carlo error over several seeds."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from darkfigure.bayes.lcmcr import lcmcr
from darkfigure.datasets import load_r


def _draw_many(nu, tab, bits, c, n_obs, size, seed):
    """`size` draws of the class counts (K,) of one pattern `bits` (J,) with c persons, as the sampler's step 1
    draws them (_active_classes with `n_obs` observed, _pattern_counts_r, the log-scale path on underflow)."""
    from numba import njit

    from darkfigure.bayes import _lcmcr_classes as cl
    from darkfigure.bayes._random import _load, _rng_state, _store

    @njit
    def many(s, nu, tab, bit, c, n_obs, size):
        K = nu.shape[0]
        out = np.zeros((size, K), np.int64)
        act, emp = np.zeros(K, np.int64), np.zeros(K, np.int64)
        cum_e, pa, sxa = np.zeros(K), np.zeros(K + 1), np.zeros(K + 1)
        cnt_a, outk = np.zeros(K, np.int64), np.zeros(K, np.int64)
        na, ne, nu_e = cl._active_classes(nu, n_obs, act, emp, cum_e)
        st = _load(s)
        for i in range(size):
            st, ok, kb, xb, more = cl._pattern_counts_r(st, 0, c, nu, tab, bit, act, na, emp, ne, cum_e, nu_e, pa,
                                                        sxa, cnt_a, outk)
            if not ok:
                raise ValueError("the active classes' probabilities underflowed")
            for k in range(K):
                out[i, k] = outk[k]
                outk[k] = 0
            out[i, kb] += xb
        _store(s, st)
        return out, na

    return many(_rng_state(np.random.SeedSequence(seed)), nu, tab, bits[None, :].astype(np.int64), c, n_obs, size)


def test_pattern_counts_have_the_multinomial_of_the_full_conditional():
    """Class counts of a pattern: means c q and covariances -c q_k q_l (q the normalised
    ``nu_k prod_j P(x_j | k)``) within 5 standard errors, nothing in a class of probability 0, with inactive
    classes (nu below 1e-3 / n) that carry much of q (so that proposals are rejected and redrawn) and without."""
    nu = np.array([0.55, 0.3, 0.1496, 4e-4, 0.0, 1e-9])
    lam = np.array([[0.05, 0.05, 0.2, 0.99, 0.5, 0.95],
                    [0.10, 0.05, 0.3, 0.98, 0.5, 0.97],
                    [0.05, 0.05, 0.1, 0.97, 0.5, 0.99]])
    tab = np.stack([1 - lam, lam], axis=1)  # (J, 2, K)
    bits = np.array([1, 1, 1])
    q = nu * np.prod(lam, axis=0)
    q /= q.sum()
    assert q[3] > 0.2  # the inactive class 3 holds a good part of the mass
    for n_obs, c, want_na in [(1, 7, 3), (1, 60, 3), (10**9, 40, 5)]:
        x, na = _draw_many(nu, tab, bits, c, n_obs, 40_000, seed=c)
        assert na == want_na
        assert (x.sum(axis=1) == c).all() and (x[:, 4] == 0).all()
        se = np.sqrt(c * q * (1 - q) / len(x))
        assert (np.abs(x.mean(axis=0) - c * q) <= 5 * se + 1e-12).all(), (n_obs, c, x.mean(axis=0), c * q)
        c03 = np.cov(x[:, 0], x[:, 3])[0, 1]
        assert c03 == pytest.approx(-c * q[0] * q[3], rel=0.15), (n_obs, c)


def _r_moments(reference, name) -> dict:
    """R LCMCR's posterior mean, sd and quantiles of N for `name` (lcmcr.csv, the reference runs' seeds)."""
    t = pd.read_csv(reference / "lcmcr.csv")
    t = t[(t["dataset"] == name) & ~t["settings"].str.contains("scale benchmark")]
    means = [float(re.search(r"posterior mean=([\d.]+)", s).group(1)) for s in t["model_chosen"]]
    sds = [float(re.search(r"sd=([\d.]+)", s).group(1)) for s in t["model_chosen"]]
    return {"mean": means, "sd": float(np.mean(sds)), "median": t["estimate"].tolist(),
            "lo": t["ci_low"].tolist(), "hi": t["ci_high"].tolist()}


@pytest.mark.slow  # ~20 s: 2 tables x 12 chains of R's length
@pytest.mark.parametrize("name", ["Western", "kosovo_aggregate"])
def test_posterior_of_n_agrees_with_r_within_monte_carlo_error(reference, name):
    """Posterior mean, median and 95% bounds of N from 12 chains (3 seeds x 4 chains, each of R's length: K = 10,
    burn-in 10,000, 1,000 draws thinned by 100) against R's runs: the difference within 4 Monte-Carlo standard
    errors, the error of a single chain's statistic taken from the spread of our 12 chains (R's runs are single
    chains of the same length, so their error is the same, divided by the number of R runs)."""
    r = _r_moments(reference, name)
    h = load_r(name)
    stats = []
    for seed in (1, 2, 3):
        res = lcmcr(h, K=10, burnin=10_000, samples=1000, thinning=100, chains=4, seed=seed)
        for row in res.draws:
            stats.append([row.mean(), *np.quantile(row, [0.5, 0.025, 0.975])])
    stats = np.array(stats)
    ours = stats.mean(axis=0)
    sd_chain = stats.std(axis=0, ddof=1)
    theirs = np.array([np.mean(r["mean"]), np.mean(r["median"]), np.mean(r["lo"]), np.mean(r["hi"])])
    n_r = len(r["mean"])
    se = sd_chain * np.sqrt(1 / len(stats) + 1 / n_r)
    assert (sd_chain > 0).all()  # a real Monte-Carlo spread
    assert (np.abs(ours - theirs) <= 4 * se).all(), (name, ours, theirs, se)


def test_exponential_ziggurat_follows_exp1():
    """The ziggurat's Exp(1) draws (the empty classes' stick-breaking weights): Kolmogorov-Smirnov against Exp(1)
    on 200,000 draws, and the tail beyond the ziggurat's start r = 7.697 (probability 4.5e-4) as often as e^-r."""
    from numba import njit
    from scipy import stats

    from darkfigure.bayes import _random as rnd

    @njit
    def many(s, size):
        out = np.empty(size)
        for i in range(size):
            out[i] = rnd._exponential(s)
        return out

    x = many(rnd._rng_state(np.random.SeedSequence(3)), 200_000)
    assert stats.kstest(x, "expon").pvalue > 1e-4
    tail = np.mean(x > rnd._ZIGE_R)
    p = np.exp(-rnd._ZIGE_R)
    assert abs(tail - p) <= 5 * np.sqrt(p / len(x))
    assert x.min() >= 0.0
