"""Multinomial profile-likelihood interval for the population size N.

The interval of Cormack (1992, Biometrics 48:567-576), as Rcapture's ``closedpCI.t``
computes it (Baillargeon & Rivest 2007, J. Stat. Softw. 19(5); R source ``closedpCI.R``).

The *n* persons seen, spread over the observable cells, and the ``n0 = N - n``
persons seen by no list are multinomial with size N and cell probabilities from the
log-linear model. For a given N, the maximised log-likelihood is found by the Poisson
trick: append the hidden count n0 as a pseudo-observation and refit the Poisson
log-linear model. With an intercept the fitted values add up to N, so the fitted
probabilities are mu / N and, up to a constant that does not depend on N,

    l(N) = -D(N) / 2 + ct(N),
    ct(N) = n0 log n0 + log Gamma(N + 1) - N log N - log Gamma(n0 + 1),

where D(N) is the deviance of the augmented Poisson fit (Cormack 1992;
Rcapture ``closedpCI.internal``). N is continuous, not an integer. The interval is
``{N : l(N) >= max l - chi2_1(level) / 2}`` and its maximiser is the multinomial MLE
of N (slightly below the Poisson N-hat).

Rcapture replaces ct by Stirling's approximation when N > 100:
``ct = n0 - N - log(n0 / N) / 2`` (``-N + log(2 pi N) / 2`` when n0 is exactly 0 or 1),
and uses the exact form at N <= 100. The approximation is poor for n0 < ~1 (it tends to
+inf as n0 -> 0+), so with it the search for the maximum starts at n + 1.
``correction="rcapture"`` (the default) does the same, so that the numbers agree with
Rcapture; ``correction="exact"`` uses log-gamma throughout.

Covariates. With covariate strata there is one hidden cell per stratum, and nobody's
stratum is known among the unseen. The observed-data multinomial therefore has one
"unseen" category whose probability is the sum of the hidden cells' probabilities:
the profile is over the total N, and the hidden cells form *one* pseudo-cell with
count n0 and mean ``M0 = sum_s mu_0s`` (a composite link). Equivalently, the hidden
count of each stratum is free given the total and is summed out (not maximised out):
by the multinomial theorem, summing the complete-data likelihood over the splits of n0
gives ``M0 ** n0``. At the maximum the split is ``n0 * mu_0s / M0`` (the EM
allocation). With one stratum this is exactly Rcapture's construction. The same ct
applies, so ``l(N) = -D(N) / 2 + ct(N)`` with D the deviance of the composite fit.

Computation. Each l(N) is a Newton fit of the augmented model, warm-started from the
nearest N already fitted and moved along the tangent ``d beta / d n0 = J^-1 g``
(J the observed information, ``g = X0' w``, ``w`` the hidden-cell shares). By the
envelope theorem the derivatives of the profile come free with the fit:

    l'(N)  = log(M0 / n0) + ct'(N)  = log(M0 / N) + psi(N + 1) - psi(n0 + 1),
    l''(N) = g' J^-1 g - 1 / N + psi'(N + 1) - psi'(n0 + 1)

(with the Stirling form of ct in place of the log-gamma terms when Rcapture's
correction applies). The maximum and the two limits are then found by safeguarded
Newton steps inside a bracket (bisection when Newton leaves it), to about 1e-9
relative: more precise than R's ``optimize``/``uniroot`` with ``tol = 1e-4``.

Unlike Rcapture, the search for the upper limit does not stop at 3 N-hat: it widens
geometrically up to ``max_factor`` times the number observed (at least 3 N-hat), and
reports "no upper limit below X" when the profile is still above the cut-off there.
A fit that does not identify N is refused (Rcapture computes it anyway and reports a
huge N-hat with a one-sided interval; ``allow_not_identified=True`` gives that interval).

Validation (tests/test_profile.py): every log-linear ``closedpCI.t`` row of the
reference run (M0, Mt, SparseMSE-stepwise and closedpMS.t best-BIC models on 15
tables) agrees to better than 1e-7 relative. Rcapture has no covariates; the pooled
construction is checked by the factorisation it must satisfy (a covariate without list
interactions gives exactly the interval of the collapsed table).
"""

from __future__ import annotations

import math

import numpy as np

from .._blas import single_threaded
from .existence import ExistenceCheck, check_existence
from .fit import LogLinearFit, independent_columns, irls_poisson
from .profile_engine import _ProfileEngine

# the result and the search of the interval, re-exported here so imports from this module keep working
from .profile_search import (  # noqa: F401
    _CORRECTIONS,
    ProfileInterval,
    _search,
    _validate,
    make_interval,
)

