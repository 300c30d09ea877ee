"""The engine of the multinomial profile likelihood of N (Rcapture's ``closedpCI.t``).

:class:`_ProfileEngine` evaluates the profile log-likelihood of N and its derivative
for one log-linear design (a constrained Poisson fit at each N, warm-started, with
Cormack's ct term), and :func:`_safe_newton` finds where it crosses the chi-square
cut-off (safeguarded Newton on a bracket). The interval around them is built in
:mod:`darkfigure.loglinear.profile`, which describes the method.
"""

from __future__ import annotations

import math

import numpy as np

from .._special import gammaln, polygamma, psi, xlogy
from ._lp import load_scipy_extension
from .fit import irls_poisson


def cho_factor(a: np.ndarray, check_finite: bool = False) -> tuple[np.ndarray, bool]:
    """``scipy.linalg.cho_factor(a, check_finite=False)``: the same LAPACK call (dpotrf, upper, not cleaned) on a
    square float64 array, without importing scipy.linalg (0.045 s of CPU per process; other input: scipy's own).

    Raises numpy.linalg.LinAlgError when `a` is not positive definite, as scipy does."""
    a1 = np.asarray(a)
    if check_finite or a1.dtype != np.float64 or a1.ndim != 2 or a1.shape[0] != a1.shape[1] or a1.size == 0:
        from scipy.linalg import cho_factor as scipy_cho_factor

        return scipy_cho_factor(a, check_finite=check_finite)
    c, info = load_scipy_extension("scipy.linalg._flapack").dpotrf(a1, lower=False, overwrite_a=False, clean=False)
    if info > 0:
        raise np.linalg.LinAlgError(f"{info}-th leading minor of the array is not positive definite")
    if info < 0:
        raise ValueError(f'LAPACK reported an illegal value in {-info}-th argument on entry to "POTRF".')
    return c, False


def cho_solve(c_and_lower: tuple[np.ndarray, bool], b: np.ndarray, check_finite: bool = False) -> np.ndarray:
    """``scipy.linalg.cho_solve(c_and_lower, b, check_finite=False)`` by the same LAPACK call (dpotrs) for
    float64 `b` of shape (P,) or (P, m), without importing scipy.linalg (other input: scipy's own)."""
    c, lower = c_and_lower
    b1 = np.asarray(b)
    if check_finite or b1.dtype != np.float64 or b1.ndim not in (1, 2) or b1.size == 0 or c.shape[1] != b1.shape[0]:
        from scipy.linalg import cho_solve as scipy_cho_solve

        return scipy_cho_solve(c_and_lower, b, check_finite=check_finite)
    x, info = load_scipy_extension("scipy.linalg._flapack").dpotrs(c, b1, lower=lower, overwrite_b=b1 is not b)
    if info != 0:
        raise ValueError(f"illegal value in {-info}th argument of internal potrs")
    return x

# ----------------------------------------------------------------------------------------
# profile evaluation


