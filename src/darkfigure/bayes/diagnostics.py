"""Convergence diagnostics for MCMC draws: rank-normalised split R-hat and bulk ESS.

Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021, Bayesian Analysis 16:667), as ``posterior``'s
``rhat`` and ``ess_bulk`` (also importable from :mod:`darkfigure.bayes.lcmcr`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

__all__ = ["rhat", "ess_bulk", "RHAT_FAIL", "ESS_FAIL", "not_converged_reason"]

#: R-hat above which a posterior's chains have not converged: its median and interval are no estimate. Vehtari et al.
#: (2021, sec. 4) ask for R-hat < 1.01 before using draws (the warning of bayes.lcmcr.RHAT_LIMIT); 1.1 is the older
#: rule (Gelman & Rubin 1992; Gelman et al. 2013, BDA3) that they show still passes chains that have not mixed, so
#: above it the chains certainly sample different things (the Netherlands: chains at ~50,000 and ~140,000, R-hat 1.5).
RHAT_FAIL = 1.1
#: Bulk ESS below which the draws are no estimate. Vehtari et al. (2021, sec. 4) ask for a bulk ESS of at least 100 per
#: chain (400 for 4 chains: the warning of bayes.lcmcr.ESS_LIMIT) for R-hat and the quantiles' Monte-Carlo error to be
#: trusted; below 100 in all the draws (25 per chain) the chains hold fewer independent draws than one chain should.
ESS_FAIL = 100.0


# ----------------------------------------------------------------------------- diagnostics
def _as_chains(draws) -> np.ndarray:
    """`draws` as a float array of shape (chains, draws); ValueError unless 2-d, >= 4 draws per chain, finite."""
    x = np.asarray(draws, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"draws must have shape (chains, draws), got {x.shape}")
    if x.shape[1] < 4:
        raise ValueError(f"at least 4 draws per chain are needed, got {x.shape[1]}")
    if not np.isfinite(x).all():
        raise ValueError("draws must be finite")
    return x


def _split(x: np.ndarray) -> np.ndarray:
    """Each chain of `x` (chains, draws) cut into its first and last half: shape (2 chains, draws // 2)."""
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def _twice_ranks(x: np.ndarray) -> np.ndarray:
    """Twice the average ranks of all S values of `x` (integers 2..2S, ties: twice their average rank), flat int
    array; as ``2 * scipy.stats.rankdata(x, "average", axis=None)`` without importing scipy.stats (~0.5 s)."""
    a = x.ravel()
    sorter = np.argsort(a, kind="mergesort")
    inv = np.empty(sorter.size, dtype=np.intp)
    inv[sorter] = np.arange(sorter.size)
    srt = a[sorter]
    first = np.r_[True, srt[1:] != srt[:-1]]
    dense = first.cumsum()[inv]
    count = np.r_[np.flatnonzero(first), first.size]
    return count[dense] + count[dense - 1] + 1


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..S of all S values of `x` (ties: their average rank), shape of `x`."""
    return (0.5 * _twice_ranks(x)).reshape(x.shape)


# Wichura (1988), Algorithm AS241 PPND16, Applied Statistics 37:477-484: numerator and denominator
# coefficients (highest power first) of the central region |p - 1/2| <= 0.425, of the tail with
# r = sqrt(-log(min(p, 1 - p))) <= 5 (in r - 1.6) and of the far tail (in r - 5).
_AS241 = (
    ([2.5090809287301226727e3, 3.3430575583588128105e4, 6.7265770927008700853e4, 4.5921953931549871457e4,
      1.3731693765509461125e4, 1.9715909503065514427e3, 1.3314166789178437745e2, 3.3871328727963666080e0],
     [5.2264952788528545610e3, 2.8729085735721942674e4, 3.9307895800092710610e4, 2.1213794301586595867e4,
      5.3941960214247511077e3, 6.8718700749205790830e2, 4.2313330701600911252e1, 1.0]),
    ([7.7454501427834140764e-4, 2.2723844989269184583e-2, 2.4178072517745061177e-1, 1.2704582524523683826e0,
      3.6478483247632046050e0, 5.7694972214606914055e0, 4.6303378461565452959e0, 1.4234371107496835773e0],
     [1.0507500716444168432e-9, 5.4759380849953449460e-4, 1.5198666563616457197e-2, 1.4810397642748007459e-1,
      6.8976733498510000455e-1, 1.6763848301838038494e0, 2.0531916266377588219e0, 1.0]),
    ([2.0103343992922881327e-7, 2.7115555687434875782e-5, 1.2426609473880784386e-3, 2.6532189526576123093e-2,
      2.9656057182850489123e-1, 1.7848265399172913358e0, 5.4637849111641143699e0, 6.6579046435011037772e0],
     [2.0442631033899397856e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5, 7.8686913114561325910e-4,
      1.4875361290850614853e-2, 1.3692988092273580531e-1, 5.9983220655588793769e-1, 1.0]),
)


def _phi_inv(p: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of probabilities `p` (array in (0, 1)), vectorised: Wichura's AS241
    (PPND16, ~1e-16 relative), the algorithm of ``statistics.NormalDist.inv_cdf``, without scipy."""
    p = np.asarray(p, dtype=float)
    q = p - 0.5
    out = np.empty_like(p)
    mid = np.abs(q) <= 0.425
    r = 0.180625 - q[mid] ** 2
    out[mid] = q[mid] * np.polyval(_AS241[0][0], r) / np.polyval(_AS241[0][1], r)
    tail = ~mid
    r = np.sqrt(-np.log(np.where(q[tail] <= 0.0, p[tail], 1.0 - p[tail])))
    near = r <= 5.0
    x = np.empty_like(r)
    x[near] = np.polyval(_AS241[1][0], r[near] - 1.6) / np.polyval(_AS241[1][1], r[near] - 1.6)
    x[~near] = np.polyval(_AS241[2][0], r[~near] - 5.0) / np.polyval(_AS241[2][1], r[~near] - 5.0)
    out[tail] = np.where(q[tail] < 0.0, -x, x)
    return out


@functools.lru_cache(maxsize=16)
def _normal_scores(size: int) -> np.ndarray:
    """``Phi^-1((k / 2 - 3/8) / (size + 1/4))`` for k = 0..2 size (read-only): the normal score of every possible
    average rank k / 2 among `size` values, computed once per size (a worker's strata share one draw count)."""
    k = np.arange(2 * size + 1)
    p = (0.5 * k - 0.375) / (size + 0.25)
    out = np.full(p.shape, np.nan)
    out[1:] = _phi_inv(p[1:])  # k = 0 is no rank (p < 0)
    out.flags.writeable = False
    return out


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    """Normal scores ``Phi^-1((r - 3/8) / (S + 1/4))`` of the pooled ranks r of `x`, shape of `x`."""
    # Phi^-1 by Wichura's AS241 (as statistics.NormalDist, ~1e-16 relative), vectorised; not
    # scipy.special.ndtri: importing scipy costs more than the whole diagnostic. Looked up in a table per S
    # (every average rank is a half-integer): the same floats as computing them, ~10x faster
    return _normal_scores(x.size)[_twice_ranks(x)].reshape(x.shape)


def _psrf(x: np.ndarray) -> float:
    """Potential scale reduction of chains `x` (chains, draws) (Gelman & Rubin 1992); NaN if no within-chain variance."""
    n = x.shape[1]
    w = x.var(axis=1, ddof=1).mean()
    b = n * x.mean(axis=1).var(ddof=1)
    if w <= 0:
        return float("nan")
    return float(np.sqrt(((n - 1) / n * w + b / n) / w))


def rhat(draws) -> float:
    """Rank-normalised split R-hat: the larger of the bulk and the tail (folded) value.

    Parameters
    ----------
    draws : array_like of shape (chains, draws) or (draws,)
        Posterior draws of one scalar, one row per chain (at least 4 draws per chain; a single
        chain is split in two halves, so it also gives a value).

    Returns
    -------
    float
        ``max(R-hat(z(split draws)), R-hat(z(|split draws - median|)))`` with z the
        rank-normalisation ``Phi^-1((rank - 3/8) / (S + 1/4))`` over all S draws (average
        ranks for ties). NaN when the draws are constant. Equals ArviZ's ``rhat(method="rank")``.

    Raises
    ------
    ValueError
        Draws of the wrong shape, fewer than 4 per chain, or not finite.

    Notes
    -----
    Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021). Rank-normalization, folding, and
    localization: an improved R-hat for assessing convergence of MCMC. Bayesian Analysis
    16(2):667-718: split R-hat on rank-normalised draws (bulk) and on rank-normalised folded
    draws (tail).
    """
    x = _split(_as_chains(draws))
    if np.ptp(x) == 0:
        return float("nan")
    bulk = _psrf(_rank_normalise(x))
    tail = _psrf(_rank_normalise(np.abs(x - np.median(x))))
    return float(max(bulk, tail))


def _autocov(x: np.ndarray) -> np.ndarray:
    """Autocovariances of each chain of `x` (chains, draws) at lags 0..draws-1, by FFT (biased, divisor n)."""
    n = x.shape[1]
    m = 1 << (2 * n - 1).bit_length()
    xc = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(xc, n=m, axis=1)
    return np.fft.irfft(f * np.conj(f), n=m, axis=1)[:, :n] / n


class _Kept(NamedTuple):
    """Autocorrelations kept by Geyer's truncation (`values`, zero beyond) and the last lag summed in pairs."""

    values: np.ndarray
    max_t: int


def _geyer_keep(rho: np.ndarray, n: int) -> _Kept:
    """Geyer's (1992) initial positive then initial monotone sequence of the autocorrelations `rho` (n,).

    Vectorised form of posterior's loops (the same floats): pairs ``rho[t + 1] + rho[t + 2]``, t = 1, 3, ...,
    are kept up to the first pair whose sum is not positive (kept if it is 0), the even lag after it if
    positive; then every pair is cut to the smallest pair sum before it (each half of it).
    """
    keep = np.zeros(n)
    keep[0], keep[1] = 1.0, rho[1]
    m = max(0, (n - 3) // 2)  # pairs at t = 1, 3, ... < n - 3
    if m == 0 or not 1.0 + rho[1] > 0.0:
        return _Kept(keep, -1)
    even, odd = rho[2 : 2 + 2 * m : 2], rho[3 : 3 + 2 * m : 2]
    sums = even + odd
    stop = np.flatnonzero(~(sums > 0.0))
    last = int(stop[0]) if stop.size else m - 1  # the last pair looked at
    ok = np.flatnonzero(sums[: last + 1] >= 0.0)
    keep[2 + 2 * ok], keep[3 + 2 * ok] = even[ok], odd[ok]
    max_t = 1 + 2 * last
    if even[last] > 0.0:
        keep[max_t + 1] = even[last]
    if last >= 1:  # initial monotone sequence over pairs 0..last: a pair above the smallest sum before it is cut
        pairs = keep[0 : max_t + 1 : 2] + keep[1 : max_t + 1 : 2]
        prev = np.minimum.accumulate(pairs)[:-1]
        cut = np.flatnonzero(pairs[1:] > prev)
        keep[2 + 2 * cut] = keep[3 + 2 * cut] = prev[cut] / 2.0
    return _Kept(keep, max_t)


def _ess(x: np.ndarray) -> float:
    """Effective sample size of chains `x` (chains, draws): Geyer's initial monotone sequence (Vehtari et al. 2021)."""
    chains, n = x.shape
    if np.ptp(x) < np.finfo(float).resolution:
        return float(x.size)
    acov = _autocov(x)
    w = acov[:, 0].mean() * n / (n - 1.0)  # mean within-chain variance
    var_plus = w * (n - 1.0) / n
    if chains > 1:
        var_plus += x.mean(axis=1).var(ddof=1)
    rho = 1.0 - (w - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    keep, max_t = _geyer_keep(rho, n)
    tau = -1.0 + 2.0 * keep[: max_t + 1].sum() + keep[max_t + 1 : max_t + 2].sum()
    tau = max(tau, 1.0 / np.log10(x.size))
    return float(x.size / tau)


def ess_bulk(draws) -> float:
    """Bulk effective sample size: the ESS of the rank-normalised split chains.

    Parameters
    ----------
    draws : array_like of shape (chains, draws) or (draws,)
        Posterior draws of one scalar, one row per chain (at least 4 draws per chain).

    Returns
    -------
    float
        ``S / tau`` with S the number of draws and tau the integrated autocorrelation time of
        the rank-normalised split chains, its autocorrelations combined over chains and
        truncated by Geyer's initial monotone sequence. Equals ArviZ's ``ess(method="bulk")``.

    Raises
    ------
    ValueError
        Draws of the wrong shape, fewer than 4 per chain, or not finite.

    Notes
    -----
    Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), Bayesian Analysis 16(2):667-718
    (multi-chain ESS, bulk ESS); Geyer (1992), Statistical Science 7:473-483 (initial monotone
    sequence).
    """
    x = _split(_as_chains(draws))
    if np.ptp(x) == 0:
        return float(x.size)
    return _ess(_rank_normalise(x))


def not_converged_reason(rhat_value: float, ess_value: float, chain_medians=None) -> str | None:
    """Why a posterior's draws are no estimate (chains that disagree or too few effective draws), or None.

    Parameters
    ----------
    rhat_value : float
        Rank-normalised split R-hat (:func:`rhat`); NaN (constant draws) passes.
    ess_value : float
        Bulk effective sample size (:func:`ess_bulk`), over all chains.
    chain_medians : sequence of float, optional
        Each chain's median of N, quoted in the clause.

    Returns
    -------
    str or None
        A plain clause for messages when ``R-hat > RHAT_FAIL`` or ``ESS < ESS_FAIL``, else None.

    Notes
    -----
    Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), Bayesian Analysis 16(2):667-718, sec. 4: use the draws
    only with R-hat < 1.01 and bulk ESS >= 100 per chain. Those stay warnings (``bayes.lcmcr.RHAT_LIMIT``,
    ``ESS_LIMIT``); these looser limits (the traditional 1.1; 100 draws in all) mark a failure beyond doubt.
    """
    parts = []
    if np.isfinite(rhat_value) and rhat_value > RHAT_FAIL:
        meds = "" if chain_medians is None else (
            " (chain medians " + ", ".join(f"{float(m):,.0f}" for m in chain_medians) + ")")
        parts.append(f"R-hat {rhat_value:.3f} > {RHAT_FAIL}: the chains disagree{meds}")
    if np.isfinite(ess_value) and ess_value < ESS_FAIL:
        parts.append(f"bulk ESS {ess_value:.0f} < {ESS_FAIL:.0f} effective draws")
    if not parts:
        return None
    return ("the sampler's chains have not converged: " + "; ".join(parts)
            + " (Vehtari et al. 2021), so the posterior median and interval are no estimate; run longer "
            "(more samples or thinning) and check that the chains agree, or use another method")
