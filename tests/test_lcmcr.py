"""LCMCR: latent-class Gibbs sampler (Manrique-Vallier 2016) against R LCMCR 0.4.14 (``lcmcr.csv``).

The R figures are one chain of 110,000 iterations per seed (K = 10, a = b = 0.25, burn-in 10,000,
thinning 100, 1,000 draws); ours pool 4 chains of the same length. Where R gives two seeds the
reference is their mean.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln

from darkfigure.bayes.lcmcr import LCMCRResult, ess_bulk, lcmcr, rhat
from darkfigure.datasets import load, load_r
from darkfigure.histories import CaptureHistories

REF_SETTINGS = dict(K=10, a_alpha=0.25, b_alpha=0.25, burnin=10000, samples=1000, thinning=100, chains=4)
SHORT = dict(burnin=500, samples=200, thinning=5, chains=2)


def _ref(reference) -> pd.DataFrame:
    t = pd.read_csv(reference / "lcmcr.csv")
    t = t[~t["settings"].str.contains("scale benchmark")]
    return t.groupby("dataset")[["estimate", "ci_low", "ci_high"]].agg(["mean", "min", "max"])


def _table(patterns, counts, lists=None) -> CaptureHistories:
    patterns = np.asarray(patterns)
    lists = lists or [f"L{j + 1}" for j in range(patterns.shape[1])]
    df = pd.DataFrame(patterns, columns=lists)
    df["count"] = counts
    return CaptureHistories.from_table(df)


def _simulate_two_classes(N: int, rng: np.random.Generator) -> CaptureHistories:
    """N persons in 2 latent classes, 5 lists independent within class: 70% hard to register
    (list probabilities 0.15-0.30), 30% easy (0.5-0.7). The heterogeneity shows in the overlaps, so
    the data can identify it (with 4 lists of low probability it would be invisible, and every
    estimator, the true model included, would miss the truth)."""
    lam = np.array([[0.20, 0.25, 0.30, 0.20, 0.15], [0.60, 0.70, 0.50, 0.60, 0.65]])
    z = (rng.random(N) < 0.3).astype(int)
    x = (rng.random((N, 5)) < lam[z]).astype(np.int8)
    x = x[x.sum(axis=1) > 0]
    pats, counts = np.unique(x, axis=0, return_counts=True)
    return _table(pats, counts)


# ---------------------------------------------------------------------------- result and settings
def test_result_shapes_settings_and_reproducibility():
    h = load_r("Western")
    r = lcmcr(h, seed=7, **SHORT)
    assert isinstance(r, LCMCRResult)
    assert r.draws.shape == (2, 200) and r.draws.dtype == np.int64
    assert r.alpha_draws.shape == (2, 200) and r.occupied_draws.shape == (2, 200)
    assert (r.draws >= h.n_observed).all() and r.n_observed == h.n_observed == 345
    assert ((r.occupied_draws >= 1) & (r.occupied_draws <= 10)).all() and (r.alpha_draws > 0).all()
    assert r.ci_low <= r.median <= r.ci_high and r.interval == (r.lower, r.upper) == (r.ci_low, r.ci_high)
    assert r.median == np.median(r.draws) and r.mean == pytest.approx(r.draws.mean())
    assert r.ci_low == np.quantile(r.draws, 0.025) and r.chain_medians.shape == (2,)
    assert r.settings["K"] == 10 and r.settings["warmup"] == 500 and r.settings["seed"] == 7
    assert r.settings["n_max_factor"] is None and r.lists == h.lists
    assert r.iterations_per_second > 0 and r.seconds > 0
    # same seed -> same draws, whatever the number of threads; another seed -> other draws
    again = lcmcr(h, seed=7, n_jobs=1, **SHORT)
    np.testing.assert_array_equal(again.draws, r.draws)
    np.testing.assert_array_equal(lcmcr(h, seed=r.settings["seed"], **SHORT).draws, r.draws)
    assert not np.array_equal(lcmcr(h, seed=8, **SHORT).draws, r.draws)
    # a SeedSequence gives the same chains on every call
    ss = np.random.SeedSequence(7)
    np.testing.assert_array_equal(lcmcr(h, seed=ss, **SHORT).draws, r.draws)
    np.testing.assert_array_equal(lcmcr(h, seed=ss, **SHORT).draws, r.draws)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.median = 0.0
    row = r.summary()
    assert row["method"] == "lcmcr" and row["nhat"] == r.median and row["lower"] == r.ci_low


def test_bad_inputs_name_the_argument():
    h = load_r("Western")
    with pytest.raises(TypeError, match="CaptureHistories"):
        lcmcr(h.table)
    for kwargs, word in [
        (dict(K=0), "K"),
        (dict(K=2.5), "K"),
        (dict(samples=3), "samples"),
        (dict(thinning=0), "thinning"),
        (dict(chains=0), "chains"),
        (dict(burnin=-1), "burnin"),
        (dict(a_alpha=0), "a_alpha"),
        (dict(b_alpha=float("nan")), "b_alpha"),
        (dict(level=1.0), "level"),
        (dict(n_jobs=0), "n_jobs"),
        (dict(n_max_factor=1.0), "n_max_factor"),
    ]:
        with pytest.raises(ValueError, match=word):
            lcmcr(h, **kwargs)


def test_covariates_are_summed_with_a_warning():
    h = load("spina_bifida_ny")
    assert h.covariates
    r = lcmcr(h, seed=1, **SHORT)
    assert r.n_observed == h.n_observed
    assert any("covariates" in w and "summed" in w for w in r.warnings)


def test_short_run_warns_about_ess():
    r = lcmcr(load_r("Western"), burnin=100, samples=20, thinning=1, chains=2, seed=3)
    assert r.ess < 400 and not r.converged
    assert any("ESS" in w for w in r.warnings)


# ---------------------------------------------------------------------------- correctness
def test_one_class_equals_the_exact_posterior_of_mt():
    """K = 1 is model Mt with Beta(1, 1) priors and p(N) ∝ 1/N, whose posterior is known exactly:
    p(N | x) ∝ N^-1 N! / (N - n)! prod_j B(n_j + 1, N - n_j + 1). This checks the list-probability,
    n0 (negative binomial) and class-count steps of the sampler."""
    for name, tol in [("HIV", 0.02), ("Western", 0.03)]:
        h = load_r(name)
        n, nj = h.n_observed, h.list_sizes().to_numpy()
        N = np.arange(n, 40 * n)
        lp = -np.log(N) + gammaln(N + 1) - gammaln(N - n + 1) + sum(gammaln(N - a + 1) - gammaln(N + 2) for a in nj)
        p = np.exp(lp - lp.max())
        cdf = np.cumsum(p / p.sum())
        exact = [N[np.searchsorted(cdf, q)] for q in (0.025, 0.5, 0.975)]
        r = lcmcr(h, K=1, burnin=1000, samples=2000, thinning=5, chains=4, seed=2)
        assert r.rhat < 1.01 and r.ess > 800
        ours = [r.ci_low, r.median, r.ci_high]
        np.testing.assert_allclose(ours, exact, rtol=tol, err_msg=name)
        assert (r.occupied_draws == 1).all()


def test_known_truth_two_latent_classes_is_covered():
    """A population of 4,000 in two latent classes with independent lists within class."""
    h = _simulate_two_classes(4000, np.random.default_rng(2016))
    r = lcmcr(h, burnin=2000, samples=500, thinning=20, chains=2, seed=1)
    assert r.ci_low <= 4000 <= r.ci_high
    assert abs(r.median / 4000 - 1) < 0.05
    # the independence model (one class) misses the hard-to-register class
    one = lcmcr(h, K=1, burnin=2000, samples=500, thinning=20, chains=2, seed=1)
    assert one.ci_high < 4000


def test_no_cap_on_n():
    """Two lists of 100 sharing one person (Lincoln-Petersen about 10,000 = 50 x observed): the
    posterior must reach far beyond R LCMCR's 21 x observed, unless that cap is asked for."""
    h = _table([[1, 0], [0, 1], [1, 1]], [99, 99, 1])
    r = lcmcr(h, K=2, burnin=2000, samples=1000, thinning=5, chains=2, seed=4)
    assert r.draws.max() > 21 * h.n_observed
    assert r.settings["n_max_factor"] is None and not any("truncated" in w for w in r.warnings)
    capped = lcmcr(h, K=2, burnin=2000, samples=1000, thinning=5, chains=2, seed=4, n_max_factor=21)
    assert capped.draws.max() <= 21 * h.n_observed
    assert any("truncated at 21 x observed" in w for w in capped.warnings)