__all__ = ["ProfileInterval", "make_interval", "profile_interval", "profile_interval_design", "profile_loglik"]

# ----------------------------------------------------------------------------------------
# preparing the design


def _prepare(
    x: np.ndarray,
    y: np.ndarray,
    x0: np.ndarray,
    existence: ExistenceCheck | None,
    identified: bool,
    correction: str,
    beta_start: np.ndarray | None,
    offset0: float = 0.0,
) -> tuple[_ProfileEngine, float]:
    """Reduce to the cells and columns in the likelihood, build the engine, seed it.

    Returns the engine and the Poisson N-hat (``inf`` when not identified).
    """
    if identified:
        facial = np.ones(len(y), dtype=bool) if existence is None else existence.facial_set
        keep0 = np.ones(x0.shape[0], dtype=bool)
        if existence is not None and existence.hidden_state is not None:
            keep0 = np.asarray(existence.hidden_state) != "zero"
    else:
        # not identified. A hidden cell with a parameter of its own (rank deficiency,
        # e.g. the saturated model) would fit any pseudo-count exactly: no information
        # on N at all, so no profile (Rcapture refuses such designs too).
        if np.linalg.matrix_rank(np.vstack([x, x0])) > np.linalg.matrix_rank(x):
            raise ValueError(
                "the unobserved cells have parameters that no observable cell determines (rank-deficient "
                "design): the profile likelihood is flat in N and gives no interval, even with "
                "allow_not_identified=True"
            )
        # The MLE does not exist: the pseudo-cell's positive count can remove directions of
        # recession; find the facial set of the augmented problem (hidden rows positive)
        aug = check_existence(np.vstack([x, x0]), np.concatenate([y, np.ones(x0.shape[0])]), x0[:0])
        facial = aug.facial_set[: len(y)]
        keep0 = aug.facial_set[len(y):]
    xf, yf, x0f = x[facial], y[facial], x0[keep0]
    used = independent_columns(np.vstack([xf, x0f]))
    xf, x0f = xf[:, used], x0f[:, used]
    engine = _ProfileEngine(xf, yf, x0f, correction, offset0)
    if x0f.shape[0] == 0:
        return engine, engine.n
    n = engine.n
    if identified:
        b0 = None if beta_start is None else np.asarray(beta_start, dtype=float)[used]
        if b0 is None or not np.all(np.isfinite(b0)):
            b0 = irls_poisson(xf, yf)[0]
        nhat, beta = engine.fit_poisson(b0)
        engine.seed(nhat - n, beta)
        return engine, nhat
    # start from the complete table with the unseen spread evenly over the strata
    n0 = max(n, 1.0)
    xa = np.vstack([xf, x0f])
    ya = np.concatenate([yf, np.full(x0f.shape[0], n0 / x0f.shape[0])])
    beta = irls_poisson(xa, ya)[0]
    engine.seed(n0, beta)
    return engine, math.inf


def profile_interval_design(
    x_observed: np.ndarray,
    y_observed: np.ndarray,
    x_hidden: np.ndarray,
    *,
    level: float = 0.95,
    max_factor: float = 1000.0,
    correction: str = "rcapture",
    allow_not_identified: bool = False,
) -> ProfileInterval:
    """Profile-likelihood interval for N from a design matrix and counts.

    The engine behind :func:`profile_interval`, for designs that are not a
    hierarchical model of a :class:`CompleteTable` (e.g. Rcapture's M0, whose design
    is the intercept and the number of captures).

    Parameters
    ----------
    x_observed : ndarray of shape (m, p)
        Design of the observable cells, intercept column included (every row and
        `x_hidden` must have the intercept 1, so that fitted values add up to N).
    y_observed : ndarray of shape (m,)
        Counts of the observable cells (persons).
    x_hidden : ndarray of shape (s, p)
        Design rows of the cells no list can observe, one per covariate stratum;
        pooled into one pseudo-cell (see the module docstring).
    level : float, default 0.95
        Confidence level.
    max_factor : float, default 1000
        The upper limit is searched up to ``max(max_factor * n, 3 * N-hat)``.
    correction : {"rcapture", "exact"}, default "rcapture"
        Stirling's approximation of the log-gamma terms above N = 100, as Rcapture
        (reproduces its numbers), or exact log-gamma.
    allow_not_identified : bool, default False
        Compute the profile even when the Poisson MLE of N does not exist (see
        :func:`profile_interval`).

    Returns
    -------
    ProfileInterval

    Raises
    ------
    ValueError
        Shapes that do not match, negative counts, a design without intercept, or a
        design that does not identify N (unless `allow_not_identified`).
    """
    x = np.asarray(x_observed, dtype=float)
    y = np.asarray(y_observed, dtype=float)
    x0 = np.atleast_2d(np.asarray(x_hidden, dtype=float))
    _validate(level, max_factor, correction)
    if x.ndim != 2 or y.shape != (x.shape[0],) or x0.shape[1] != x.shape[1]:
        raise ValueError(
            f"x_observed must be (m, p), y_observed (m,) and x_hidden (s, p); got {x.shape}, {y.shape}, {x0.shape}"
        )
    if np.any(y < 0) or not np.all(np.isfinite(y)):
        raise ValueError("y_observed must hold non-negative counts")
    if not (np.allclose(x[:, 0], 1) and np.allclose(x0[:, 0], 1)):
        raise ValueError("the first column of the design must be the intercept (all ones)")
    ex = check_existence(x, y, x0)
    if not ex.identified:
        if not allow_not_identified:
            raise ValueError(f"this design does not identify N: {ex.message()}")
        return _not_identified(x, y, x0, correction, level, max_factor)
    engine, nhat = _prepare(x, y, x0, ex, True, correction, None)
    return _interval_or_degenerate(engine, nhat, level, max_factor)


