"""Kaplan-Meier and Aalen-Johansen estimates with log-log intervals, for the repeat-victimisation tables.

:func:`kaplan_meier` (the share victimised again within k years, right-censored at the
end of follow-up; Greenwood variance, log-log interval) and :func:`aalen_johansen` (the
cumulative incidence of the first later offence of each kind, competing risks; Aalen &
Johansen 1978, delta-method variance). Used by
:func:`darkfigure.monitoring.revictimisation.revictimisation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

# ----------------------------------------------------------------------------------------------------------------------
# the statistics


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (got {level})")
    return NormalDist().inv_cdf(0.5 + level / 2)


def _loglog_interval(cumulative: np.ndarray, var_ratio: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval of F = 1 - S on the log(-log S) scale, from Var(Ŝ)/Ŝ² (Greenwood's sum).

    S^exp(±zσ) with σ = sqrt(var_ratio) / |log S|; NaN where S is 0 or 1 (no interval on
    that scale) or the variance is infinite.
    """
    s = 1.0 - np.asarray(cumulative, dtype=float)
    v = np.asarray(var_ratio, dtype=float)
    ok = (s > 0) & (s < 1) & np.isfinite(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(v) / np.abs(np.log(s))
        s_low = s ** np.exp(z * sigma)  # the lower limit of S gives the upper limit of F
        s_high = s ** np.exp(-z * sigma)
    return np.where(ok, 1.0 - s_high, np.nan), np.where(ok, 1.0 - s_low, np.nan)


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier curve of the cumulative share with an event, F(t) = 1 - S(t).

    Attributes
    ----------
    time : ndarray of float, shape (m,)
        The distinct event times t_j (years), increasing.
    at_risk : ndarray of int, shape (m,)
        n_j, persons with observed time >= t_j (a person censored at t_j is at risk at t_j).
    events : ndarray of int, shape (m,)
        d_j, events at t_j.
    cumulative : ndarray of float, shape (m,)
        F(t_j) = 1 - prod_{i<=j} (1 - d_i / n_i).
    greenwood : ndarray of float, shape (m,)
        Greenwood's sum sum_{i<=j} d_i / (n_i (n_i - d_i)) = Var(Ŝ(t_j)) / Ŝ(t_j)² (inf once Ŝ = 0).
    lower, upper : ndarray of float, shape (m,)
        The log(-log) interval of F(t_j) at `level` (NaN where undefined).
    observed : ndarray of float, shape (n,)
        Every person's observed time (event or censoring), sorted.
    level : float
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    cumulative: np.ndarray
    greenwood: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    observed: np.ndarray = field(repr=False)
    level: float = 0.95

    @property
    def persons(self) -> int:
        """Number of persons n."""
        return int(self.observed.size)

    def at_risk_at(self, k: float) -> int:
        """Persons still followed (observed time >= k) at time k."""
        return int(self.observed.size - np.searchsorted(self.observed, k, side="left"))

    def at(self, k: float) -> tuple[float, float, float]:
        """(F(k), lower, upper): the step function at time k (years).

        F(k) is NaN ("not estimable") when nobody is followed up to k and Ŝ has not
        reached 0: the product-limit estimate is undefined beyond the largest observed
        time unless that time is an event emptying the risk set. With no event by k,
        F(k) = 0 and the log(-log) interval is undefined (NaN).
        """
        j = int(np.searchsorted(self.time, k, side="right")) - 1
        if j < 0:
            f, gw = 0.0, 0.0
        else:
            f, gw = float(self.cumulative[j]), float(self.greenwood[j])
        if self.at_risk_at(k) == 0 and f < 1.0:
            return float("nan"), float("nan"), float("nan")
        lo, hi = _loglog_interval(np.array([f]), np.array([gw]), _z(self.level))
        return f, float(lo[0]), float(hi[0])


def kaplan_meier(time: np.ndarray, event: np.ndarray, *, level: float = 0.95) -> KaplanMeier:
    """Kaplan–Meier estimate of F(t) = P(T <= t) with Greenwood's variance and the log(-log) interval.

    Product limit (Kaplan & Meier 1958): Ŝ(t) = prod_{t_j <= t} (1 - d_j / n_j), at the
    distinct event times t_j with d_j events and n_j persons at risk (observed time >= t_j;
    censoring at t_j counts as after the events at t_j). Greenwood (1926):
    Var(Ŝ(t)) = Ŝ(t)² sum_{t_j <= t} d_j / (n_j (n_j - d_j)).

    Interval on the log(-log) scale (Kalbfleisch & Prentice 2002, ch. 1; "exponential Greenwood"):
    by the delta method Var(log(-log Ŝ(t))) = sum_{t_j<=t} d_j/(n_j(n_j-d_j)) / (log Ŝ(t))²,
    so with σ(t) its square root and z the normal quantile,

        Ŝ(t)^exp(+zσ(t)) <= S(t) <= Ŝ(t)^exp(-zσ(t)),

    which stays within (0, 1); the interval of F = 1 - S is 1 minus these limits.

    Parameters
    ----------
    time : array of float, shape (n,)
        Observed time of each person (event or censoring), >= 0, any unit (years here).
    event : array of bool, shape (n,)
        True for an event at `time`, False for censoring.
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    KaplanMeier

    Raises
    ------
    ValueError
        Shapes differ, negative or non-finite times, level outside (0, 1).
    """
    t = np.asarray(time, dtype=float).ravel()
    e = np.asarray(event, dtype=bool).ravel()
    if t.shape != e.shape:
        raise ValueError(f"time and event have different lengths ({t.size} and {e.size})")
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("times must be finite and non-negative")
    z = _z(level)
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq, first = np.unique(t, return_index=True)
    inv = np.searchsorted(uniq, t)
    d = np.bincount(inv, weights=e, minlength=uniq.size).astype(np.int64)
    n = t.size - first  # persons with observed time >= each distinct time
    keep = d > 0
    tj, nj, dj = uniq[keep], n[keep].astype(np.int64), d[keep]
    surv = np.cumprod(1.0 - dj / nj)
    with np.errstate(divide="ignore"):
        gw = np.cumsum(np.where(nj > dj, dj / (nj * np.maximum(nj - dj, 1)), np.inf))
    cum = 1.0 - surv
    lo, hi = _loglog_interval(cum, gw, z)
    return KaplanMeier(tj, nj, dj, cum, gw, lo, hi, t, level)


def aalen_johansen(
    time: np.ndarray, kind: np.ndarray, n_kinds: int, k: float, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Aalen–Johansen cumulative incidence of each kind of first event at time k (competing risks).

    F_j(k) = sum_{t_i <= k} Ŝ(t_{i-1}) d_ji / n_i, with Ŝ the Kaplan–Meier survival from any
    event and d_ji the events of kind j at t_i (Aalen & Johansen 1978); sum_j F_j = 1 - Ŝ.
    Variance by the delta method, treating (d_1i, ..., d_Ji) given n_i as multinomial and
    increments at distinct times as uncorrelated (Marubini & Valsecchi 1995, ch. 10):

        Var F_j(k) = sum_{t_i<=k} [ (F_j(k) - F_j(t_i))² d_i / (n_i (n_i - d_i))
                                   + Ŝ(t_{i-1})² d_ji (n_i - d_ji) / n_i³
                                   - 2 (F_j(k) - F_j(t_i)) Ŝ(t_{i-1}) d_ji / n_i² ].

    With one kind this is Greenwood's variance of 1 - Ŝ. The interval uses the same
    log(-log(1 - F)) scale as :func:`kaplan_meier` (so both agree for one kind).

    Parameters
    ----------
    time : array of float, shape (n,)
        Time to the first event of any kind, or to censoring.
    kind : array of int, shape (n,)
        0..n_kinds-1 for the kind of the first event, -1 for censoring.
    n_kinds : int
    k : float
        The time at which the cumulative incidences are wanted.
    level : float

    Returns
    -------
    (events, cumulative, lower, upper) : ndarrays of shape (n_kinds,)
        Events of each kind up to k, F_j(k) and its interval (NaN when nobody is at risk
        at k, or where the interval is undefined).
    """
    t = np.asarray(time, dtype=float).ravel()
    c = np.asarray(kind, dtype=np.int64).ravel()
    z = _z(level)
    order = np.argsort(t, kind="stable")
    t, c = t[order], c[order]
    uniq, first = np.unique(t, return_index=True)
    inv = np.searchsorted(uniq, t)
    n = (t.size - first).astype(float)
    dj = np.zeros((uniq.size, n_kinds))
    ev = c >= 0
    np.add.at(dj, (inv[ev], c[ev]), 1.0)
    d = dj.sum(axis=1)
    sel = (d > 0) & (uniq <= k)
    n, d, dj = n[sel], d[sel], dj[sel]
    events = dj.sum(axis=0).astype(np.int64)
    if not np.any(sel):
        f = np.zeros(n_kinds)
        nan = np.full(n_kinds, np.nan)
        if t.size - np.searchsorted(t, k, side="left") == 0:
            return events, nan, nan, nan
        return events, f, nan, nan
    s = np.cumprod(1.0 - d / n)
    s_before = np.concatenate([[1.0], s[:-1]])
    inc = s_before[:, None] * dj / n[:, None]
    f_at = np.cumsum(inc, axis=0)  # F_j(t_i)
    f = f_at[-1]
    rest = f[None, :] - f_at  # F_j(k) - F_j(t_i), zero once Ŝ = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(n > d, d / (n * (n - d)), 0.0)[:, None]
        var = (rest**2 * g + s_before[:, None] ** 2 * dj * (n[:, None] - dj) / n[:, None] ** 3
               - 2 * rest * s_before[:, None] * dj / n[:, None] ** 2).sum(axis=0)
        var = np.maximum(var, 0.0)
        # on the scale of log(-log(1 - F)): Var = Var F / ((1 - F) log(1 - F))², given as Var/(1-F)² to the helper
        ratio = var / (1.0 - f) ** 2
    lo, hi = _loglog_interval(f, ratio, z)
    if t.size - np.searchsorted(t, k, side="left") == 0 and s[-1] > 0:
        nan = np.full(n_kinds, np.nan)
        return events, nan, nan, nan
    return events, f, lo, hi
