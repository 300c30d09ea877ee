"""Bayesian non-parametric latent-class capture-recapture (LCMCR), as R's ``LCMCR``.

The model of Manrique-Vallier (2016, Biometrics 72:1246-1254) for J lists:

* Every person i of the N in the population belongs to one latent class ``z_i`` in
  ``1..K``; within a class the lists register independently:
  ``x_ij | z_i = k ~ Bernoulli(lambda_jk)``.
* Class weights ``pi ~ SB_K(alpha)``: truncated stick-breaking of a Dirichlet process,
  ``pi_k = V_k prod_{l<k} (1 - V_l)`` with ``V_k ~ Beta(1, alpha)`` and ``V_K = 1``.
* Priors ``lambda_jk ~ Beta(1, 1)``, ``alpha ~ Gamma(a_alpha, b_alpha)`` (rate ``b_alpha``),
  and ``p(N) ∝ 1/N``.
* Only persons with at least one registration are seen; the ``n0 = N - n`` unseen persons are
  augmented.

The Gibbs sampler of the paper, in the form of the R package's C++ sampler
(``CNPLCM_CR_Basic_Freq``, which works on counts per capture pattern), one iteration:

1. **Classes of the observed.** For each observed capture pattern m with ``c_m`` persons, the
   counts per class are ``Multinomial(c_m, q_m)`` with
   ``q_mk ∝ pi_k prod_j lambda_jk^x_mj (1 - lambda_jk)^(1 - x_mj)``.
2. **List probabilities.** ``lambda_jk ~ Beta(1 + #{in class k, on list j},
   1 + #{in class k, not on list j})``, the unobserved persons of class k counting as
   "not on list j" for every j.
3. **Class weights.** ``V_k ~ Beta(1 + n_k, alpha + sum_{l>k} n_l)`` for ``k < K``, with
   ``n_k`` the observed and augmented persons in class k (as a ratio of two gamma variates; for an
   empty class, ``n_k = 0``, by inversion; on the linear scale while nothing can underflow, on the
   log scale, as log-gamma variates, once the second shape is below 1 or the stick left below 1e-250).
4. **Unobserved count.** With ``p0 = sum_k pi_k prod_j (1 - lambda_jk)`` the probability of
   being missed by every list, ``n0 ~ NegativeBinomial(n, 1 - p0)`` (failures before n
   successes); this is the conditional of ``n0`` under ``p(N) ∝ 1/N`` with the classes of the
   unobserved integrated out.
5. **Classes of the unobserved.** ``Multinomial(n0, pi_k prod_j (1 - lambda_jk) / p0)``, the most
   probable class first (as in step 1).
6. **Concentration.** ``alpha ~ Gamma(a_alpha + K - 1, rate = b_alpha - log pi_K)``.

Everything is done on counts per (pattern, class) and per class, never person by person, so
the cost of an iteration depends on the number of observed patterns, lists and classes but not
on N (as in the R package). With at most 4 lists (verdata's strata), in step 1 only the *active* classes (weight ``pi_k >= 1e-3 / n``; the
posterior leaves most of the K classes nearly empty) get their probabilities computed per pattern; a
person proposes one of the others with probability proportional to ``pi_k`` (an upper bound of its
``q_mk``) and keeps it with probability ``prod_j P(x_mj | k)``, else proposes again: rejection sampling,
so the counts follow the multinomial of step 1 exactly (:mod:`._lcmcr_classes`); with more lists every
class of every pattern is computed, the products over a shared prefix of lists reused along the
lexicographic order of the patterns (faster there, e.g. 6 lists and 63 patterns). The counts are drawn
most probable class first: the persons leaving it by one binomial (nearly always 0), then the others by a
chain of binomials over the classes (each count from its conditional given those before: the same
distribution in any order), switching to categorical draws (inverse CDF on suffix sums) once at most 16
persons remain. A list probability is a ratio of two gamma variates; in an empty class a uniform; an empty
class's stick-breaking weight uses an exponential variate by the ziggurat instead of ``-log U``.

Start, as the R package: list probabilities at the observed marginal frequencies; 500 warm-up
iterations with ``alpha = 0.3 / K`` held fixed; classes then reordered by decreasing weight;
then ``burnin`` iterations and ``samples * thinning`` iterations of which every ``thinning``-th
is kept (``lcmCR(K, a_alpha, b_alpha, thinning)`` + ``lcmCR_PostSampl(burnin, samples,
thinning)``).

What differs from the R package: several chains by default (seeds spawned from one
``numpy.random.SeedSequence``), with rank-normalised split R-hat and bulk effective sample
size (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, Bayesian Analysis 16:667-718) and
warnings when they are poor; no cap on N. ``n0`` is a 64-bit integer. The R package of the
reference runs (0.4.14) redraws N until it is at most 21 x observed (its stratified sampler
does the same with ``N_Max_factor``; the Netherlands reference's upper bound, 170,601, sits
just under 21 x 8,234 = 172,914), which truncates the posterior where it is wide;
``n_max_factor=21`` reproduces that on request, with a warning. Poisson draws with a mean
above 1e12 use the normal approximation (relative error ~1e-6). The random numbers are
xoshiro256++ (Blackman & Vigna 2021) inlined in the compiled sampler and seeded from a NumPy
SeedSequence, with exact standard algorithms: ziggurat normals and exponentials (Marsaglia & Tsang 2000),
Marsaglia-Tsang gammas, Hoermann's BTRS binomials and PTRS Poisson draws (1993), inversion
for small means. Draws agree with R's in distribution, not one by one.
"""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..histories import CaptureHistories