def _interval_or_degenerate(engine: _ProfileEngine, nhat: float, level: float, max_factor: float) -> ProfileInterval:
    if engine.x0.shape[0] == 0:
        n = engine.n
        return ProfileInterval(
            low=n, high=n, nhat_multinomial=n, level=level, upper_bounded=True, lower_bounded=False,
            message="the (extended) MLE fits every unobserved cell as 0: N = n, no interval",
            nhat_poisson=n, n_observed=int(round(n)), loglik_max=math.nan, cutoff=math.nan,
            search_limit=n, correction=engine.correction, n_evaluations=0,
        )
    return _search(engine, nhat, level, max_factor)


def _fit_arrays(fit: LogLinearFit, y: np.ndarray | None):
    table = fit.table
    obs = table.observable
    xall = table.design(fit.model)
    yall = table.y if y is None else np.asarray(y, dtype=float)
    if yall.shape != table.y.shape:
        raise ValueError(f"y must have one count per cell of the table ({table.n_cells}); got shape {yall.shape}")
    return xall[obs], yall[obs], xall[table.hidden]


@single_threaded
def profile_interval(
    fit: LogLinearFit,
    level: float = 0.95,
    max_factor: float = 1000.0,
    *,
    correction: str = "rcapture",
    allow_not_identified: bool = False,
    y: np.ndarray | None = None,
    hidden_offset: float = 0.0,
) -> ProfileInterval:
    """Multinomial profile-likelihood interval for N of a fitted log-linear model.

    Cormack (1992, Biometrics 48:567-576): the set of N whose profile
    log-likelihood ``l(N) = -D(N)/2 + ct(N)`` is within ``chi2_1(level)/2`` of its
    maximum, where D(N) is the deviance of the Poisson fit with the hidden count
    ``N - n`` added as a pseudo-observation. Reproduces Rcapture's ``closedpCI.t``
    (continuous N; Stirling's approximation above N = 100) to better than 1e-7
    relative on every reference model.
    With covariate strata the hidden cells are pooled into one pseudo-cell: the
    profile is over the total N (see the module docstring).

    Parameters
    ----------
    fit : LogLinearFit
        From :func:`~darkfigure.loglinear.fit.fit_model`. Its status must be ``"ok"``
        or ``"extended"`` (for an extended MLE the profile uses the facial set: the
        cells fitted as 0 stay 0, as SparseMSE drops the cells of empty overlaps).
    level : float, default 0.95
        Confidence level, in (0, 1).
    max_factor : float, default 1000
        The upper limit is searched up to ``max(max_factor * n, 3 * N-hat)`` persons
        (Rcapture stops at 3 N-hat, its ``fmaxSupCL``); beyond that the result says
        "no upper limit below X" (``upper_bounded`` False, ``high`` inf).
    correction : {"rcapture", "exact"}, default "rcapture"
        ``"rcapture"`` uses Stirling's approximation of the log-gamma terms when
        N > 100, exactly as Rcapture, so the numbers agree; ``"exact"`` uses lgamma.
    allow_not_identified : bool, default False
        A model whose Poisson MLE of N does not exist (status ``"not identified"``)
        is refused. With True the profile is computed anyway on the augmented
        table: it rises towards its supremum as N grows, so the result has a lower
        limit only (what Rcapture reports as ``[815, >4.2e13]`` for the best-BIC
        model of Artificial_3).
    y : ndarray of shape (n_cells,), optional
        The counts the fit was made with, when not ``fit.table.y`` (as in
        ``fit_model(..., y=...)``).
    hidden_offset : float, default 0
        log psi added to the linear predictor of every hidden cell: the model with its
        identifying assumption (no highest-order list interaction) relaxed to
        "the unobserved count is psi times what the model extrapolates"
        (:mod:`darkfigure.sensitivity`; Sun et al. 2020 take the union of such
        intervals over a bounded interaction). Only with an identified fit.

    Returns
    -------
    ProfileInterval
        ``low``, ``high`` (inf when unbounded), ``nhat_multinomial``, flags and a
        message saying why a limit is missing.

    Raises
    ------
    ValueError
        If the fit does not identify N (status ``"not identified"``) and
        `allow_not_identified` is False, if the fit did not converge, or on a bad
        `level`, `max_factor`, `correction` or `y`.

    Notes
    -----
    Cost: about 15-30 augmented fits of at most 2^k cells, each one to three Newton
    steps from a warm start; a few milliseconds for k <= 6 lists.
    """
    _validate(level, max_factor, correction)
    status = fit.status
    if status == "not identified" and not allow_not_identified:
        reason = "; ".join(fit.warnings) or "N is not identified"
        raise ValueError(
            f"the profile-likelihood interval needs a model that identifies N, and this fit's status is "
            f"'not identified' ({reason}). Choose another model, or pass allow_not_identified=True to "
            "get the one-sided profile interval (the likelihood only approaches its supremum as N grows)."
        )
    if status not in ("ok", "extended", "not identified"):
        raise ValueError(
            f"the fit's status is {status!r}; refit with fit_model(..., check=True) so that the existence "
            "of the MLE is checked before computing a profile interval"
        )
    x, yo, x0 = _fit_arrays(fit, y)
    identified = status in ("ok", "extended")
    if hidden_offset and not identified:
        raise ValueError("hidden_offset needs a fit that identifies N")
    existence = fit.existence
    if identified and existence is None and y is None:
        beta = fit.beta
    else:
        beta = None
        if y is not None and identified:
            existence = check_existence(x, yo, x0)
            if not existence.identified:
                raise ValueError(f"with these counts the model does not identify N: {existence.message()}")
    if identified:
        engine, nhat = _prepare(x, yo, x0, existence, identified, correction, beta, hidden_offset)
        return _interval_or_degenerate(engine, nhat, level, max_factor)
    return _not_identified(x, yo, x0, correction, level, max_factor)


