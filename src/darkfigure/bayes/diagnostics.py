"""Convergence diagnostics for MCMC draws: rank-normalised split R-hat and bulk ESS.

Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021, Bayesian Analysis 16:667), as ``posterior``'s
``rhat`` and ``ess_bulk``. Moved here from :mod:`darkfigure.bayes.lcmcr` unchanged (still importable
from there).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

__all__ = ["rhat", "ess_bulk"]


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


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..S of all S values of `x` (ties: their average rank), shape of `x`; as
    ``scipy.stats.rankdata(x, "average", axis=None)`` without importing scipy.stats (~0.5 s)."""
    a = x.ravel()
    sorter = np.argsort(a, kind="mergesort")
    inv = np.empty(sorter.size, dtype=np.intp)
    inv[sorter] = np.arange(sorter.size)
    srt = a[sorter]
    first = np.r_[True, srt[1:] != srt[:-1]]
    dense = first.cumsum()[inv]
    count = np.r_[np.flatnonzero(first), first.size]
    return (0.5 * (count[dense] + count[dense - 1] + 1)).reshape(x.shape)


_PHI_INV = np.frompyfunc(NormalDist().inv_cdf, 1, 1)


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    """Normal scores ``Phi^-1((r - 3/8) / (S + 1/4))`` of the pooled ranks r of `x`, shape of `x`."""
    # Phi^-1 by Wichura's AS241 (statistics.NormalDist, ~1e-16 relative), not scipy.special.ndtri:
    # importing scipy costs more than the whole diagnostic
    r = _average_ranks(x)
    return _PHI_INV((r - 0.375) / (x.size + 0.25)).astype(float)


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
    # Geyer's initial positive sequence on sums of pairs of autocorrelations
    keep = np.zeros(n)
    keep[0], keep[1] = 1.0, rho[1]
    t = 1
    even, odd = 1.0, rho[1]
    while t < n - 3 and even + odd > 0.0:
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0.0:
            keep[t + 1], keep[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0.0:
        keep[max_t + 1] = even
    # initial monotone sequence
    t = 1
    while t <= max_t - 2:
        if keep[t + 1] + keep[t + 2] > keep[t - 1] + keep[t]:
            keep[t + 1] = keep[t + 2] = (keep[t - 1] + keep[t]) / 2.0
        t += 2
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
