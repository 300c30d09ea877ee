"""Combining M replicates of the data (multiple imputations, linkage draws) of one estimand.

Rubin's rules on the log scale or pooled draws (the law of total variance); see :func:`combine`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["COMBINE", "combine"]

COMBINE = ("auto", "rubin", "pooled")


def combine(points: np.ndarray, draws: np.ndarray, observed: np.ndarray, how: str, level: float) -> dict:
    """Combine M replicates of one estimand (a stratum or a total).

    Parameters
    ----------
    points : ndarray of float, shape (M,)
        Point estimate N̂_m of each replicate.
    draws : ndarray of float, shape (M, B)
        Bootstrap replicates / posterior draws of N in each replicate.
    observed : ndarray of float, shape (M,)
        Persons observed in each replicate (the lower limit of N).
    how : {"rubin", "pooled"}
        ``rubin``: Rubin's rules on log N: ``q_m = log N̂_m``, within variance ``U_m`` the
        variance of ``log draws``, ``T = Ū + (1 + 1/M) B``, interval ``exp(q̄ ± t_ν sqrt(T))``
        with Rubin's degrees of freedom ``ν = (M - 1)(1 + Ū / ((1 + 1/M) B))²`` (Rubin 1987,
        eq. 3.1.6; verdata's ``combine_estimates`` does the same on log n0). ``pooled``: the
        quantiles of all M x B draws (the mixture of the replicates' distributions; its variance
        is E[Var] + Var[E], the law of total variance). With M = 1 both are the percentiles of
        the draws (R quantile type 7).
    level : float

    Returns
    -------
    dict
        ``nhat`` (mean of the points: law of total expectation), ``lower``, ``upper`` (at least
        the mean observed), ``var_share_replicates`` ((1 + 1/M) B / T on the N scale; 0 for M = 1),
        ``within_var``, ``between_var``.
    """
    points = np.asarray(points, dtype=float)
    draws = np.atleast_2d(np.asarray(draws, dtype=float))
    M = len(points)
    obs = float(np.mean(observed))
    nhat = float(points.mean())
    a = (1 - level) / 2
    W = float(np.mean(draws.var(axis=1, ddof=1))) if draws.shape[1] > 1 else 0.0
    B = float(points.var(ddof=1)) if M > 1 else 0.0
    T = W + (1 + 1 / M) * B
    share = (1 + 1 / M) * B / T if T > 0 else 0.0
    if M == 1 or how == "pooled":
        lo, hi = np.quantile(draws.ravel(), [a, 1 - a])
    else:
        q = np.log(np.maximum(points, 1e-9))
        U = float(np.mean(np.log(np.maximum(draws, 1e-9)).var(axis=1, ddof=1)))
        Bq = float(q.var(ddof=1))
        Tq = U + (1 + 1 / M) * Bq
        if Bq > 0:
            nu = (M - 1) * (1 + U / ((1 + 1 / M) * Bq)) ** 2
            t = float(stats.t.ppf(1 - a, nu))
        else:
            t = float(stats.norm.ppf(1 - a))
        lo, hi = float(np.exp(q.mean() - t * np.sqrt(Tq))), float(np.exp(q.mean() + t * np.sqrt(Tq)))
    return {"nhat": nhat, "lower": float(max(lo, obs)), "upper": float(max(hi, obs)), "var_share_replicates": share,
            "within_var": W, "between_var": B}