class _ProfileEngine:
    """Profile log-likelihood l(N) of one design, with warm-started Newton fits.

    Parameters
    ----------
    x : ndarray of shape (m, p)
        Design of the observable cells in the likelihood (full column rank).
    y : ndarray of shape (m,)
    x0 : ndarray of shape (s, p)
        Design rows of the hidden cells (one per stratum), pooled into one pseudo-cell.
    correction : {"rcapture", "exact"}
    offset0 : float
        Offset added to the hidden cells' linear predictor (log psi of
        :mod:`darkfigure.sensitivity`: the identifying assumption relaxed); 0 by default.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, x0: np.ndarray, correction: str, offset0: float = 0.0) -> None:
        self.x = np.ascontiguousarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.x0 = np.ascontiguousarray(x0, dtype=float)
        self.offset0 = float(offset0)
        self.n = float(self.y.sum())
        self.correction = correction
        self._ylogy = float(np.sum(xlogy(self.y, self.y)))
        self._cache_n0: list[float] = []
        self._cache_beta: list[np.ndarray] = []
        self._cache_tangent: list[np.ndarray] = []
        self.n_evaluations = 0

    # -- the correction term ct(N) and the parts of its derivatives ------------------
    def _ct(self, big_n: float, n0: float) -> tuple[float, float, float]:
        """ct(N), and q1, q2 such that l' = log M0 + q1 and l'' = g'J^-1 g + q2."""
        if self.correction == "rcapture" and big_n > 100:
            if n0 == 0 or n0 == 1:
                ct = -big_n + 0.5 * math.log(2 * math.pi * big_n)
            else:
                ct = n0 - big_n - 0.5 * math.log(n0 / big_n)
            if n0 > 0:
                q1 = -math.log(n0) - 0.5 * (1 / n0 - 1 / big_n)
                q2 = -1 / n0 + 0.5 / n0**2 - 0.5 / big_n**2
            else:
                q1 = q2 = math.nan
            return ct, q1, q2
        ct = float(xlogy(n0, n0) + gammaln(big_n + 1) - big_n * math.log(big_n) - gammaln(n0 + 1))
        q1 = float(-math.log(big_n) + psi(big_n + 1) - psi(n0 + 1))
        q2 = float(-1 / big_n + polygamma(1, big_n + 1) - polygamma(1, n0 + 1))
        return ct, q1, q2

    # -- the augmented Poisson fit ---------------------------------------------------
    def _start(self, n0: float) -> np.ndarray:
        """Warm start: the nearest cached fit moved along its tangent d beta / d n0."""
        c = np.asarray(self._cache_n0)
        if n0 > 0 and np.all(c > 0):
            i = int(np.argmin(np.abs(np.log(c) - math.log(n0))))
            # extrapolate in log n0: the hidden cell's log-mean moves like log n0
            return self._cache_beta[i] + c[i] * math.log(n0 / c[i]) * self._cache_tangent[i]
        i = int(np.argmin(np.abs(c - n0)))
        return self._cache_beta[i] + (n0 - c[i]) * self._cache_tangent[i]

    def _fit(self, n0: float, beta: np.ndarray, max_iter: int = 200):
        """Maximise L(beta) = y'X beta - sum mu + n0 log M0 - M0 by damped Newton.

        Returns beta, mu, M0, J^-1 g (tangent) and g'J^-1 g.
        """
        x, y, x0 = self.x, self.y, self.x0
        several = x0.shape[0] > 1
        prev_dec = math.inf
        for _ in range(max_iter):
            eta = x @ beta
            eta0 = x0 @ beta + self.offset0
            if np.max(eta, initial=-np.inf) > 700 or np.max(eta0) > 700:
                raise FloatingPointError("linear predictor overflow")
            mu = np.exp(eta)
            mu0 = np.exp(eta0)
            m0 = float(mu0.sum())
            w = mu0 / m0
            g = x0.T @ w
            score = x.T @ (y - mu) + x0.T @ (n0 * w - mu0)
            j_em = (x.T * mu) @ x + (x0.T * mu0) @ x0
            jmat = j_em - n0 * ((x0.T * w) @ x0 - np.outer(g, g)) if several else j_em
            try:
                chol = cho_factor(jmat, check_finite=False)
            except np.linalg.LinAlgError:
                # far from the optimum the pooled hidden cell can make J indefinite:
                # fall back to the complete-data (EM) information, always positive definite
                chol = cho_factor(j_em, check_finite=False)
            step = _chol_solve(chol, score)
            dec = float(score @ step)
            if dec < 1e-20 or prev_dec < 1e-9:
                tangent = _chol_solve(chol, g)
                return beta, mu, m0, tangent, float(g @ tangent)
            loglik = float(y @ eta - mu.sum() + (n0 * math.log(m0) if n0 > 0 else 0.0) - m0)
            t = 1.0
            if dec > 1e-6:
                # damped step: never let the log-likelihood decrease
                for _ in range(60):
                    b = beta + t * step
                    e = x @ b
                    e0 = x0 @ b + self.offset0
                    if np.max(e, initial=-np.inf) <= 700 and np.max(e0) <= 700:
                        m0n = float(np.exp(e0).sum())
                        new = float(y @ e - np.exp(e).sum() + (n0 * math.log(m0n) if n0 > 0 else 0.0) - m0n)
                        if new >= loglik - 1e-12 * abs(loglik):
                            break
                    t *= 0.5
            beta = beta + t * step
            prev_dec = dec if t == 1.0 else math.inf
        raise RuntimeError(f"the augmented Poisson fit did not converge at n0 = {n0:.6g}")

    def fit_poisson(self, beta_start: np.ndarray) -> tuple[float, np.ndarray]:
        """The fit without the pseudo-cell's count (n0 free): returns N-hat and beta."""
        beta, mu, *_ = irls_poisson(self.x, self.y, mu_start=np.exp(self.x @ beta_start), tol=1e-14)[:2]
        return self.n + float(np.exp(self.x0 @ beta + self.offset0).sum()), beta

    def seed(self, n0: float, beta: np.ndarray) -> None:
        """Fit at one n0 from `beta` and cache it (the first warm start)."""
        beta, mu, m0, tangent, _ = self._fit(n0, beta)
        self._cache_n0.append(n0)
        self._cache_beta.append(beta)
        self._cache_tangent.append(tangent)

    def __call__(self, big_n: float) -> tuple[float, float, float]:
        """l(N), l'(N), l''(N) on Rcapture's scale (-D/2 + ct)."""
        n0 = float(big_n - self.n)
        if n0 < 0:
            raise ValueError(f"N = {big_n} is below the number observed ({self.n:g})")
        big_n = self.n + n0
        self.n_evaluations += 1
        try:
            beta, mu, m0, tangent, gjg = self._fit(n0, self._start(n0))
        except (np.linalg.LinAlgError, FloatingPointError, RuntimeError):
            # the tangent extrapolation can overshoot far from the cached fits (seen with an offset on the
            # hidden cells, darkfigure.sensitivity): restart from the nearest cached fit itself
            c = np.asarray(self._cache_n0)
            i = int(np.argmin(np.abs(np.log(np.maximum(c, 1e-300)) - math.log(max(n0, 1e-300)))))
            beta, mu, m0, tangent, gjg = self._fit(n0, self._cache_beta[i].copy())
        self._cache_n0.append(n0)
        self._cache_beta.append(beta)
        self._cache_tangent.append(tangent)
        pos = self.y > 0
        dev = 2.0 * (
            self._ylogy
            - float(self.y[pos] @ np.log(mu[pos]))
            + float(xlogy(n0, n0))
            - (n0 * math.log(m0) if n0 > 0 else 0.0)
        ) - 2.0 * (big_n - float(mu.sum()) - m0)
        ct, q1, q2 = self._ct(big_n, n0)
        return -0.5 * dev + ct, math.log(m0) + q1, gjg + q2