@pytest.mark.slow  # > 10 s: make test-slow
def test_iteration_cost_does_not_depend_on_n():
    """The unobserved are handled through counts per class, the observed through counts per pattern:
    multiplying every count by 1,000 (N by 1,000) must not slow an iteration down much."""
    h = load_r("kosovo_aggregate")
    big = h.table.copy()
    big["count"] *= 1000
    hb = CaptureHistories.from_table(big)
    settings = dict(burnin=20000, samples=10, thinning=100, chains=1, seed=5)
    small_t, big_t = [], []
    for _ in range(3):  # interleaved, best of 3: the machine is shared
        for hist, times in ((h, small_t), (hb, big_t)):
            t0 = time.perf_counter()
            lcmcr(hist, **settings)
            times.append(time.perf_counter() - t0)
    small_t, big_t = min(small_t), min(big_t)
    # bounded by (patterns x classes) binomial draws, whatever N is
    assert big_t < 3.0 * small_t, (small_t, big_t)


# ---------------------------------------------------------------------------- diagnostics
def test_rhat_and_ess_follow_vehtari_and_equal_arviz():
    az = pytest.importorskip("arviz")
    rng = np.random.default_rng(0)
    for shape in [(4, 1000), (2, 7), (3, 501)]:
        x = np.cumsum(rng.normal(size=shape), axis=1) * 0.1 + rng.normal(size=shape)
        x = np.round(x * 3)  # ties, as in integer draws of N
        assert rhat(x) == pytest.approx(float(az.rhat(x, method="rank")), rel=1e-12)
        assert ess_bulk(x) == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-12)