# The compiled sampler, its random numbers and the R-hat/ESS diagnostics live in their own modules;
# re-exported here so old imports keep working.
from ._lcmcr_sampler import (  # noqa: F401 - re-exported
    _MAX_REJECTIONS,
    _SMALL,
    _run_chain,
    warm_up,
)
from ._random import (  # noqa: F401 - re-exported (tests draw from lcmcr._binomial etc.)
    _N0_MAX,
    _POISSON_NORMAL,
    _beta_pair,
    _beta_pair_r,
    _binomial,
    _binomial_r,
    _gamma,
    _gamma_int,
    _gamma_mt,
    _gamma_r,
    _load,
    _log_gamma_variate,
    _log_gamma_variate_r,
    _next_u64,
    _normal,
    _poisson,
    _poisson_r,
    _rng_state,
    _store,
    _uniform,
    _uniform_r,
)
from .diagnostics import ESS_FAIL, RHAT_FAIL, ess_bulk, not_converged_reason, rhat  # noqa: F401

__all__ = ["LCMCRResult", "lcmcr", "lcmcr_patterns", "rhat", "ess_bulk", "warm_up"]

#: Warm-up iterations before the burn-in, with alpha held at 0.3 / K (as the R package).
WARMUP = 500
#: Warn when the rank-normalised split R-hat exceeds this (Vehtari et al. 2021).
RHAT_LIMIT = 1.01
#: Warn when the bulk effective sample size is below this (Vehtari et al. 2021).
ESS_LIMIT = 400.0


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True)
class LCMCRResult:
    """Posterior of the population size N under the latent-class model, from several chains.

    Attributes
    ----------
    n_observed : int
        Persons registered by at least one list (n).
    lists : tuple of str, length J
        The list names.
    draws : ndarray of int64, shape (chains, samples)
        Posterior draws of N (= n + n0), one row per chain, in sampling order.
    alpha_draws : ndarray of float, shape (chains, samples)
        Draws of the stick-breaking concentration alpha, kept with the N draws.
    occupied_draws : ndarray of int64, shape (chains, samples)
        Number of latent classes holding at least one (observed or augmented) person.
    median, mean : float
        Posterior median and mean of N over all chains' draws.
    ci_low, ci_high : float
        Equal-tailed credible interval at `level` (quantiles of type 7, as R's ``quantile``).
    level : float
        Credible level, 0.95 by default.
    rhat : float
        Rank-normalised split R-hat of N (:func:`rhat`; NaN when every draw is equal).
    ess : float
        Bulk effective sample size of N (:func:`ess_bulk`).
    chain_medians : ndarray of float, shape (chains,)
        Median of N within each chain: the spread between chains, as between R's seeds.
    settings : dict
        ``K``, ``a_alpha``, ``b_alpha``, ``burnin``, ``samples``, ``thinning``, ``chains``,
        ``warmup``, ``seed`` (the SeedSequence entropy: pass it back as `seed` to repeat the
        run), ``n_jobs`` and ``n_max_factor`` (None: no limit on N).
    warnings : tuple of str
        R-hat above 1.01, bulk ESS below 400, a diverged chain, covariates summed over, an
        explicitly requested truncation of N.
    seconds : float
        Wall time of the call.
    iterations_per_second : float
        Sampler iterations per second of one chain (iterations of a chain over its own wall
        time, averaged over chains; loading the compiled sampler, once per process, is done
        before the clocks start), comparable with R LCMCR's single-chain figure.
    """

    n_observed: int
    lists: tuple[str, ...]
    draws: np.ndarray = field(repr=False)
    alpha_draws: np.ndarray = field(repr=False)
    occupied_draws: np.ndarray = field(repr=False)
    median: float
    mean: float
    ci_low: float
    ci_high: float
    level: float
    rhat: float
    ess: float
    chain_medians: np.ndarray = field(repr=False)
    settings: dict = field(repr=False)
    warnings: tuple[str, ...]
    seconds: float
    iterations_per_second: float

    @property
    def interval(self) -> tuple[float, float]:
        """The equal-tailed credible interval ``(ci_low, ci_high)``."""
        return (self.ci_low, self.ci_high)

    @property
    def lower(self) -> float:
        """Lower credible bound (``ci_low``), under the name other estimates use."""
        return self.ci_low

    @property
    def upper(self) -> float:
        """Upper credible bound (``ci_high``), under the name other estimates use."""
        return self.ci_high

    @property
    def converged(self) -> bool:
        """True when R-hat <= 1.01 and bulk ESS >= 400 (Vehtari et al. 2021's recommendation; below it: warnings)."""
        return bool(self.rhat <= RHAT_LIMIT and self.ess >= ESS_LIMIT)

    @property
    def not_converged(self) -> str | None:
        """Why the chains have failed beyond doubt (R-hat > 1.1 or bulk ESS < 100: :data:`RHAT_FAIL`,
        :data:`ESS_FAIL`), or None. Then the median and interval are no estimate: ``compare`` marks the row
        "not converged" and leaves it out of the headline, and ``dfg.LCMCR`` gives status "not converged"
        (:func:`darkfigure.bayes.diagnostics.not_converged_reason`)."""
        return not_converged_reason(self.rhat, self.ess, self.chain_medians)

    def to_publish(self) -> dict | None:
        """What to publish when the chains have not converged (:attr:`not_converged`): nothing; else None (no
        statement of its own, as for the other non-log-linear results).

        Returns
        -------
        dict or None
            ``low``, ``high`` (NaN), ``rules`` (``["not-converged"]``), ``publish_interval`` (False) and
            ``statement``, the keys of :func:`darkfigure.headline.publish_statement`.
        """
        why = self.not_converged
        if why is None:
            return None
        return {"low": float("nan"), "high": float("nan"), "rules": ["not-converged"], "publish_interval": False,
                "statement": f"Do not publish LCMCR's N̂ or interval: {why}."}

    def summary(self) -> dict:
        """One row for comparison tables: method, nhat (median), lower, upper, interval, rhat, ess, not_converged
        (None or why the chains failed)."""
        return {
            "method": "lcmcr",
            "nhat": self.median,
            "lower": self.ci_low,
            "upper": self.ci_high,
            "interval": f"{self.level:.0%} equal-tailed credible",
            "mean": self.mean,
            "rhat": self.rhat,
            "ess": self.ess,
            "not_converged": self.not_converged,
            "seconds": self.seconds,
            "warnings": "; ".join(self.warnings),
        }


