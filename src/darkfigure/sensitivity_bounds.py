"""Bounds on N under a bounded identifying assumption, on the same basis as the headline interval.

:func:`darkfigure.sensitivity.sensitivity` moves N̂ with psi (the k-way list interaction relaxed, see its module
docstring). For a model average (``ci="averaged"``) its range ``[N̂(psi_lo), N̂(psi_hi)]`` is the average's, while the
Sun et al. (2020) profile-likelihood bounds are the chosen model's: in tester report 13a (F2) they printed
"N̂ from 1,464 to 2,537 … 95% bounds 1,256 – 1,997", bounds narrower than the range, with the headline N̂ outside
them in 9 of 100 populations. :func:`averaged_bounds` gives the bounds of the headline interval instead.

Every model of the average scales its unobserved cells by psi, so each bootstrap replicate's N̂* becomes
``n + psi (N̂* - n)``: a monotone map of N̂*, whose percentiles are the interval's limits mapped alike
(exact with n fixed; the bootstrap's n* varies a little around n, which this neglects). The union over psi in
``[lo, hi]`` is then ``[n + lo (L - n), n + hi (U - n)]`` for the headline interval ``[L, U]``: it contains the range
and N̂ whenever ``lo <= 1 <= hi`` and ``L <= N̂ <= U``.
"""

from __future__ import annotations

import math

__all__ = ["averaged_bounds", "contain_range"]


def averaged_bounds(lower: float, upper: float, n_observed: int, lo: float, hi: float) -> list[float] | None:
    """The headline interval's limits moved by psi at the ends of the range: ``[n + lo (L - n), n + hi (U - n)]``.

    Parameters
    ----------
    lower, upper : float
        The headline interval (persons); ``upper`` may be +inf (no upper limit).
    n_observed : int
        Persons observed (n).
    lo, hi : float
        The range of psi, ``0 < lo <= hi``.

    Returns
    -------
    [lower bound, upper bound] in persons (the upper +inf when ``upper`` is), or None when the interval is missing
    (NaN) or its lower limit is not finite.
    """
    if lower is None or upper is None or math.isnan(lower) or math.isnan(upper) or not math.isfinite(lower):
        return None
    n = float(n_observed)
    low = n + lo * max(float(lower) - n, 0.0)
    high = math.inf if not math.isfinite(upper) else n + hi * max(float(upper) - n, 0.0)
    return [float(low), float(high)]


def contain_range(conf: list[float] | None, low: float, high: float, nhat: float) -> list[float] | None:
    """`conf` widened, when needed, to contain the range ``[low, high]`` and N̂: bounds with sampling error never
    narrower than the range without it (tester report 13a, F2). None stays None."""
    if conf is None:
        return None
    return [float(min(conf[0], low, nhat)), float(max(conf[1], high, nhat))]