def _chol_solve(chol, b: np.ndarray) -> np.ndarray:
    return cho_solve(chol, b, check_finite=False)


# ----------------------------------------------------------------------------------------
# root finding


def _safe_newton(fun, a: float, fa: float, da: float, b: float, fb: float, db: float, *, rtol: float = 1e-10):
    """Root of fun in the bracket [a, b] (fa, fb of opposite signs).

    Newton steps with the derivative when they stay inside the bracket and shrink it
    fast enough, bisection otherwise (Press et al. 2007, Numerical Recipes, ``rtsafe``).
    `fun` returns (f, f').
    """
    if fa == 0:
        return a
    if fb == 0:
        return b
    xl, xh = (a, b) if fa < 0 else (b, a)
    x, f, d = (a, fa, da) if abs(fa) < abs(fb) else (b, fb, db)
    dx_old = dx = abs(b - a)
    for _ in range(200):
        lo, hi = min(xl, xh), max(xl, xh)
        xn = x - f / d if (np.isfinite(d) and d != 0) else math.nan
        if not (lo < xn < hi) or abs(2.0 * f) > abs(dx_old * d):
            dx_old, dx = dx, 0.5 * (xh - xl)
            xn = xl + dx
        else:
            dx_old, dx = dx, xn - x
        x = xn
        if abs(dx) <= rtol * max(1.0, abs(x)) or hi - lo <= 4 * rtol * max(1.0, abs(x)):
            return x
        f, d = fun(x)
        if f == 0:
            return x
        if f < 0:
            xl = x
        else:
            xh = x
    return x
