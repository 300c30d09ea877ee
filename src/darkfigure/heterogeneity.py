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
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._blas import single_threaded
from .heterogeneity_fit import _asymptotic_bias, _fit_with_neg, _info_code, _profile, _profile_loglik
from .heterogeneity_models import MODELS, ModelSpec, _history_counts, capture_patterns, design_matrix, model_spec
from .histories import CaptureHistories
from .loglinear.existence import ExistenceCheck, check_existence
from .loglinear.profile import ProfileInterval

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
