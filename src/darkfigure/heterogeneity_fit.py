"""The fitting machinery of the heterogeneity models, as R and Rcapture compute it.

R's ``glm.fit`` for the Poisson family (IRLS with R's convergence rule, so that
iteration counts and warnings match), Chao's negative-eta removal (``neg``), the
asymptotic bias, Rcapture's ``infoFit`` code, and the multinomial profile-likelihood
interval of ``closedpCI.t`` with Cormack's ct term. Used by
:func:`darkfigure.heterogeneity.fit_heterogeneity`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._dist import chi2  # without importing scipy.stats (0.4–0.9 s per process)
from ._special import gammaln, xlogy
from .loglinear.profile import ProfileInterval, make_interval

_DBL_EPS = float(np.finfo(float).eps)


# ----------------------------------------------------------------------------------------
# R's glm.fit for the Poisson family


@dataclass
class _Glm:
    coef: np.ndarray
    mu: np.ndarray
    deviance: float
    converged: bool
    iterations: int
    cov_unscaled: np.ndarray
    loglik: float
    warnings: list[str]


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    pos = y > 0
    return float(2.0 * (np.sum(y[pos] * np.log(y[pos] / mu[pos])) - np.sum(y - mu)))


def _glm_poisson(x: np.ndarray, y: np.ndarray, *, maxit: int = 25, epsilon: float = 1e-8) -> _Glm:
    """Poisson log-link fit exactly as R's ``glm.fit`` (same start, steps and stopping rule).

    The design is full rank here (every heterogeneity design is), so R's pivoting QR and
    a plain QR give the same coefficients.
    """
    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _deviance(y, mu)
    converged = False
    r = np.eye(x.shape[1])
    coef = np.zeros(x.shape[1])
    dev = dev_old
    iterations = 0
    for _ in range(maxit):
        iterations += 1
        z = eta + (y - mu) / mu
        w = np.sqrt(mu)
        q, r = np.linalg.qr(x * w[:, None])
        coef = np.linalg.solve(r, q.T @ (z * w))
        eta = x @ coef
        mu = np.maximum(np.exp(np.minimum(eta, 700.0)), _DBL_EPS)
        dev = _deviance(y, mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        dev_old = dev
    rinv = np.linalg.inv(r)
    warnings = []
    if not converged:
        warnings.append("glm: algorithm did not converge")
    if np.any(mu < 10 * _DBL_EPS):
        warnings.append("glm: fitted rates numerically 0 occurred")
    loglik = float(np.sum(xlogy(y, mu) - mu - gammaln(y + 1)))
    return _Glm(coef, mu, dev, converged, iterations, rinv @ rinv.T, loglik, warnings)


def _fit_with_neg(
    x: np.ndarray, names: list[str], y: np.ndarray, nca: int, neg: bool, **glm_args
) -> tuple[_Glm, np.ndarray, list[str], list[str], list[str]]:
    """Fit, then (Chao models, ``neg``) remove negative eta one at a time (Rcapture ``Chao.neg``).

    Returns the final fit, its design and names, the removed names and R's warnings
    (those of the first fit, then those of each refit).
    """
    fit = _glm_poisson(x, y, **glm_args)
    r_warnings = list(fit.warnings)
    removed: list[str] = []
    if not neg:
        return fit, x, names, removed, r_warnings
    while x.shape[1] > nca:
        negative = np.flatnonzero(fit.coef[nca:] < 0)
        if negative.size == 0:
            break
        j = nca + int(negative[0])
        removed.append(names[j])
        x = np.delete(x, j, axis=1)
        names = names[:j] + names[j + 1:]
        fit = _glm_poisson(x, y, **glm_args)
        r_warnings.extend(f"after removing {removed[-1]}: {w}" for w in fit.warnings)
    return fit, x, names, removed, r_warnings


def _asymptotic_bias(x: np.ndarray, fit: _Glm) -> float:
    """First-order bias of N-hat (Rcapture ``closedp.fitone``)."""
    v = fit.cov_unscaled
    lev = np.einsum("ij,jk,ik->i", x, v, x)
    psi = x.T @ (fit.mu * lev)
    psi[0] -= 1.0
    return float(0.5 * math.exp(fit.coef[0]) * (-(v @ psi))[0])


def _info_code(r_warnings: Sequence[str]) -> int:
    """Rcapture's ``infoFit`` from its warning messages (``getInfo``)."""
    if not r_warnings:
        return 0
    codes = set()
    for w in r_warnings:
        if "converge" in w or "the asymptotic bias is large" in w:
            codes.add(1)
        elif "design matrix not of full rank" in w:
            codes.add(2)
        else:
            codes.add(3)
    return int("".join(str(c) for c in sorted(codes)))