def test_rhat_flags_chains_that_disagree():
    rng = np.random.default_rng(1)
    good = rng.normal(size=(4, 1000))
    bad = good + np.array([0, 0, 0, 1.0])[:, None]
    assert rhat(good) < 1.01 and ess_bulk(good) > 3000
    assert rhat(bad) > 1.05
    assert np.isnan(rhat(np.ones((2, 10)))) and ess_bulk(np.ones((2, 10))) == 20
    with pytest.raises(ValueError, match="4 draws"):
        rhat(np.ones((2, 3)))


# ---------------------------------------------------------------------------- reference (R LCMCR)
def test_western_matches_r(reference):
    ref = _ref(reference).loc["Western"]
    r = lcmcr(load_r("Western"), seed=2024, **REF_SETTINGS)
    assert r.median == pytest.approx(ref[("estimate", "mean")], rel=0.03)
    assert r.ci_low == pytest.approx(ref[("ci_low", "mean")], rel=0.08)
    assert r.ci_high == pytest.approx(ref[("ci_high", "mean")], rel=0.08)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, samples",
    [
        ("kosovo_aggregate", 1000),
        ("HIV", 4000),  # rare sticky excursions to N ~ 12k: at 1,000 draws a chain that meets one moves the upper bound ~10%
        ("lesbian", 1000),
        ("dga_example_3list", 1000),
        ("dga_example_5list", 1000),
        ("spina_collapsed", 1000),
        ("NewOrl", 1000),
        ("NewOrl_5", 1000),
        ("Artificial_3", 1000),
    ],
)
def test_matches_r_reference(reference, name, samples):
    ref = _ref(reference).loc[name]
    r = lcmcr(load_r(name), seed=2024, **{**REF_SETTINGS, "samples": samples})
    assert r.median == pytest.approx(ref[("estimate", "mean")], rel=0.03)
    assert r.ci_low == pytest.approx(ref[("ci_low", "mean")], rel=0.08)
    # HIV's upper bound: with its sticky excursions (bulk ESS 30-130 in 16,000 draws at seeds 2024 and 7)
    # it moved by +11% and +8% against R's one chain; pooled over 5 seeds x 4 chains the old (NumPy
    # PCG64) and new (xoshiro256++) samplers gave 14,305 and 13,852 (R: 13,148); the register-state
    # sampler's seed 2024 gives 14,913 (+13%).
    # Artificial_3 (n = 96): our upper bound sits ~5% above R's two seeds (799, 786) with either sampler:
    # 8 seeds x 4 chains gave 832.5 (sd 19 between seeds) before and 829.8 (sd 7) after the register-state
    # change, so a single seed can land 8% above R's mean.
    tol = {"HIV": 0.15, "Artificial_3": 0.10}.get(name, 0.08)
    assert r.ci_high == pytest.approx(ref[("ci_high", "mean")], rel=tol)


