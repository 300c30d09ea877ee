"""Heterogeneity models M0, Mt, Mh and Mth as Rcapture's ``closedp.t`` and ``closedpCI.t``.

Each model is a Poisson log-linear model for the ``2^k - 1`` observable capture
histories (Rivest & Baillargeon 2007, J. Stat. Softw. 19(5); Rivest & Levesque 2001,
Biometrics 57:1133-1142). With ``c_j`` the 0/1 indicator of list j and ``f = sum_j c_j``
the number of lists that registered a history, ``log E(count) = b0 + ...``:

=============  ==========================================================
model          columns besides the intercept ``b0``
=============  ==========================================================
M0             f
Mt             c_1, ..., c_k
Mh Chao (LB)   f, and ``eta_j = max(f - j + 1, 0)`` for j = 3..k
Mh Poisson2    f, and ``tau = 2^f - 1``
Mh Darroch     f, and ``tau = f^2 / 2``
Mh Gamma3.5    f, and ``tau = -log(3.5 + f) + log(3.5)``
Mth ...        c_1, ..., c_k and the same heterogeneity column(s)
=============  ==========================================================

(Rcapture's ``Xclosedp``: the Chao columns are the piecewise-linear lower-bound basis of
Rivest & Baillargeon 2007, not indicators.) The unobserved history (f = 0) has design row
``(1, 0, ..., 0)``, so ``N-hat = n + exp(b0)``.

What is reproduced, number for number:

* **The fit** is R's ``glm.fit`` for the Poisson family, step by step: start at
  ``mu = y + 0.1``, iteratively reweighted least squares, ``mu = max(exp(eta), 2.2e-16)``,
  stop when ``|D - D_old| / (|D| + 0.1) < 1e-8`` or after 25 iterations. Where the MLE
  does not exist (Artificial_3 with Mh Poisson2: the unobserved cell is driven to 0) the
  numbers are those of the iterate at which R stops (N-hat 96.2155), flagged here.
* **Negative eta** (Chao models, ``neg=TRUE`` in Rcapture): while some ``eta_j`` is
  negative, the first negative one is removed from the design and the model refitted
  (Rcapture's ``Chao.neg``). This is what makes the model a lower bound.
* **N-hat and standard error**: ``N = n + exp(b0)`` and
  ``se = sqrt(exp(b0) + exp(2 b0) Var(b0))`` (delta method plus the Poisson variation of
  the unseen count; Rivest & Baillargeon 2007), with ``Var(b0)`` from R's
  ``summary.glm(...)$cov.unscaled``, i.e. the weights of the last IRLS iteration.
* **Deviance, df, AIC, BIC**: ``glm``'s deviance and residual df (cells minus rank),
  ``AIC = -2 sum log dpois(y, mu) + 2 rank`` (Poisson, not multinomial), and
  ``BIC = AIC + (log n - 2) rank`` with n the number observed.
* **Asymptotic bias** (Rcapture ``closedp.fitone``, after Cox & Snell's first-order bias
  of the MLE): ``bias = exp(b0) v_1 / 2`` with ``v = -V psi``, ``psi = X' diag(mu) h - e_1``,
  ``h_i = x_i' V x_i`` and V the inverse Fisher information. Rcapture warns "the
  asymptotic bias is large" when ``|bias| > 0.1 N-hat``.
* **infoFit** (Rcapture ``getInfo``): 0 no warning; 1 a convergence or large-bias warning;
  2 design not of full rank; 3 another warning (e.g. "fitted rates numerically 0");
  several codes are concatenated in increasing order (e.g. 13).
* **Profile-likelihood interval** (``closedpCI.t``; Cormack 1992, Biometrics
  48:567-576): ``l(N) = -D(N)/2 + ct(N)`` where D(N) is the deviance of the model refitted
  with ``N - n`` as the count of the unobserved history, and
  ``ct = n0 log n0 + log N! - N log N - log n0!`` (Stirling's form
  ``n0 - N - log(n0/N)/2`` when N > 100, as Rcapture). For Chao models the negative eta
  are removed at each N, as Rcapture does, so the profile is not that of one fixed design.
  The maximum is searched on ``[n, 3 N-hat]`` as R's ``optimize``; the limits are found
  to about 1e-9 relative (R: ``uniroot`` with ``tol = 1e-4``). Unlike Rcapture, the upper
  limit is not abandoned at ``3 N-hat`` (its ``fmaxSupCL``): the search goes on to
  ``max(max_factor * n, 3 N-hat)`` and only then reports "no upper limit below X".
  When the profile is highest at N = n (a ``"boundary"`` fit), its maximum is taken as
  l(n) itself; R's ``optimize`` stops a little above n (at n + 6e-5 on Artificial_3),
  below the supremum, so Rcapture's upper limit there is about 1e-4 higher (104.032
  against 104.020: the same to 4 significant figures).

What is added: every fit is checked for existence of the MLE by linear programming
(:func:`darkfigure.loglinear.existence.check_existence`) and gets a ``status``:
``"ok"``, ``"not converged"``, ``"extended"`` (some observable cells fitted as 0 but N is
still identified), ``"boundary"`` (the model drives the unobserved cell to 0: the
extended MLE is N = n, and the printed N-hat is an artefact of where IRLS stopped) or
``"not identified"`` (N-hat is then NaN, never a huge number; Rcapture's value is kept in
``nhat_rcapture``). Rcapture reports all of these as ordinary rows.

Models Mb and Mbh (behavioural response to first capture) are not offered: they need the
time order of the capture occasions, and lists in multiple systems estimation have none
(reordering the lists changes their estimate).

Validation (tests/test_heterogeneity.py): every ``closedp.t`` row for these ten models and
every ``closedpCI.t`` heterogeneity row of ``../shared/reference/rcapture.csv`` (15 tables).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import gammaln, xlogy

from ._blas import single_threaded
from ._dist import chi2
from .histories import CaptureHistories
from .loglinear.existence import ExistenceCheck, check_existence
from .loglinear.profile import ProfileInterval, make_interval

__all__ = [
    "MODELS",
    "HeterogeneityFit",
    "ModelSpec",
    "capture_patterns",
    "closedp",
    "design_matrix",
    "fit_heterogeneity",
    "model_spec",
]

_DBL_EPS = float(np.finfo(float).eps)


# ----------------------------------------------------------------------------------------
# the models


@dataclass(frozen=True)
class ModelSpec:
    """One heterogeneity model: how its design is built.

    Attributes
    ----------
    name : str
        darkfigure's name (``"Mh-darroch"``), as in ``compare.csv``.
    label : str
        Rcapture's row name in ``closedp.t`` (``"Mh Darroch"``).
    base : {"M0", "Mt"}
        One common capture effect (number of captures f) or one per list.
    h : {None, "chao", "poisson", "darroch", "gamma"}
        Heterogeneity column(s).
    theta : float or None
        Parameter of the Poisson (2) or gamma (3.5) heterogeneity function.
    """

    name: str
    label: str
    base: str
    h: str | None = None
    theta: float | None = None

    @property
    def heterogeneous(self) -> bool:
        """True for the Mh and Mth models."""
        return self.h is not None


_SPECS: dict[str, ModelSpec] = {
    s.name: s
    for s in [
        ModelSpec("M0", "M0", "M0"),
        ModelSpec("Mt", "Mt", "Mt"),
        ModelSpec("Mh-chao", "Mh Chao (LB)", "M0", "chao"),
        ModelSpec("Mh-poisson2", "Mh Poisson2", "M0", "poisson", 2.0),
        ModelSpec("Mh-darroch", "Mh Darroch", "M0", "darroch"),
        ModelSpec("Mh-gamma3.5", "Mh Gamma3.5", "M0", "gamma", 3.5),
        ModelSpec("Mth-chao", "Mth Chao (LB)", "Mt", "chao"),
        ModelSpec("Mth-poisson2", "Mth Poisson2", "Mt", "poisson", 2.0),
        ModelSpec("Mth-darroch", "Mth Darroch", "Mt", "darroch"),
        ModelSpec("Mth-gamma3.5", "Mth Gamma3.5", "Mt", "gamma", 3.5),
    ]
}

#: darkfigure's names of the models, in Rcapture's ``closedp.t`` order.
MODELS: tuple[str, ...] = tuple(_SPECS)


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum() or ch == ".")


_ALIASES: dict[str, str] = {}
for _s in _SPECS.values():
    _ALIASES[_key(_s.name)] = _s.name
    _ALIASES[_key(_s.label)] = _s.name
    _ALIASES[_key(_s.label.replace(" (LB)", ""))] = _s.name
for _short, _name in {
    "MhC": "Mh-chao", "MhP": "Mh-poisson2", "MhD": "Mh-darroch", "MhG": "Mh-gamma3.5",
    "MthC": "Mth-chao", "MthP": "Mth-poisson2", "MthD": "Mth-darroch", "MthG": "Mth-gamma3.5",
    "Mh-poisson": "Mh-poisson2", "Mth-poisson": "Mth-poisson2", "Mh-gamma": "Mh-gamma3.5",
    "Mth-gamma": "Mth-gamma3.5", "Mh-lb": "Mh-chao", "Mth-lb": "Mth-chao",
}.items():
    _ALIASES[_key(_short)] = _name


def model_spec(model: str | ModelSpec) -> ModelSpec:
    """The :class:`ModelSpec` of a model name.

    Parameters
    ----------
    model : str or ModelSpec
        darkfigure's name (``"Mh-darroch"``), Rcapture's (``"Mh Darroch"``,
        ``"Mth Chao (LB)"``) or its short name (``"MhD"``); case and punctuation are
        ignored.

    Returns
    -------
    ModelSpec

    Raises
    ------
    ValueError
        For an unknown name, and for Mb/Mbh, which need a capture order that lists do
        not have.
    """
    if isinstance(model, ModelSpec):
        return model
    if not isinstance(model, str):
        raise TypeError(f"model must be a model name (str); got {type(model).__name__}")
    key = _key(model)
    if key in ("mb", "mbh"):
        raise ValueError(
            f"model {model!r} is not offered: Mb and Mbh model a behavioural response after the first "
            "capture, which needs the time order of the capture occasions. Lists in multiple systems "
            "estimation have no such order (reordering the lists would change the estimate). "
            f"Available models: {', '.join(MODELS)}"
        )
    if key not in _ALIASES:
        raise ValueError(f"unknown heterogeneity model {model!r}; available models: {', '.join(MODELS)}")
    return _SPECS[_ALIASES[key]]


def capture_patterns(k: int) -> np.ndarray:
    """The observable capture histories of k lists, in Rcapture's order.

    Parameters
    ----------
    k : int
        Number of lists, at least 2.

    Returns
    -------
    ndarray of int8, shape (2^k - 1, k)
        One row per history, from ``11...1`` down to ``00...01`` (the binary numbers
        ``2^k - 1`` to 1, first list as the most significant digit: Rcapture's
        ``histpos.t``). The all-zero history is not included.

    Raises
    ------
    ValueError
        If k < 2.
    """
    k = int(k)
    if k < 2:
        raise ValueError(f"capture-recapture needs at least 2 lists; got k = {k}")
    codes = np.arange(2**k - 1, 0, -1, dtype=np.int64)
    shifts = np.arange(k - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> shifts) & 1).astype(np.int8)


def design_matrix(k: int, model: str | ModelSpec) -> tuple[np.ndarray, list[str]]:
    """Design of a heterogeneity model over the observable histories (Rcapture ``Xclosedp``).

    Parameters
    ----------
    k : int
        Number of lists (at least 3 for the Mh and Mth models, as in Rcapture).
    model : str or ModelSpec
        See :func:`model_spec`.

    Returns
    -------
    x : ndarray of shape (2^k - 1, p)
        Rows in the order of :func:`capture_patterns`; the first column is the intercept.
    names : list of str, length p
        Rcapture's coefficient names: ``Intercept``, ``beta`` (M0) or ``beta1..betak``
        (Mt), ``eta3..etak`` (Chao) or ``tau`` (Poisson, Darroch, gamma).

    Raises
    ------
    ValueError
        For an unknown model, or a heterogeneity model with fewer than 3 lists (its
        heterogeneity column would not be identifiable from 2 lists).

    Notes
    -----
    The unobserved history has the design row ``(1, 0, ..., 0)``: every heterogeneity
    function is 0 at f = 0.
    """
    spec = model_spec(model)
    pats = capture_patterns(k).astype(float)
    if spec.heterogeneous and k < 3:
        raise ValueError(
            f"model {spec.name} needs at least 3 lists (with 2 lists only M0 and Mt can be fitted, as in "
            f"Rcapture); got {k}"
        )
    f = pats.sum(axis=1)
    cols: list[np.ndarray] = [np.ones(len(f))]
    names = ["Intercept"]
    if spec.base == "M0":
        cols.append(f)
        names.append("beta")
    else:
        cols.extend(pats[:, j] for j in range(k))
        names.extend(f"beta{j + 1}" for j in range(k))
    if spec.h == "chao":
        for j in range(3, k + 1):
            cols.append(np.maximum(f - j + 1, 0.0))
            names.append(f"eta{j}")
    elif spec.h == "poisson":
        cols.append(spec.theta**f - 1.0)
        names.append("tau")
    elif spec.h == "darroch":
        cols.append(f**2 / 2.0)
        names.append("tau")
    elif spec.h == "gamma":
        cols.append(-np.log(spec.theta + f) + math.log(spec.theta))
        names.append("tau")
    return np.column_stack(cols), names


def _history_counts(histories: CaptureHistories) -> np.ndarray:
    """Counts of the 2^k - 1 observable histories (zeros included), shape (2^k - 1,)."""
    table = histories.collapse().table
    k = histories.k
    bits = table[list(histories.lists)].to_numpy(dtype=np.int64)
    codes = bits @ (1 << np.arange(k - 1, -1, -1, dtype=np.int64))
    y = np.zeros(2**k - 1)
    # row i of capture_patterns(k) has code 2^k - 1 - i
    np.add.at(y, (2**k - 1) - codes, table["count"].to_numpy(dtype=float))
    return y


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
    from scipy.optimize import brentq, minimize_scalar  # here: scipy.optimize costs 0.3 s to import
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


# ----------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True, eq=False)
class HeterogeneityFit:
    """A fitted M0, Mt, Mh or Mth model: Rcapture's ``closedp.t`` row and ``closedpCI.t`` interval.

    Attributes
    ----------
    model : str
        darkfigure's model name (``"Mh-darroch"``).
    label : str
        Rcapture's row name (``"Mh Darroch"``).
    nhat : float
        ``n + exp(b0)`` (persons), as Rcapture. For a ``"boundary"`` fit this is where
        IRLS stopped, a little above the extended MLE N = n (see `status`); NaN when
        ``"not identified"`` (Rcapture prints a huge number, kept in `nhat_rcapture`).
    se : float
        Standard error of `nhat`, ``sqrt(exp(b0) + exp(2 b0) Var(b0))`` (NaN when not
        identified; Rcapture's value in `se_rcapture`).
    deviance : float
        Poisson deviance over the observable histories.
    df : int
        Residual degrees of freedom: ``2^k - 1`` minus the number of coefficients.
    aic, bic : float
        ``-2 loglik + 2 p`` and ``-2 loglik + p log(n)``, Poisson log-likelihood over the
        observable histories, p the number of coefficients (as R's ``glm``).
    loglik : float
        Poisson log-likelihood ``sum log dpois(y, mu)``.
    n_observed : int
        Persons observed, n.
    n_lists : int
        Number of lists k.
    coef_names : tuple of str, length p
        Coefficients kept (negative eta of Chao models removed).
    coef : ndarray of shape (p,)
        Their estimates (R's ``coef(glm)``).
    counts, fitted : ndarray of shape (2^k - 1,)
        Observed and fitted counts per history, in the order of :func:`capture_patterns`.
    eta_removed : tuple of str
        Chao models: the eta parameters that were negative and set to 0 (removed and the
        model refitted), as Rcapture's ``neg.eta``.
    bias : float
        Asymptotic bias of `nhat` (NaN if not computable).
    converged : bool
        Whether R's IRLS met its convergence criterion within 25 iterations.
    iterations : int
        IRLS iterations of the final fit.
    info_fit : int
        Rcapture's ``infoFit`` code (0 no warning; 1 convergence or large bias; 3 other).
    status : str
        ``"ok"``, ``"not converged"``, ``"extended"``, ``"boundary"`` or
        ``"not identified"`` (see the module docstring).
    interval : ProfileInterval or None
        Multinomial profile-likelihood interval (``closedpCI.t``); None when not
        requested or when N is not identified.
    warnings : tuple of str
        Plain-language warnings (Rcapture's, and darkfigure's existence check).
    notes : tuple of str
        What was done to the data (e.g. covariates summed over).
    existence : ExistenceCheck or None
        The linear-programming check of the final design.
    nhat_rcapture, se_rcapture : float
        Rcapture's printed N-hat and standard error, whatever the status (equal to
        `nhat` and `se` unless not identified).
    """

    model: str
    label: str
    nhat: float
    se: float
    deviance: float
    df: int
    aic: float
    bic: float
    loglik: float
    n_observed: int
    n_lists: int
    coef_names: tuple[str, ...]
    coef: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    eta_removed: tuple[str, ...] = ()
    bias: float = math.nan
    converged: bool = True
    iterations: int = 0
    info_fit: int = 0
    status: str = "ok"
    interval: ProfileInterval | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    existence: ExistenceCheck | None = field(default=None, repr=False)
    nhat_rcapture: float = math.nan
    se_rcapture: float = math.nan

    @property
    def identified(self) -> bool:
        """False when the data do not determine N under this model (status ``"not identified"``)."""
        return self.status != "not identified"

    @property
    def low(self) -> float:
        """Lower profile limit (NaN without interval)."""
        return self.interval.low if self.interval is not None else math.nan

    @property
    def high(self) -> float:
        """Upper profile limit (inf when unbounded, NaN without interval)."""
        return self.interval.high if self.interval is not None else math.nan

    @property
    def nhat_multinomial(self) -> float:
        """Maximiser of the profile likelihood (Rcapture's ``CI[, "abundance"]``)."""
        return self.interval.nhat_multinomial if self.interval is not None else math.nan

    @property
    def coefficients(self) -> pd.Series:
        """The coefficients named as in Rcapture, shape (p,)."""
        return pd.Series(self.coef, index=list(self.coef_names), name=self.model)

    def summary(self) -> dict:
        """One row: model, N-hat, se, fit statistics, interval, status and warnings."""
        return {
            "model": self.model,
            "label": self.label,
            "nhat": self.nhat,
            "se": self.se,
            "deviance": self.deviance,
            "df": self.df,
            "aic": self.aic,
            "bic": self.bic,
            "info_fit": self.info_fit,
            "nhat_multinomial": self.nhat_multinomial,
            "lower": self.low,
            "upper": self.high,
            "status": self.status,
            "warnings": "; ".join(self.warnings),
        }

    def __str__(self) -> str:
        if not self.identified:
            return f"{self.label}: N not identified (Rcapture would print {self.nhat_rcapture:.4g}) [{self.status}]"
        s = f"{self.label}: N-hat {self.nhat:.1f} (se {self.se:.1f})"
        if self.interval is not None:
            hi = f"{self.high:.1f}" if self.interval.upper_bounded else f">{self.interval.search_limit:.6g}"
            s += f", {100 * self.interval.level:g}% profile interval [{self.low:.1f}, {hi}]"
        s += f"; deviance {self.deviance:.3f} on {self.df} df, AIC {self.aic:.3f}, BIC {self.bic:.3f}"
        if self.status != "ok":
            s += f" [{self.status}]"
        return s


# ----------------------------------------------------------------------------------------
# fitting


def _check_histories(histories: CaptureHistories) -> None:
    if not isinstance(histories, CaptureHistories):
        raise TypeError(
            f"histories must be a CaptureHistories (e.g. darkfigure.datasets.load(name)); got {type(histories).__name__}"
        )
    if histories.n_observed <= 0:
        raise ValueError("histories has no observed person: nothing to estimate")


def _status(
    existence: ExistenceCheck, converged: bool, nhat: float, n: float, iterations: int
) -> tuple[str, list[str]]:
    state = existence.hidden_state[0] if existence.hidden_state is not None else "finite"
    if not existence.identified:
        return "not identified", [
            "the MLE does not exist and the unobserved history is not identified (a direction of the "
            f"likelihood sends it to infinity): no estimate of N (Rcapture prints N-hat = {nhat:.4g})"
        ]
    if not existence.mle_exists and state == "zero":
        return "boundary", [
            f"the MLE does not exist: the model drives the unobserved history to 0, so its extended MLE is "
            f"N = n = {n:.0f}; Rcapture's IRLS stops after {iterations} iterations at N-hat = {nhat:.6g}, "
            "and this N-hat and its standard error are artefacts of where it stopped"
        ]
    if not existence.mle_exists:
        return "extended", [
            f"the MLE does not exist: {existence.n_zero_cells} observable histories are fitted as 0; the "
            "unobserved history is still identified (extended MLE)"
        ]
    if not converged:
        return "not converged", ["the Poisson fit did not converge in 25 iterations (as R's glm): N-hat is unreliable"]
    return "ok", []


@single_threaded
def fit_heterogeneity(
    histories: CaptureHistories,
    model: str | ModelSpec = "Mh-darroch",
    *,
    interval: bool = True,
    level: float = 0.95,
    neg: bool = True,
    max_factor: float = 1000.0,
    correction: str = "rcapture",
) -> HeterogeneityFit:
    """Fit one heterogeneity model (M0, Mt, Mh, Mth) as Rcapture's ``closedp.t``/``closedpCI.t``.

    Parameters
    ----------
    histories : CaptureHistories
        k >= 2 lists (k >= 3 for Mh and Mth). Covariates are summed over: these models
        use the capture histories only.
    model : str or ModelSpec, default "Mh-darroch"
        One of :data:`MODELS` (``"M0"``, ``"Mt"``, ``"Mh-chao"``, ``"Mh-poisson2"``,
        ``"Mh-darroch"``, ``"Mh-gamma3.5"``, ``"Mth-chao"``, ``"Mth-poisson2"``,
        ``"Mth-darroch"``, ``"Mth-gamma3.5"``) or Rcapture's name (``"Mh Darroch"``).
    interval : bool, default True
        Compute the multinomial profile-likelihood interval (``closedpCI.t``).
    level : float, default 0.95
        Confidence level of the interval.
    neg : bool, default True
        Chao models: remove negative eta parameters and refit (Rcapture's default).
    max_factor : float, default 1000
        The upper limit is searched up to ``max(max_factor * n, 3 N-hat)``.
    correction : {"rcapture", "exact"}, default "rcapture"
        Cormack's ct term with Stirling's approximation above N = 100 (as Rcapture) or
        with log-gamma throughout.

    Returns
    -------
    HeterogeneityFit

    Raises
    ------
    TypeError
        If `histories` is not a CaptureHistories.
    ValueError
        For an unknown model (or Mb/Mbh), a heterogeneity model with fewer than 3 lists,
        no observed person, or a bad `level`, `max_factor` or `correction`.

    References
    ----------
    Rivest, L.-P. & Baillargeon, S. (2007). Applications and extensions of Chao's moment
    estimator for the size of a closed population. Biometrics 63:999-1006.
    Baillargeon, S. & Rivest, L.-P. (2007). Rcapture: loglinear models for
    capture-recapture in R. J. Stat. Softw. 19(5).
    Cormack, R. M. (1992). Interval estimation for mark-recapture studies of closed
    populations. Biometrics 48:567-576.
    """
    _check_histories(histories)
    spec = model_spec(model)
    if not (0 < level < 1):
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    if not (max_factor > 1):
        raise ValueError(f"max_factor must be > 1; got {max_factor!r}")
    if correction not in ("rcapture", "exact"):
        raise ValueError(f"correction must be 'rcapture' or 'exact'; got {correction!r}")
    k = histories.k
    x_full, names_full = design_matrix(k, spec)
    notes = []
    if histories.covariates:
        notes.append(
            f"summed over the covariates {', '.join(histories.covariates)}: heterogeneity models use the "
            "capture histories only"
        )
    y = _history_counts(histories)
    n = float(y.sum())
    chao = spec.h == "chao"
    nca = 2 if spec.base == "M0" else k + 1
    fit, x, names, removed, r_warnings = _fit_with_neg(x_full, names_full, y, nca, neg and chao)
    b0 = float(fit.coef[0])
    nhat = n + math.exp(b0)
    se = math.sqrt(math.exp(b0) + math.exp(2 * b0) * fit.cov_unscaled[0, 0])
    rank = x.shape[1]
    aic = -2.0 * fit.loglik + 2.0 * rank
    bic = aic + (math.log(n) - 2.0) * rank
    bias = _asymptotic_bias(x, fit)
    warnings: list[str] = []
    if abs(bias) > 0.1 * nhat:
        r_warnings.append("the asymptotic bias is large")
        warnings.append(
            f"the asymptotic bias is large ({bias:.4g}, more than 10% of N-hat), as Rcapture warns: "
            "N-hat and its standard error are unreliable"
        )
    hidden = np.zeros((1, rank))
    hidden[0, 0] = 1.0
    existence = check_existence(x, y, hidden, names=names)
    status, more = _status(existence, fit.converged, nhat, n, fit.iterations)
    warnings = more + warnings
    if removed:
        warnings.append(
            f"{', '.join(removed)} {'was' if len(removed) == 1 else 'were'} negative and set to 0 (removed and the "
            "model refitted), as Rcapture does with neg = TRUE"
        )
    prof = None
    if interval and status != "not identified":
        method = "multinomial profile likelihood (Cormack 1992), as Rcapture closedpCI.t"
        if chao and neg:
            method += ", negative eta removed at each N"
        loglik = _profile_loglik(x_full, names_full, y, nca, neg and chao, correction)
        prof = _profile(loglik, n, nhat if status != "boundary" else n, level, max_factor, correction, method)
        if not prof.upper_bounded:
            warnings.append(prof.message)
    ok = status != "not identified"
    return HeterogeneityFit(
        model=spec.name,
        label=spec.label,
        nhat=float(nhat) if ok else math.nan,
        se=float(se) if ok else math.nan,
        deviance=float(fit.deviance),
        df=int(len(y) - rank),
        aic=float(aic),
        bic=float(bic),
        loglik=float(fit.loglik),
        n_observed=int(round(n)),
        n_lists=k,
        coef_names=tuple(names),
        coef=fit.coef.copy(),
        counts=y,
        fitted=fit.mu.copy(),
        eta_removed=tuple(removed),
        bias=float(bias),
        converged=bool(fit.converged),
        iterations=int(fit.iterations),
        info_fit=_info_code(r_warnings),
        status=status,
        interval=prof,
        warnings=tuple(warnings),
        notes=tuple(notes),
        existence=existence,
        nhat_rcapture=float(nhat),
        se_rcapture=float(se),
    )


def closedp(
    histories: CaptureHistories,
    models: Sequence[str] | None = None,
    *,
    interval: bool = True,
    level: float = 0.95,
    neg: bool = True,
    max_factor: float = 1000.0,
) -> pd.DataFrame:
    """Fit several heterogeneity models and return one table (Rcapture ``closedp.t`` + ``closedpCI.t``).

    Parameters
    ----------
    histories : CaptureHistories
        k >= 2 lists; covariates are summed over.
    models : sequence of str, optional
        Model names (see :func:`fit_heterogeneity`). Default: all of :data:`MODELS`, or
        M0 and Mt only when there are 2 lists (as Rcapture).
    interval : bool, default True
        Add the profile-likelihood interval of each model.
    level : float, default 0.95
    neg : bool, default True
        Chao models: remove negative eta (Rcapture's default).
    max_factor : float, default 1000
        Upper search limit for the interval, times n.

    Returns
    -------
    DataFrame of shape (n_models, 14)
        Columns ``model``, ``label`` (Rcapture's row name), ``nhat``, ``se``,
        ``deviance``, ``df``, ``aic``, ``bic``, ``info_fit``, ``nhat_multinomial``,
        ``lower``, ``upper`` (inf when unbounded; NaN without interval), ``status`` and
        ``warnings`` (joined with "; ").

    Raises
    ------
    TypeError, ValueError
        As :func:`fit_heterogeneity`.
    """
    _check_histories(histories)
    if models is None:
        models = MODELS if histories.k >= 3 else ("M0", "Mt")
    elif isinstance(models, str):
        models = [models]
    specs = [model_spec(m) for m in models]
    rows = [
        fit_heterogeneity(histories, s, interval=interval, level=level, neg=neg, max_factor=max_factor).summary()
        for s in specs
    ]
    return pd.DataFrame(rows)
