"""The few distribution functions darkfigure needs, from ``scipy.special`` (no ``scipy.stats`` import).

``import scipy.stats`` costs 0.4–0.9 s per process (it builds hundreds of distribution
objects and parses their docstrings), more than a whole 3-list estimate. The functions
used on the estimate path — chi-square tail and quantile, normal quantile and distribution
function, Poisson log-probability — are thin wrappers of ``scipy.special`` ufuncs in
scipy.stats itself (``chi2._sf = chdtrc``, ``chi2._ppf = 2 gammaincinv(df/2, p)``,
``norm._ppf = ndtri``, ``norm._cdf = ndtr``, ``poisson._logpmf = xlogy(k, mu) - gammaln(k + 1) - mu``),
so these give the same numbers (the ufuncs come through :mod:`darkfigure._special`, which skips
``scipy.special``'s costly ``__init__``). Use as ``from darkfigure import _dist as stats`` and call
``stats.chi2.sf(x, df)`` as with scipy.stats; outside the support they return what
scipy.stats returns (NaN for invalid parameters).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import _special as sc

__all__ = ["chi2", "norm", "poisson"]


def _scalar(v):
    """A 0-d result as a float (as scipy.stats returns numpy scalars for scalar input)."""
    v = np.asarray(v, dtype=float)
    return v[()] if v.ndim == 0 else v


def _chi2_sf(x, df):
    """Upper tail P(X > x) of chi-square with `df` > 0 degrees of freedom; NaN for df <= 0."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    with np.errstate(invalid="ignore"):
        out = np.where(x < 0, 1.0, sc.chdtrc(df, np.maximum(x, 0.0)))
    out = np.where((df > 0) & ~np.isnan(x), out, np.nan)
    return _scalar(out)


def _chi2_ppf(q, df):
    """Quantile of chi-square: 0 at q = 0, inf at q = 1, NaN outside [0, 1] or for df <= 0."""
    q, df = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(df, dtype=float))
    with np.errstate(invalid="ignore"):
        out = np.where(q >= 1, np.inf, 2.0 * sc.gammaincinv(df / 2.0, np.clip(q, 0.0, 1.0)))
    out = np.where((df > 0) & (q >= 0) & (q <= 1), out, np.nan)
    return _scalar(out)


def _norm_ppf(q):
    """Standard normal quantile (``ndtri``): -inf at 0, inf at 1, NaN outside [0, 1]."""
    return _scalar(sc.ndtri(np.asarray(q, dtype=float)))


def _norm_cdf(x):
    """Standard normal distribution function (``ndtr``)."""
    return _scalar(sc.ndtr(np.asarray(x, dtype=float)))


def _poisson_logpmf(k, mu):
    """log P(K = k) for Poisson(mu), mu > 0: -inf off the non-negative integers."""
    k, mu = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(mu, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sc.xlogy(k, mu) - sc.gammaln(k + 1) - mu
    out = np.where((k >= 0) & (k == np.floor(k)), out, -np.inf)
    out = np.where(mu >= 0, out, np.nan)
    return _scalar(out)


chi2 = SimpleNamespace(sf=_chi2_sf, ppf=_chi2_ppf)
norm = SimpleNamespace(ppf=_norm_ppf, cdf=_norm_cdf)
poisson = SimpleNamespace(logpmf=_poisson_logpmf)