@pytest.mark.slow
def test_uk_within_the_spread_of_r_seeds(reference):
    """UK: R's seeds give medians 19,742 and 23,024. We run 4 chains 4x as long as R's and
    compare against the span of R's two runs; R-hat and the chain medians show our own spread."""
    ref = _ref(reference).loc["UKdat"]
    r = lcmcr(load_r("UKdat"), seed=2024, **{**REF_SETTINGS, "samples": 4000})
    assert ref[("estimate", "min")] * 0.97 <= r.median <= ref[("estimate", "max")] * 1.03
    assert ref[("ci_low", "min")] * 0.92 <= r.ci_low <= ref[("ci_low", "max")] * 1.08
    assert ref[("ci_high", "min")] * 0.92 <= r.ci_high <= ref[("ci_high", "max")] * 1.08
    assert np.isfinite(r.rhat) and r.chain_medians.shape == (4,)
    assert (r.rhat > 1.01) == any("R-hat" in w for w in r.warnings)


@pytest.mark.slow
def test_netherlands_multimodal_and_r_truncation(reference):
    """Netherlands: R's one chain (seed 123) gives 142,450 [104,520, 170,601], its upper bound
    pressed against R's cap of 21 x 8,234 = 172,914. The posterior has (at least) a mode near
    50,000 (where Ned_5 sits) and one near 140,000; chains stay in one for long stretches.
    Without a cap the chains must reach beyond 21 x observed; R-hat must flag the disagreement.
    Eight chains, so that at least one visits the upper mode (with 4, seed 2024 of the register-state
    sampler kept all four near 50,000; with 8 two reach the upper mode)."""
    h = load_r("Ned")
    r = lcmcr(h, seed=2024, **{**REF_SETTINGS, "chains": 8})
    assert r.draws.max() > 21 * h.n_observed
    spread = r.chain_medians.max() / r.chain_medians.min()
    if spread > 1.2:  # chains in both modes: warned, and no estimate (R-hat > 1.1: not converged; tester 15b, M3)
        assert r.rhat > 1.01 and any("R-hat" in w for w in r.warnings)
        assert r.not_converged is not None and r.to_publish()["statement"].startswith("Do not publish")
    capped = lcmcr(h, seed=2024, n_max_factor=21, **{**REF_SETTINGS, "chains": 8})
    assert capped.draws.max() <= 21 * h.n_observed
    # the chains in the upper mode reproduce R's seed-123 chain
    top = capped.draws[np.argmax(capped.chain_medians)]
    assert np.median(top) == pytest.approx(142450, rel=0.10)