# ----------------------------------------------------------------------------------------
# the profile likelihood interval


def _ct(big_n: float, n0: float, correction: str) -> float:
    """Cormack's correction term (Rcapture: Stirling's form when N > 100)."""
    if correction == "rcapture" and big_n > 100:
        if n0 == 0 or n0 == 1:
            return -big_n + 0.5 * math.log(2 * math.pi * big_n)
        return n0 - big_n - 0.5 * math.log(n0 / big_n)
    return float(xlogy(n0, n0) + gammaln(big_n + 1) - xlogy(big_n, big_n) - gammaln(n0 + 1))


def _profile(
    loglik: Callable[[float], float],
    n: float,
    nhat: float,
    level: float,
    max_factor: float,
    correction: str,
    method: str,
) -> ProfileInterval:
    """Maximum and limits of a profile log-likelihood l(N) on N >= n.

    As Rcapture's ``closedpCI.internal``: the maximum by Brent's method on ``[n, 3 N-hat]``;
    the lower limit is n when the profile stays above the cut-off down to n; the upper
    limit is searched up to ``max(max_factor * n, 3 N-hat)`` instead of ``3 N-hat``.
    """
    # scipy.optimize (~0.2 s of CPU to import) only where a profile interval is searched: the model checks
    # fit Chao's Mth without an interval in every estimate
    from scipy.optimize import brentq, minimize_scalar

    q = float(chi2.ppf(level, 1)) / 2.0
    evals = [0]

    def ll(v: float) -> float:
        """Profile log-likelihood at N, counting evaluations."""
        evals[0] += 1
        return loglik(v)

    # Stirling's form of ct is singular as n0 -> 0 (it tends to +inf), so with it the
    # search starts at n + 1, as in darkfigure.loglinear.profile
    floor = n + 1.0 if (correction == "rcapture" and n + 1.0 > 100) else n
    top = max(3.0 * nhat, floor + 1.0)
    cap = max(max_factor * n, top)
    res = minimize_scalar(lambda v: -ll(v), bounds=(floor, top), method="bounded",
                          options={"xatol": 1e-10 * top})
    nmax, lmax = float(res.x), -float(res.fun)
    l_floor = ll(floor)
    notes = []
    if l_floor >= lmax:
        nmax, lmax = floor, l_floor
        notes.append("the profile is highest at N = n")
    cut = lmax - q
    xtol = 1e-10 * max(nmax, 1.0)

    def f(v: float) -> float:
        """Objective for the optimiser (negative profile log-likelihood)."""
        return ll(v) - cut

    if nmax <= floor or l_floor - cut >= 0:
        low, lower_bounded = n, False
        notes.append("the profile stays above the cut-off down to N = n: the lower limit is the number observed")
    else:
        low, lower_bounded = float(brentq(f, floor, nmax, xtol=xtol, rtol=1e-13)), True
    a, step = nmax, max(nmax - floor, 1.0)
    high, upper_bounded = math.inf, False
    while True:
        b = min(a + step, cap)
        if f(b) < 0:
            high, upper_bounded = float(brentq(f, a, b, xtol=xtol, rtol=1e-13)), True
            break
        if b >= cap:
            notes.append(
                f"no upper limit below {cap:.6g}: the profile stays above the cut-off up to "
                "max(max_factor x n, 3 N-hat) (raise max_factor to look further)"
            )
            break
        a, step = b, 2.0 * step
    return make_interval(
        low=low, high=high, nmax=nmax, level=level, upper_bounded=upper_bounded, lower_bounded=lower_bounded,
        notes=notes, nhat_poisson=nhat, n=n, lmax=lmax, cut=cut, cap=cap, correction=correction,
        n_evaluations=evals[0], method=method,
    )


def _profile_loglik(
    x_full: np.ndarray, names_full: list[str], y: np.ndarray, nca: int, neg: bool, correction: str
) -> Callable[[float], float]:
    """l(N) = -D(N)/2 + ct(N), refitting the augmented table (and its negative eta) at each N."""
    n = float(y.sum())
    hidden = np.zeros((1, x_full.shape[1]))
    hidden[0, 0] = 1.0
    xa = np.vstack([x_full, hidden])

    def loglik(big_n: float) -> float:
        """Profile log-likelihood of N (Rcapture closedpCI.t)."""
        n0 = big_n - n
        ya = np.append(y, n0)
        fit = _fit_with_neg(xa, names_full, ya, nca, neg, maxit=100, epsilon=1e-11)[0]
        return -0.5 * fit.deviance + _ct(big_n, n0, correction)

    return loglik
