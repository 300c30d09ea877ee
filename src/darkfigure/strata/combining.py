"""Combining M replicates of the data (multiple imputations, linkage draws) of one estimand.

Rubin's rules on the log scale or pooled draws (the law of total variance); see :func:`combine`.
Bootstrap replicates without a finite N̂ are +inf for the upper end (never redrawn there); the lower end is
the smaller of that and the lower end with them redrawn from the finite ones (:func:`finite_redraw`,
conservative); a total whose upper end they make unbounded is also given over the strata with bounded
intervals (:func:`bounded_subtotal`).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["COMBINE", "combine", "bounded_subtotal", "finite_redraw", "unbounded_stratum_note"]

COMBINE = ("auto", "rubin", "pooled")


def finite_redraw(draws: np.ndarray, key: str) -> np.ndarray:
    """Draws with each non-finite replicate replaced by a finite one of the same row, drawn at random.

    Only for the LOWER end of an interval (:func:`combine`'s `draws_low`): +inf draws are right for the
    upper end, but they also take probability from the bottom, so the lower percentile of a total over
    many strata (each with a few +inf draws) is a high percentile of the draws in which every stratum
    happened to be finite, and can exceed N̂ itself (dutch_like by year x sex x form x age: lower = N̂ =
    29,712 for a truth of 28,489). A finite draw in place of +inf can only lower the lower percentile,
    so the lower end taken as the smaller of the two is conservative. Seeded by `key` (the stratum's
    name): reproducible. A row without any finite draw is left as it is.

    Parameters
    ----------
    draws : ndarray of float, shape (M, B)
    key : str

    Returns
    -------
    ndarray of float, shape (M, B)
    """
    import zlib

    d = np.atleast_2d(np.asarray(draws, dtype=float)).copy()
    rng = np.random.default_rng(zlib.crc32(str(key).encode("utf-8")))
    for row in d:
        bad = ~np.isfinite(row)
        if bad.any() and not bad.all():
            row[bad] = rng.choice(row[~bad], size=int(bad.sum()), replace=True)
    return d


def combine(points: np.ndarray, draws: np.ndarray, observed: np.ndarray, how: str, level: float,
            draws_low: np.ndarray | None = None) -> dict:
    """Combine M replicates of one estimand (a stratum or a total).

    Parameters
    ----------
    points : ndarray of float, shape (M,)
        Point estimate N̂_m of each replicate.
    draws : ndarray of float, shape (M, B)
        Bootstrap replicates / posterior draws of N in each replicate; +inf for a bootstrap replicate
        without a finite N̂ (NaN is read as +inf too). Such draws take part in the quantiles as the
        largest values (:func:`darkfigure.loglinear.percentiles.quantile_with_inf`), so the upper
        limit is +inf when they reach the upper quantile; Rubin's rules need the within-replicate
        variance, which is then infinite, so with any infinite draw the replicates are combined by
        pooled draws (``combined_by`` says so).
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
    draws_low : ndarray of float, shape (M, B), optional
        The same draws with the +inf ones replaced by finite ones (:func:`finite_redraw`, per stratum
        before a total is summed): the lower end is the smaller of the two lower ends (conservative).

    Returns
    -------
    dict
        ``nhat`` (mean of the points: law of total expectation), ``lower``, ``upper`` (at least
        the mean observed; +inf when the infinite draws reach the upper quantile),
        ``var_share_replicates`` ((1 + 1/M) B / T on the N scale; 0 for M = 1; NaN with infinite
        draws), ``within_var`` (+inf with infinite draws), ``between_var``, ``draws_unbounded``
        (number of infinite draws), ``combined_by`` (``percentiles`` for M = 1, else ``rubin`` or
        ``pooled``).
    """
    from ..loglinear.percentiles import quantile_with_inf

    points = np.asarray(points, dtype=float)
    draws = np.atleast_2d(np.asarray(draws, dtype=float))
    draws = np.where(np.isnan(draws), np.inf, draws)
    n_inf = int(np.isinf(draws).sum())
    M = len(points)
    obs = float(np.mean(observed))
    nhat = float(points.mean())
    a = (1 - level) / 2
    B = float(points.var(ddof=1)) if M > 1 else 0.0
    if n_inf:
        W, share = float("inf"), float("nan")
    else:
        W = float(np.mean(draws.var(axis=1, ddof=1))) if draws.shape[1] > 1 else 0.0
        T = W + (1 + 1 / M) * B
        share = (1 + 1 / M) * B / T if T > 0 else 0.0
    used = "percentiles" if M == 1 else ("pooled" if how == "pooled" or n_inf else "rubin")
    if used != "rubin":
        lo, hi = quantile_with_inf(draws.ravel(), [a, 1 - a])
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
    if n_inf and draws_low is not None:
        low = np.atleast_2d(np.asarray(draws_low, dtype=float))
        if np.isfinite(low).all():
            lo = min(float(lo), float(combine(points, low, observed, how, level)["lower"]))
    return {"nhat": nhat, "lower": float(max(lo, obs)), "upper": float(max(hi, obs)), "var_share_replicates": share,
            "within_var": W, "between_var": B, "draws_unbounded": n_inf, "combined_by": used}


def unbounded_stratum_note(n_inf: int, n_draws: int, M: int, lower: float, upper: float, level: float) -> str:
    """The warning of a stratum with bootstrap replicates without a finite N̂ (``strata.csv``, ``warnings``).

    Says how many of how many replicates had no N̂, that they count as N̂* = +inf, and whether that left
    the interval without a finite upper end (then: publish at most the lower limit).
    """
    over = f" (over the {M} replicates of the data)" if M > 1 else ""
    head = (f"{n_inf:,} of {n_draws:,} bootstrap replicates{over} had no finite N̂ (the refit could not bound N); "
            "they count as N̂* = ∞")
    if np.isfinite(upper):
        return head + ", at the top of the interval"
    return (head + f": more than {(1 - level) / 2:.1%} of them, so the {level:.0%} interval has no finite upper end "
            f"(unbounded); publish at most the lower limit, at least {lower:,.0f}")


def bounded_subtotal(acc: dict, total_fn) -> dict:
    """The total over the strata whose intervals are bounded, beside a total whose upper end is infinite.

    A draw of a total adds draw b of every stratum, so one stratum with many bootstrap replicates
    without a finite N̂ leaves the total without a finite upper end. What can still be said with an
    interval is the total over the other strata, with the left-out strata named and their observed
    counts given (as the strata that are not estimable are left out of every total). The strata
    whose own interval is unbounded are left out first; when the sum over the rest is still
    unbounded (many strata, each with a few infinite draws), further strata are left out, those with
    the largest share of infinite draws first, until it is bounded.

    Parameters
    ----------
    acc : dict
        A group's accumulator (``core.estimate_strata``): ``points``, ``bias``, ``observed`` (shape
        (M,), summed over every estimated stratum of the group), ``draws`` (shape (M, B), summed over
        the strata with finite draws only), ``strata`` (their number) and ``inf`` (one dict per stratum
        with infinite draws: ``name``, ``points``, ``draws``, ``bias``, ``observed``, ``unbounded``,
        ``share``, ``n_inf``).
    total_fn : callable
        ``(points, draws, bias, observed) -> (nhat, lower, upper, combine dict)``: the total as the run
        forms it (bias correction, :func:`combine`).

    Returns
    -------
    dict
        ``strata_unbounded`` (strata left out), ``observed_unbounded`` (their persons, mean over the
        replicates of the data), ``nhat_bounded``, ``lower_bounded``, ``upper_bounded`` (NaN when no
        stratum is left), ``strata_bounded``, ``left_out`` (list of dicts: ``stratum``, ``observed``,
        ``draws_unbounded``, ``draws``, ``interval_unbounded``).
    """
    cands = sorted(acc["inf"], key=lambda x: (not x["unbounded"], -x["share"]))
    fin = acc["draws"].copy()  # finite parts and, per draw, how many strata are infinite in it
    cnt = np.zeros(fin.shape, dtype=np.int64)
    for x in cands:
        inf = np.isinf(x["draws"])
        fin += np.where(inf, 0.0, x["draws"])
        cnt += inf
    points, bias, obs = acc["points"].copy(), acc["bias"].copy(), acc["observed"].copy()
    n_unb = sum(bool(x["unbounded"]) for x in cands)
    res = (np.nan, np.nan, np.nan)
    k = 0
    while acc["strata"] - k > 0:
        if k >= n_unb:
            nh, lo, hi, _ = total_fn(points, np.where(cnt > 0, np.inf, fin), bias, obs)
            if np.isfinite(hi) or k == len(cands):
                res = (nh, lo, hi)
                break
        x = cands[k]
        inf = np.isinf(x["draws"])
        fin -= np.where(inf, 0.0, x["draws"])
        cnt -= inf
        points, bias, obs = points - x["points"], bias - x["bias"], obs - x["observed"]
        k += 1
    gone = cands[:k]
    return {"strata_unbounded": k, "observed_unbounded": float(sum(float(np.mean(x["observed"])) for x in gone)),
            "nhat_bounded": float(res[0]), "lower_bounded": float(res[1]), "upper_bounded": float(res[2]),
            "strata_bounded": int(acc["strata"] - k),
            "left_out": [{"stratum": x["name"], "observed": float(np.mean(x["observed"])),
                          "draws_unbounded": int(x["n_inf"]), "draws": int(x["draws"].size),
                          "interval_unbounded": bool(x["unbounded"])} for x in gone]}