@pytest.mark.slow
def test_known_truth_coverage_over_100_replicates():
    """The 95% interval covers the true N in at least 90 of 100 simulated two-class populations."""
    rng = np.random.default_rng(12)
    covered = 0
    for i in range(100):
        h = _simulate_two_classes(2000, rng)
        r = lcmcr(h, burnin=2000, samples=500, thinning=10, chains=2, seed=i)
        covered += r.ci_low <= 2000 <= r.ci_high
    assert covered >= 90, covered


# ---------------------------------------------------------------------------- the sampler's random numbers
def _draws(fn, *args, size=200_000, seed=0):
    """`size` draws of the compiled generator ``fn(state, *args)`` (0, 1 or 2 arguments) from one seeded
    xoshiro256++ state."""
    from numba import njit

    from darkfigure.bayes import lcmcr as mod

    if len(args) == 0:
        def one(s, a, b):
            return fn(s)
    elif len(args) == 1:
        def one(s, a, b):
            return fn(s, a)
    else:
        def one(s, a, b):
            return fn(s, a, b)
    one = njit(one)

    @njit
    def many(s, size, a, b):
        out = np.empty(size)
        for i in range(size):
            out[i] = one(s, a, b)
        return out

    a, b = (list(args) + [0, 0])[:2]
    return many(mod._rng_state(np.random.SeedSequence(seed)), size, a, b)


def _chi2_p(x, pmf):
    from scipy import stats

    x = x.astype(np.int64)
    obs = np.bincount(x, minlength=len(pmf))[: len(pmf)]
    exp = pmf * len(x)
    keep = exp > 5
    return stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum()).pvalue


def test_random_numbers_follow_their_distributions():
    """Binomial (inversion and BTRS), Poisson (multiplication and PTRS), gamma (Marsaglia-Tsang and the
    shape < 1 boost), normal (ziggurat) and beta draws against their exact distributions: chi-square or
    Kolmogorov-Smirnov p-values above 1e-4 (a fixed seed; a wrong algorithm gives ~0, see the history of
    this test: a mis-transcribed BTRS had p < 1e-100)."""
    from scipy import stats

    from darkfigure.bayes import lcmcr as mod

    for n, p in [(30, 0.2), (17, 0.9), (40, 0.5), (1000, 0.3), (300, 0.7), (5000, 0.002), (400, 0.02)]:
        x = _draws(mod._binomial, n, p)
        assert _chi2_p(x, stats.binom.pmf(np.arange(n + 1), n, p)) > 1e-4, (n, p)
    for lam in [3.0, 15.0, 1e5]:
        x = _draws(mod._poisson, lam)
        assert _chi2_p(x, stats.poisson.pmf(np.arange(int(lam + 20 * lam**0.5 + 20)), lam)) > 1e-4, lam
    for a in [0.3, 1.0, 2.5, 1000.0]:
        assert stats.kstest(_draws(mod._gamma, a), stats.gamma(a).cdf).pvalue > 1e-4, a
    for m in [1, 7, 5000]:
        assert stats.kstest(_draws(mod._gamma_int, m), stats.gamma(m).cdf).pvalue > 1e-4, m
    z = _draws(mod._normal, size=1_000_000)
    assert stats.kstest(z, "norm").pvalue > 1e-4
    # the ziggurat's tail beyond r = 3.654 (base strip): its share matches the normal's
    assert np.mean(np.abs(z) > 3.6541528853610088) == pytest.approx(2 * stats.norm.sf(3.6541528853610088), rel=0.1)

    from numba import njit

    @njit
    def betas(s, a, b, size):
        x = np.empty(size)
        y = np.empty(size)
        for i in range(size):
            x[i], y[i] = mod._beta_pair(s, a, b)
        return x, y

    for a, b in [(0, 0), (0, 5), (5, 0), (3, 40), (0, 100_000)]:
        x, y = betas(mod._rng_state(np.random.SeedSequence(1)), a, b, 100_000)
        assert stats.kstest(x, stats.beta(1 + a, 1 + b).cdf).pvalue > 1e-4, (a, b)
        np.testing.assert_allclose(x + y, 1.0, atol=1e-15)