def _not_identified(x, y, x0, correction, level, max_factor) -> ProfileInterval:
    """The profile of a model whose Poisson MLE of N does not exist (``allow_not_identified``)."""
    try:
        engine, nhat = _prepare(x, y, x0, None, False, correction, None)
        return _interval_or_degenerate(engine, nhat, level, max_factor)
    except (np.linalg.LinAlgError, FloatingPointError, RuntimeError) as err:
        raise ValueError(
            f"the profile likelihood of this not-identified model could not be computed ({err}): "
            "the augmented table does not determine the model either"
        ) from err


def profile_loglik(
    fit: LogLinearFit,
    n_values: np.ndarray,
    *,
    correction: str = "rcapture",
) -> np.ndarray:
    """The profile log-likelihood l(N) of a fit at given N (for plots and checks).

    Parameters
    ----------
    fit : LogLinearFit
        Status ``"ok"`` or ``"extended"``.
    n_values : array_like of shape (q,)
        Population sizes, each at least the number observed n (persons; need not be
        integers).
    correction : {"rcapture", "exact"}

    Returns
    -------
    ndarray of shape (q,)
        ``-D(N)/2 + ct(N)`` as in Rcapture's ``loglik.CI`` (constant in N dropped).

    Raises
    ------
    ValueError
        If the fit does not identify N, or some N is below n.
    """
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be one of {_CORRECTIONS}; got {correction!r}")
    if fit.status not in ("ok", "extended"):
        raise ValueError(f"the fit's status is {fit.status!r}: the profile needs a model that identifies N")
    x, yo, x0 = _fit_arrays(fit, None)
    engine, _ = _prepare(x, yo, x0, fit.existence, True, correction, fit.beta if fit.existence is None else None)
    vals = np.asarray(n_values, dtype=float).ravel()
    # visit in increasing order so that each fit warm-starts from a close neighbour
    out = np.empty_like(vals)
    for i in np.argsort(vals):
        out[i] = engine(vals[i])[0] if engine.x0.shape[0] else (0.0 if vals[i] == engine.n else -np.inf)
    return out.reshape(np.shape(n_values))