# ----------------------------------------------------------------------------- front door
def _positive_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive_float(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return v


def lcmcr(
    histories: CaptureHistories,
    K: int = 10,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    burnin: int = 10000,
    samples: int = 1000,
    thinning: int = 100,
    chains: int = 4,
    seed=None,
    *,
    level: float = 0.95,
    n_jobs: int | None = None,
    n_max_factor: float | None = None,
) -> LCMCRResult:
    """Posterior of N under the non-parametric latent-class model (Manrique-Vallier 2016).

    Parameters
    ----------
    histories : CaptureHistories
        J >= 2 lists; covariates are summed over (with a warning).
    K : int, default 10
        Number of latent classes of the truncated stick-breaking process (R: ``K``; the R
        function's own default is 5, the reference runs and LCMCR's paper use 10).
    a_alpha, b_alpha : float, default 0.25
        Shape and rate of the Gamma prior on the concentration alpha.
    burnin : int, default 10000
        Iterations discarded after the 500 warm-up iterations (R: ``lcmCR_PostSampl(burnin)``).
    samples : int, default 1000
        Draws kept per chain (at least 4).
    thinning : int, default 100
        Iterations per kept draw. A chain runs ``500 + burnin + samples * thinning`` iterations.
    chains : int, default 4
        Independent chains, started alike, with seeds spawned from `seed`.
    seed : None, int, sequence of int or numpy.random.SeedSequence
        Root of the chains' seeds. None draws fresh entropy (recorded in
        ``result.settings["seed"]``).
    level : float, default 0.95
        Level of the equal-tailed credible interval.
    n_jobs : int, optional
        Chains run at the same time in threads (the compiled sampler releases the GIL).
        Default ``min(chains, os.cpu_count())``. The draws do not depend on it.
    n_max_factor : float, optional
        Off by default: N has no upper limit. Only to reproduce R LCMCR 0.4.14, which redraws
        ``n0`` until ``N <= 21 n`` (``n_max_factor=21``): the posterior is then truncated there,
        and the result says so in its warnings.

    Returns
    -------
    LCMCRResult
        Draws of N of shape (chains, samples), median, mean, interval, R-hat, bulk ESS, chain
        medians, settings and warnings.

    Raises
    ------
    TypeError
        `histories` is not a CaptureHistories.
    ValueError
        Nobody observed; K, burnin, samples (< 4), thinning, chains or n_jobs not a whole
        number in range; a_alpha or b_alpha not positive; level outside (0, 1);
        n_max_factor not above 1.

    Notes
    -----
    Manrique-Vallier, D. (2016). Bayesian population size estimation using Dirichlet process
    mixtures. Biometrics 72(4):1246-1254 (the model and its Gibbs sampler). R package LCMCR
    (``lcmCR``, ``lcmCR_PostSampl``). The sampler steps are listed in this module's docstring.
    N has no upper limit unless `n_max_factor` is given. Each chain runs in blocks of ~0.15 s of
    iterations (the random state carried over, so the draws do not depend on it): Ctrl-C raises
    KeyboardInterrupt within a block, and chains in other threads stop at their next block.
    """
    t0 = time.perf_counter()
    if not isinstance(histories, CaptureHistories):
        raise TypeError(f"histories must be a CaptureHistories, got {type(histories).__name__}")
    warns: list[str] = []
    if histories.covariates:
        warns.append(
            f"covariates {', '.join(histories.covariates)} summed over: LCMCR uses the list table only"
        )
        histories = histories.collapse()
    t = histories.table
    return lcmcr_patterns(t[list(histories.lists)].to_numpy(dtype=np.int8), t["count"].to_numpy(dtype=np.int64),
                          tuple(histories.lists), K, a_alpha, b_alpha, burnin, samples, thinning, chains, seed,
                          level=level, n_jobs=n_jobs, n_max_factor=n_max_factor, _warnings=warns, _t0=t0)


def lcmcr_patterns(
    cells: np.ndarray,
    counts: np.ndarray,
    lists: tuple[str, ...],
    K: int = 10,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    burnin: int = 10000,
    samples: int = 1000,
    thinning: int = 100,
    chains: int = 4,
    seed=None,
    *,
    level: float = 0.95,
    n_jobs: int | None = None,
    n_max_factor: float | None = None,
    _warnings: list[str] | None = None,
    _t0: float | None = None,
) -> LCMCRResult:
    """:func:`lcmcr` on a list table given as arrays (no :class:`CaptureHistories`, no data frame).

    Parameters
    ----------
    cells : array_like of 0/1, shape (P, J)
        Observed capture patterns (1 = on the list). Rows need not be distinct (the sampler then
        visits a pattern once per row: the same posterior, other draws than with the rows summed).
    counts : array_like of int, shape (P,)
        Persons per pattern; rows with 0 are left out.
    lists : tuple of str, length J
        The list names (kept in the result).
    K, a_alpha, b_alpha, burnin, samples, thinning, chains, seed, level, n_jobs, n_max_factor
        As :func:`lcmcr`.

    Returns
    -------
    LCMCRResult
        As :func:`lcmcr`; the same draws as :func:`lcmcr` on the same table and seed.

    Raises
    ------
    ValueError
        `cells` not of shape (P, J) with J = len(lists), `counts` not of shape (P,) or negative,
        nobody observed, or a setting out of range (as :func:`lcmcr`).

    Notes
    -----
    Manrique-Vallier (2016); the model and the sampler steps are in this module's docstring. Used by
    :func:`darkfigure.strata.units.run_unit`, where a stratum's table is already a pair of arrays.
    """
    t0 = time.perf_counter() if _t0 is None else _t0
    cells = np.asarray(cells, dtype=np.int8)
    counts = np.asarray(counts, dtype=np.int64)
    if cells.ndim != 2 or cells.shape[1] != len(lists):
        raise ValueError(f"cells must have shape (patterns, {len(lists)} lists), got {cells.shape}")
    if counts.shape != (cells.shape[0],) or (counts < 0).any():
        raise ValueError(f"counts must be {cells.shape[0]} non-negative whole numbers (one per pattern), "
                         f"got shape {counts.shape}")
    K = _positive_int("K", K, 1)
    burnin = _positive_int("burnin", burnin, 0)
    samples = _positive_int("samples", samples, 4)
    thinning = _positive_int("thinning", thinning, 1)
    chains = _positive_int("chains", chains, 1)
    a_alpha = _positive_float("a_alpha", a_alpha)
    b_alpha = _positive_float("b_alpha", b_alpha)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if n_jobs is None:
        n_jobs = min(chains, os.cpu_count() or 1)
    n_jobs = _positive_int("n_jobs", n_jobs, 1)
    if n_max_factor is not None:
        n_max_factor = _positive_float("n_max_factor", n_max_factor)
        if n_max_factor <= 1:
            raise ValueError(f"n_max_factor must be above 1 (N <= n_max_factor * n), got {n_max_factor!r}")
    return _lcmcr_table(cells, counts, tuple(lists), K, a_alpha, b_alpha, burnin, samples, thinning, chains, seed,
                        level, n_jobs, n_max_factor, list(_warnings or []), t0)


def _lcmcr_table(cells, freq, lists, K, a_alpha, b_alpha, burnin, samples, thinning, chains, seed, level, n_jobs,
                 n_max_factor, warns, t0) -> LCMCRResult:
    """:func:`lcmcr` on its table as arrays, the arguments checked: `cells` (P, J) capture patterns (0/1),
    `freq` (P,) persons per pattern (rows with 0 are dropped; the patterns need not be distinct), `lists` the J
    names, `warns` the warnings so far, `t0` the call's start (``time.perf_counter()``). Strata call it directly
    (:func:`darkfigure.strata.units.run_unit`): a stratum's table costs no data frame."""
    cells = np.asarray(cells, dtype=np.int8)
    freq = np.asarray(freq, dtype=np.int64)
    keep = freq > 0
    cells, freq = np.ascontiguousarray(cells[keep]), np.ascontiguousarray(freq[keep])
    n = int(freq.sum())
    if n <= 0:
        raise ValueError("nobody was observed: the table has no positive count")
    n0_cap = -1 if n_max_factor is None else int(math.floor((n_max_factor - 1.0) * n))

    if isinstance(seed, np.random.SeedSequence):
        root = seed
    else:
        root = np.random.SeedSequence(seed)
    # the children root.spawn(chains) would give on a fresh root, without changing `root`
    children = [
        np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i), pool_size=root.pool_size)
        for i in range(chains)
    ]
    states = [_rng_state(c) for c in children]

    # the chains run in blocks of iterations (_run_chain): Ctrl-C reaches the main thread within a block, and the
    # chains in worker threads stop at their next block once it has (else the pool would wait for them to finish)
    stopping = threading.Event()
    # load the compiled sampler (numba's cache, ~0.3-0.6 s once per process) before the chains' clocks start:
    # iterations_per_second is the sampler's speed, as R's figure (lcmCR_PostSampl) leaves out its set-up
    warm_up()

    def one(state):
        """Run one chain."""
        t1 = time.perf_counter()
        out = _run_chain(cells, freq, K, a_alpha, b_alpha, WARMUP, burnin, samples, thinning, n0_cap, state,
                         stop=stopping.is_set)
        return out, time.perf_counter() - t1

    if n_jobs == 1 or chains == 1:
        runs = [one(st) for st in states]
    else:
        with ThreadPoolExecutor(max_workers=min(n_jobs, chains)) as pool:
            try:
                runs = list(pool.map(one, states))
            except BaseException:  # KeyboardInterrupt, SystemExit from a signal handler: stop the other chains
                stopping.set()
                raise

    n0 = np.stack([r[0][0] for r in runs])
    draws = n0 + n
    alpha = np.stack([r[0][1] for r in runs])
    occupied = np.stack([r[0][2] for r in runs])
    diverged = [i for i, r in enumerate(runs) if r[0][3]]
    failed_caps = sum(int(r[0][4]) for r in runs)
    iters = WARMUP + burnin + samples * thinning
    ips = float(np.mean([iters / max(r[1], 1e-12) for r in runs]))

    pooled = draws.ravel().astype(float)
    lo, med, hi = np.quantile(pooled, [(1 - level) / 2, 0.5, (1 + level) / 2])
    r_hat = rhat(draws)
    ess = ess_bulk(draws)
    if diverged:
        warns.append(
            f"chain(s) {', '.join(map(str, diverged))} diverged: N reached {_N0_MAX:.3g} "
            "(the probability of being missed by every list went to 1); the posterior is not usable"
        )
    if n0_cap >= 0:
        at_cap = float(np.mean(draws >= 0.99 * (n + n0_cap)))
        warns.append(
            f"N truncated at {n_max_factor:g} x observed = {n + n0_cap:,} (as R LCMCR); "
            f"{at_cap:.1%} of the draws lie within 1% of that limit"
            + (f"; {failed_caps} iteration(s) could not draw below it and were set to it" if failed_caps else "")
        )
    if np.isfinite(r_hat) and r_hat > RHAT_LIMIT:
        warns.append(
            f"R-hat {r_hat:.3f} > {RHAT_LIMIT}: the chains disagree (chain medians "
            f"{', '.join(f'{m:,.0f}' for m in np.median(draws, axis=1))}); run longer (more samples or thinning)"
        )
    if ess < ESS_LIMIT:
        warns.append(
            f"bulk ESS {ess:.0f} < {ESS_LIMIT:.0f}: too few effective draws for a stable interval; "
            "run longer (more samples or thinning) or more chains"
        )
    settings = {
        "K": K,
        "a_alpha": a_alpha,
        "b_alpha": b_alpha,
        "burnin": burnin,
        "samples": samples,
        "thinning": thinning,
        "chains": chains,
        "warmup": WARMUP,
        "seed": root.entropy,
        "n_jobs": n_jobs,
        "n_max_factor": n_max_factor,
    }
    return LCMCRResult(
        n_observed=n,
        lists=tuple(lists),
        draws=draws,
        alpha_draws=alpha,
        occupied_draws=occupied,
        median=float(med),
        mean=float(pooled.mean()),
        ci_low=float(lo),
        ci_high=float(hi),
        level=float(level),
        rhat=r_hat,
        ess=ess,
        chain_medians=np.median(draws, axis=1).astype(float),
        settings=settings,
        warnings=tuple(warns),
        seconds=time.perf_counter() - t0,
        iterations_per_second=ips,
    )