def test_multinomial_counts_have_the_multinomial_moments():
    """The class counts of a pattern as the sampler draws them (most probable class first; categorical draws for
    the last 16 persons, binomials before): means n p and covariances -n p_k p_l within 5 standard errors."""
    from numba import njit

    from darkfigure.bayes import _lcmcr_sampler as mod

    @njit
    def many(s, n, p, size):
        K = p.shape[0]
        out = np.zeros((size, K), np.int64)
        order, suffix, o = np.argsort(-p), np.empty(K + 1), np.empty(K, np.int64)
        for i in range(size):
            mod._multinomial_ordered(s, n, p, order, suffix, o)
            out[i] = o
        return out

    p = np.array([0.5, 0.01, 0.2, 0.0, 0.29])
    for n in [5, 16, 17, 60, 1000]:
        x = many(mod._rng_state(np.random.SeedSequence(n)), n, p, 50_000)
        assert (x.sum(axis=1) == n).all() and (x[:, 3] == 0).all()
        se = np.sqrt(n * p * (1 - p) / len(x))
        assert (np.abs(x.mean(axis=0) - n * p) <= 5 * se + 1e-12).all(), n
        c02 = np.cov(x[:, 0], x[:, 2])[0, 1]
        assert c02 == pytest.approx(-n * p[0] * p[2], rel=0.1), n


def test_ordered_multinomial_has_the_multinomial_moments_in_any_class_order():
    """The sampler's class counts (binomials in a given class order, categorical draws by suffix sums for
    the last 16 persons): means n p and covariances -n p_k p_l within 5 standard errors, whichever order the
    classes are visited in (the largest first, a class with p = 0 first, reversed), and never a count in a
    class with p = 0."""
    from numba import njit

    from darkfigure.bayes import _lcmcr_sampler as smp
    from darkfigure.bayes._random import _rng_state

    @njit
    def many(s, n, p, order, size):
        K = p.shape[0]
        out = np.zeros((size, K), np.int64)
        suffix, o = np.empty(K + 1), np.empty(K, np.int64)
        for i in range(size):
            smp._multinomial_ordered(s, n, p, order, suffix, o)
            out[i] = o
        return out

    p = np.array([0.5, 0.01, 0.2, 0.0, 0.29])
    for order in ([0, 4, 2, 1, 3], [3, 1, 2, 4, 0], [4, 3, 2, 1, 0]):
        for n in [1, 5, 16, 17, 60, 1000]:
            x = many(_rng_state(np.random.SeedSequence(n)), n, p, np.array(order, np.int64), 40_000)
            assert (x.sum(axis=1) == n).all() and (x[:, 3] == 0).all(), (order, n)
            se = np.sqrt(n * p * (1 - p) / len(x))
            assert (np.abs(x.mean(axis=0) - n * p) <= 5 * se + 1e-12).all(), (order, n)
            if n > 1:
                c02 = np.cov(x[:, 0], x[:, 2])[0, 1]
                assert c02 == pytest.approx(-n * p[0] * p[2], rel=0.15), (order, n)


def test_log_factorial_of_the_binomial_equals_lgamma():
    """BTRS's log k! (a table below 256, Stirling's series above) equals math.lgamma(k + 1) to 1e-14 relative."""
    import math

    from numba import njit

    from darkfigure.bayes._random import _log_factorial

    lf = njit(lambda k: _log_factorial(k))
    for k in [0.0, 1.0, 2.0, 10.0, 255.0, 256.0, 257.0, 1000.0, 4466.0, 1e5, 1e9]:
        assert lf(k) == pytest.approx(math.lgamma(k + 1.0), rel=1e-14, abs=1e-14), k


