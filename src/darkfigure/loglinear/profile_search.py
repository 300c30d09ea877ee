"""The result of a profile-likelihood interval for N and the search that finds it.

:class:`ProfileInterval`, the search for the maximum and the lower and upper limits of
the profile l(N) (:func:`_search`) and their assembly into the result
(:func:`make_interval`); :mod:`darkfigure.loglinear.profile` describes the method and
prepares the design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._dist import chi2
from .profile_engine import _ProfileEngine, _safe_newton

_CORRECTIONS = ("rcapture", "exact")


@dataclass(frozen=True)
class ProfileInterval:
    """A multinomial profile-likelihood interval for the population size N.

    Attributes
    ----------
    low : float
        Lower limit (persons). Equal to `n_observed` when the profile does not fall
        below the cut-off between n and the maximum (``lower_bounded`` False).
    high : float
        Upper limit (persons); ``inf`` when the profile stays above the cut-off up to
        `search_limit` (``upper_bounded`` False).
    nhat_multinomial : float
        Maximiser of the profile likelihood, the multinomial MLE of N (Rcapture's
        ``CI[, "abundance"]``); ``inf`` when the profile only approaches its supremum
        as N grows (a model that does not identify N, see ``allow_not_identified``).
    level : float
        Confidence level, e.g. 0.95.
    upper_bounded, lower_bounded : bool
        Whether the profile crossed the cut-off above (below) the maximum.
    message : str
        Plain-language summary, including why a limit is missing.
    nhat_poisson : float
        The Poisson (conditional) MLE n + sum of fitted hidden cells (``inf`` if it does
        not exist).
    n_observed : int
        Persons observed, n.
    loglik_max : float
        Maximum (or supremum) of the profile log-likelihood, on Rcapture's scale
        ``-D/2 + ct``.
    cutoff : float
        ``loglik_max - chi2_1(level) / 2``.
    search_limit : float
        Largest N examined for the upper limit.
    correction : str
        ``"rcapture"`` (Stirling's approximation above N = 100) or ``"exact"``.
    n_evaluations : int
        Number of profile evaluations (augmented Poisson fits).
    method : str
        Name of the method, for reports.
    """

    low: float
    high: float
    nhat_multinomial: float
    level: float
    upper_bounded: bool
    lower_bounded: bool
    message: str
    nhat_poisson: float
    n_observed: int
    loglik_max: float
    cutoff: float
    search_limit: float
    correction: str = "rcapture"
    n_evaluations: int = 0
    method: str = "multinomial profile likelihood (Cormack 1992)"

    @property
    def confidence_interval(self) -> tuple[float, float]:
        """``(low, high)``; ``high`` is ``inf`` when there is no upper limit."""
        return (self.low, self.high)

    def __str__(self) -> str:
        hi = f"{self.high:.1f}" if self.upper_bounded else f">{self.search_limit:.6g}"
        lo = f"{self.low:.1f}" if self.lower_bounded else f"{self.low:.0f} (n)"
        return f"N {self.nhat_multinomial:.1f}, {100 * self.level:g}% profile interval [{lo}, {hi}]"


# ----------------------------------------------------------------------------------------
# the interval


def _validate(level: float, max_factor: float, correction: str) -> None:
    if not (0 < level < 1):
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    if not (max_factor > 1):
        raise ValueError(f"max_factor must be > 1 (the upper search goes to max_factor x n); got {max_factor!r}")
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be one of {_CORRECTIONS}; got {correction!r}")


def _search(engine: _ProfileEngine, nhat_poisson: float, level: float, max_factor: float) -> ProfileInterval:
    """Maximum, lower and upper limit of the profile (see the module docstring)."""
    n = engine.n
    q = float(chi2.ppf(level, 1)) / 2.0
    cap = max(max_factor * n, 3.0 * nhat_poisson) if np.isfinite(nhat_poisson) else max_factor * n
    notes: list[str] = []

    # ---- maximum: l'(N) = 0 between n (+1 where Stirling's form is singular) and N-hat
    lo = lo0 = n + 1.0 if engine.correction == "rcapture" else n
    l_lo, d_lo, dd_lo = engine(lo)
    attained = True
    if not np.isfinite(nhat_poisson) or nhat_poisson <= lo:
        hi = max(2.0 * lo, lo + 10.0) if not np.isfinite(nhat_poisson) else lo
    else:
        hi = nhat_poisson
    if hi > lo:
        l_hi, d_hi, dd_hi = engine(hi)
        while d_hi > 0 and d_lo > 0:
            if hi >= cap:
                attained = False
                break
            lo, l_lo, d_lo, dd_lo = hi, l_hi, d_hi, dd_hi
            hi = min(2.0 * hi, cap)
            l_hi, d_hi, dd_hi = engine(hi)
    if d_lo <= 0 or hi <= lo:
        # the profile decreases from n on: the maximum is at the boundary
        l_n = engine(n)[0]
        nmax, lmax, dd_max = (n, l_n, math.nan) if l_n >= l_lo else (lo, l_lo, dd_lo)
        boundary = True
    elif attained:
        nmax = _safe_newton(lambda v: engine(v)[1:], lo, d_lo, dd_lo, hi, d_hi, dd_hi)
        lmax, _, dd_max = engine(nmax)
        boundary = False
    else:
        # still rising at the cap: the supremum is approached as N -> infinity, with
        # l(N) ~ l_inf - c / N; Richardson extrapolation from 10 and 100 times the cap
        # (far enough for c / N to be small, near enough to avoid the cancellation
        # that makes l(N) noisy beyond ~1e9: Rcapture's value at N ~ 1e13 is off by ~0.02)
        big1, big2 = cap * 10.0, cap * 100.0
        l1, l2 = engine(big1)[0], engine(big2)[0]
        lmax = max(l2 + (l2 - l1) * big1 / (big2 - big1), l2, l_hi)
        nmax, dd_max, boundary = math.inf, math.nan, False
        notes.append(
            "the profile likelihood rises towards its supremum as N grows without bound "
            "(the model does not identify N)"
        )
    cut = lmax - q
    fcut = lambda v: (lambda r: (r[0] - cut, r[1]))(engine(v))  # noqa: E731

    if np.isfinite(dd_max) and dd_max < 0:
        scale = 1.0 / math.sqrt(-dd_max)
    else:
        scale = max((min(nmax, cap) - n) / 4.0, 1.0)

    # ---- lower limit
    lower_bounded = False
    low = n
    if boundary:
        notes.append("the profile is highest at N = n: the lower limit is the number observed")
    else:
        f_n = engine(n)[0] - cut
        if f_n >= 0:
            notes.append("the profile stays above the cut-off down to N = n: the lower limit is the number observed")
        else:
            b = nmax if np.isfinite(nmax) else cap
            fb, db = (lmax - cut, 0.0) if np.isfinite(nmax) else fcut(cap)
            floor = lo0 if engine.correction == "rcapture" else n
            step = 2.5 * scale if np.isfinite(nmax) else None
            while True:
                a = b - step if step is not None else b / 2.0
                if a <= floor:
                    a, (fa, da) = n, (f_n, math.nan)
                    break
                fa, da = fcut(a)
                if fa < 0:
                    break
                b, fb, db = a, fa, da
                if step is not None:
                    step *= 2.0
            low = _safe_newton(fcut, a, fa, da, b, fb, db)
            lower_bounded = True

    # ---- upper limit
    upper_bounded = False
    high = math.inf
    if np.isfinite(nmax):
        a, fa, da = nmax, lmax - cut, 0.0
        step = 3.0 * scale
        while True:
            b = min(nmax + step, cap)
            fb, db = fcut(b)
            if fb < 0:
                high = _safe_newton(fcut, a, fa, da, b, fb, db)
                upper_bounded = True
                break
            if b >= cap:
                notes.append(
                    f"no upper limit below {cap:.6g}: the profile stays above the cut-off up to "
                    f"max_factor x n (raise max_factor to look further)"
                )
                break
            a, fa, da = b, fb, db
            step *= 2.0

    return make_interval(
        low=low, high=high, nmax=nmax, level=level, upper_bounded=upper_bounded, lower_bounded=lower_bounded,
        notes=notes, nhat_poisson=nhat_poisson, n=n, lmax=lmax, cut=cut, cap=cap, correction=engine.correction,
        n_evaluations=engine.n_evaluations,
    )


def make_interval(
    *, low, high, nmax, level, upper_bounded, lower_bounded, notes, nhat_poisson, n, lmax, cut, cap, correction,
    n_evaluations, method: str | None = None,
) -> ProfileInterval:
    """Assemble a :class:`ProfileInterval` and its one-line message from a finished profile search.

    Shared by the log-linear profile (this module) and the heterogeneity models' own search
    (:mod:`darkfigure.heterogeneity`), so both report limits the same way.
    """
    pct = f"{100 * level:g}%"
    if upper_bounded:
        hs = f"{high:.1f}"
    elif np.isfinite(nmax):
        hs = f"no upper limit below {cap:.6g}"
    else:
        hs = "no upper limit"
    head = f"{pct} profile-likelihood interval [{low:.1f}{'' if lower_bounded else ' (= n)'}, {hs}]"
    extra = {} if method is None else {"method": method}
    return ProfileInterval(
        low=float(low),
        high=float(high),
        nhat_multinomial=float(nmax),
        level=float(level),
        upper_bounded=upper_bounded,
        lower_bounded=lower_bounded,
        message="; ".join([head] + list(notes)),
        nhat_poisson=float(nhat_poisson),
        n_observed=int(round(n)),
        loglik_max=float(lmax),
        cutoff=float(cut),
        search_limit=float(cap),
        correction=correction,
        n_evaluations=n_evaluations,
        **extra,
    )