def test_binomial_mean_and_variance_equal_the_exact_values():
    """Binomial draws (inversion, its 1 - n q shortcut to 0, BTRS with its slow step): the mean of 200,000 draws
    within 5 standard errors of n p, the variance within 5 of its own (sd of s^2 ~ sqrt((mu4 - s^4) / size))."""
    import math

    from darkfigure.bayes import _random as mod

    size = 200_000
    for n, p in [(600, 0.0001), (50, 0.01), (600, 0.005), (30, 0.3), (600, 0.3), (4466, 0.9), (40_000, 0.2)]:
        x = _draws(mod._binomial, n, p, size=size, seed=n)
        mean, var = n * p, n * p * (1 - p)
        assert abs(x.mean() - mean) <= 5 * math.sqrt(var / size), (n, p)
        mu4 = var * (1 + 3 * p * (1 - p) * (n - 2))  # the fourth central moment of Binomial(n, p)
        assert abs(x.var() - var) <= 5 * math.sqrt((mu4 - var**2) / size), (n, p)


def test_vectorised_normal_quantiles_equal_as241_of_the_standard_library():
    """The rank-normalisation's Phi^-1 (vectorised AS241) against ``statistics.NormalDist.inv_cdf``
    (the same algorithm, one value at a time) in all three regions, to 1e-15 relative."""
    from statistics import NormalDist

    from darkfigure.bayes.diagnostics import _phi_inv

    p = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 5001), np.logspace(-300, -2, 300), 1 - np.logspace(-15, -2, 100)])
    ref = np.array([NormalDist().inv_cdf(float(v)) for v in p])
    np.testing.assert_allclose(_phi_inv(p), ref, rtol=1e-15, atol=1e-300)


# ---------------------------------------------------------------------------- blocks of iterations
def test_blocks_of_iterations_give_the_draws_of_one_long_run():
    """The chain runs in blocks of iterations (so that Ctrl-C is acted on between them), carrying the random state
    and every array from block to block: any block size, and the adaptive default, give the same draws from the
    same seed, including across the warm-up's class reordering and the first kept draw."""
    from darkfigure.bayes._lcmcr_sampler import _run_chain
    from darkfigure.bayes._random import _rng_state

    h = load_r("Western")
    t = h.table
    cells = np.ascontiguousarray(t[list(h.lists)].to_numpy(dtype=np.int8))
    freq = np.ascontiguousarray(t["count"].to_numpy(dtype=np.int64))
    runs = []
    for block in (None, 1, 7, 500, 10**9):
        s = _rng_state(np.random.SeedSequence(5))
        runs.append((_run_chain(cells, freq, 6, 0.25, 0.25, 50, 40, 60, 3, -1, s, block=block), s.copy()))
    (n0, alpha, kstar, div, cap), s_end = runs[0]
    assert n0.shape == (60,) and len(np.unique(n0)) > 5
    for (n0b, alphab, kstarb, divb, capb), sb in runs[1:]:
        np.testing.assert_array_equal(n0b, n0)
        np.testing.assert_array_equal(alphab, alpha)
        np.testing.assert_array_equal(kstarb, kstar)
        np.testing.assert_array_equal(sb, s_end)  # the random state is left where one long run leaves it
        assert (divb, capb) == (div, cap)
    # and the front door's draws do not depend on the threads either
    a = lcmcr(h, seed=3, n_jobs=1, **SHORT)
    b = lcmcr(h, seed=3, n_jobs=2, **SHORT)
    np.testing.assert_array_equal(a.draws, b.draws)


def test_a_stop_request_ends_the_chain_between_blocks():
    """`stop` (checked between blocks) ends a chain early with ChainStopped; never checked after the last block."""
    from darkfigure.bayes._lcmcr_sampler import ChainStopped, _run_chain
    from darkfigure.bayes._random import _rng_state

    cells = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.int8)
    freq = np.array([50, 40, 20], dtype=np.int64)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(ChainStopped, match="after 300 of 1,000 iterations"):
        _run_chain(cells, freq, 3, 0.25, 0.25, 100, 100, 200, 4, -1, _rng_state(np.random.SeedSequence(1)),
                   block=100, stop=stop)
    calls.clear()
    out = _run_chain(cells, freq, 3, 0.25, 0.25, 100, 100, 200, 4, -1, _rng_state(np.random.SeedSequence(1)),
                     block=1000, stop=lambda: calls.append(1) or True)
    assert out[0].shape == (200,) and calls == []


def test_ctrl_c_stops_a_long_chain_within_a_block():
    """SIGINT during a chain of 10^8 iterations raises KeyboardInterrupt out of lcmcr and leaves no chain running
    in a worker thread (no time is asserted: that it comes within a block of ~0.15 s is the design of _run_chain,
    whose blocks the stop test above checks). Run in a fresh interpreter, as a user's command is, with SIGINT sent
    every 0.5 s until one is acted on: one signal alone was lost three times on 6 December under load (twice in a
    pytest-xdist worker, once in a fresh process), presumably landing while numba loads its cache, where an
    exception raised by a signal handler can be swallowed."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    script = textwrap.dedent("""
        import signal, threading
        from darkfigure.bayes.lcmcr import lcmcr
        from darkfigure.datasets import load_r
        h = load_r("Western")
        lcmcr(h, burnin=0, samples=4, thinning=1, chains=1)  # compiled before the clock starts
        main = threading.get_ident()
        before = threading.active_count()
        seen = threading.Event()

        def once(signum, frame):
            # the first SIGINT acted on raises; later ones (still on their way) are dropped
            if not seen.is_set():
                seen.set()
                raise KeyboardInterrupt

        signal.signal(signal.SIGINT, once)

        def send():
            # every 0.5 s until one is acted on: a signal that lands while numba loads its cache can be lost there
            while not seen.wait(0.5):
                signal.pthread_kill(main, signal.SIGINT)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        try:
            lcmcr(h, burnin=0, samples=1000, thinning=100_000, chains=2, n_jobs=1, seed=1)
            print("FINISHED")
        except KeyboardInterrupt:
            print("INTERRUPTED")
        seen.set()
        sender.join()
        print("THREADS", threading.active_count() <= before)  # no chain left running in a worker thread
    """)
    src = str(Path(__file__).resolve().parents[1] / "src")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=1800,
                       env={**__import__("os").environ, "PYTHONPATH": src})
    assert p.returncode == 0, p.stderr[-2000:]
    assert "INTERRUPTED" in p.stdout and "FINISHED" not in p.stdout
    assert "THREADS True" in p.stdout


def test_patterns_as_arrays_give_the_draws_of_the_front_door():
    """lcmcr_patterns (a stratum's table as arrays, no data frame) gives lcmcr's draws on the same table and seed;
    rows repeated after a list was dropped are summed by the strata's _lcmcr_patterns into the distinct patterns
    and counts of the data-frame path; bad shapes are named."""
    from darkfigure.bayes.lcmcr import lcmcr_patterns
    from darkfigure.strata.units import _lcmcr_patterns

    h = load_r("Western")
    t = h.table
    cells = t[list(h.lists)].to_numpy(dtype=np.int8)
    freq = t["count"].to_numpy(dtype=np.int64)
    a = lcmcr(h, seed=11, **SHORT)
    b = lcmcr_patterns(cells, freq, tuple(h.lists), seed=11, **SHORT)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert b.lists == a.lists and b.n_observed == a.n_observed
    # the last list dropped: repeated rows summed, lexicographic order, as the data-frame collapse
    sub = cells[:, :-1]
    keep = sub.any(axis=1)
    pc, pf = _lcmcr_patterns(sub[keep], freq[keep])
    g = pd.DataFrame(sub[keep], columns=list(h.lists[:-1])).assign(count=freq[keep])
    g = g.groupby(list(h.lists[:-1]), as_index=False, sort=True)["count"].sum()
    np.testing.assert_array_equal(pc, g[list(h.lists[:-1])].to_numpy())
    np.testing.assert_array_equal(pf, g["count"].to_numpy())
    with pytest.raises(ValueError, match="cells must have shape"):
        lcmcr_patterns(cells[:, :2], freq, tuple(h.lists), **SHORT)
    with pytest.raises(ValueError, match="counts must be"):
        lcmcr_patterns(cells, -freq, tuple(h.lists), **SHORT)
