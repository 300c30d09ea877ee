"""SparseMSE's treatment of sparse tables: identifiability check, all-models check, normal interval.

Chan, Silverman & Vincent (2021, JASA 116:1297-1306, "Multiple systems estimation for
sparse capture data: inferential challenges when there are nonoverlapping lists") and
the R package SparseMSE (v2.0.1, ``R/routines.R``), reimplemented from the algorithm
notes (``notes/r_algorithms.md`` sections 6-10):

* two lists that share nobody (an *empty overlap*) fitted with their interaction: the
  interaction is -inf, and SparseMSE deletes every cell where both lists are 1 and
  leaves the term out of the formula (AIC + 2 per such term). Our :func:`fit_model`
  reaches the same estimate as the *extended* MLE (status ``"extended"``);
* :func:`checkident` — SparseMSE's ``checkident``: ``ierr = 1`` when the (extended)
  MLE does not exist by the linear program of Fienberg & Rinaldo (2012, Ann. Statist.
  40:996-1023), ``+ 2`` when the design on the remaining cells is rank deficient;
* :func:`check_all_models` — ``checkallmodels``: every set of two-list interactions
  whose fit cannot give N̂;
* :func:`normal_log_interval` — ``estimatepopulation.0``: a normal interval on the
  log of the dark figure, shifted by the observed count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from .. import _dist as stats  # scipy.stats costs 0.4-0.9 s to import
from ._lp import solve_lp
from .design import CompleteTable
from .fit import LogLinearFit, fit_model, independent_columns
from .terms import LogLinearModel, Term

__all__ = [
    "NormalLogInterval",
    "check_all_models",
    "checkident",
    "ierr_code",
    "list_pairs",
    "mle_on_boundary",
    "normal_log_interval",
    "sparsemse_aic",
    "zero_margin_terms",
]


def list_pairs(lists: Sequence[str]) -> list[Term]:
    """All pairs of lists in SparseMSE's order: (1,2), (1,3), ..., (1,m), (2,3), ...

    Parameters
    ----------
    lists : sequence of str, length m

    Returns
    -------
    list of Term, length m(m-1)/2
        The first list outer, the second inner (``stepwisefit``'s candidate order).
    """
    return list(combinations(tuple(lists), 2))


def _as_model(table: CompleteTable, model: LogLinearModel | Iterable[Iterable[str]]) -> LogLinearModel:
    if isinstance(model, LogLinearModel):
        return model
    return LogLinearModel.make(table.variables, [tuple(t) for t in model])


def _cell_in_term(table: CompleteTable, term: Term) -> np.ndarray:
    """Cells (all of the complete table) where every list of `term` is 1, shape (n_cells,)."""
    m = np.ones(table.n_cells, dtype=bool)
    for v in term:
        m &= table.block((v,))[:, 0] == 1  # a list's design column is its 0/1 indicator
    return m


def zero_margin_terms(table: CompleteTable, model: LogLinearModel) -> list[Term]:
    """Interactions of `model` among lists only whose margin is 0 (nobody on all their lists).

    For a pair A:B this is SparseMSE's *empty overlap*. The parameter of such a term is
    -inf in the extended MLE and every cell with all its lists equal to 1 is fitted as 0.

    Parameters
    ----------
    table : CompleteTable
    model : LogLinearModel

    Returns
    -------
    list of Term
        In the model's term order.
    """
    lists = set(table.histories.lists)
    out = []
    for t in model.terms:
        if len(t) >= 2 and set(t) <= lists and table.y[_cell_in_term(table, t)].sum() == 0:
            out.append(t)
    return out


def _reduced_design(table: CompleteTable, model: LogLinearModel) -> tuple[np.ndarray, np.ndarray, list[Term]]:
    """SparseMSE's ``buildmodelmatrix``: the design without the cells of empty-overlap terms.

    Returns the design (remaining observable cells x columns that are not identically
    zero there), the counts of those cells and the empty terms.
    """
    obs = table.observable
    empty = zero_margin_terms(table, model)
    keep = obs.copy()
    for t in empty:
        keep &= ~_cell_in_term(table, t)
    x = table.design(model)[keep]
    nz = np.any(x != 0, axis=0)
    return x[:, nz], table.y[keep], empty


def _lp_positive_margin(m: np.ndarray, counts: np.ndarray) -> float:
    """Optimal value of SparseMSE's LP: max s subject to Mᵀu = Mᵀcounts, u >= s, u >= 0.

    The value is 0 exactly when the sufficient statistics lie on the boundary of the
    marginal cone, i.e. the (extended) MLE does not exist (Fienberg & Rinaldo 2012,
    Ann. Statist. 40:996-1023). Solved by HiGHS.

    The same LP comes back many times (the exhaustive search on the UK's 5 lists asks 310 times for
    49 distinct ones), so up to 256 distinct values are kept, keyed by a digest of `m` and `counts`
    as float64: the same inputs give the same value, as the solver is deterministic.
    """
    import hashlib

    m = np.ascontiguousarray(m, dtype=float)
    counts = np.ascontiguousarray(counts, dtype=float)
    key = (m.shape, counts.shape, hashlib.blake2b(m.tobytes() + b"|" + counts.tobytes(), digest_size=20).digest())
    value = _LP_MEMO.get(key)
    if value is None:
        if len(_LP_MEMO) >= 256:
            _LP_MEMO.clear()
        value = _LP_MEMO[key] = _solve_positive_margin(m, counts)
    return value


#: digest of (m, counts) -> the LP's optimal value (see _lp_positive_margin)
_LP_MEMO: dict[tuple, float] = {}


def _solve_positive_margin(m: np.ndarray, counts: np.ndarray) -> float:
    """:func:`_lp_positive_margin` without the memo."""
    c_cells, p = m.shape
    if c_cells == 0:
        return 0.0
    t = m.T @ counts
    a_eq = np.hstack([m.T, np.zeros((p, 1))])
    a_ub = np.hstack([-np.eye(c_cells), np.ones((c_cells, 1))])
    cost = np.zeros(c_cells + 1)
    cost[-1] = -1.0
    res = solve_lp(cost, a_ub, np.zeros(c_cells), a_eq, t, lb=0.0, ub=None)
    if res.status != 0:
        raise RuntimeError(f"identifiability LP failed: {res.message}")
    return float(-res.fun)


def checkident(
    table: CompleteTable,
    model: LogLinearModel | Iterable[Iterable[str]] | None = None,
    *,
    tol: float = 1e-7,
) -> int:
    """SparseMSE ``checkident``: can this model estimate N? (0 = yes).

    The cells of empty-overlap terms are deleted (as SparseMSE's ``buildmodel``), the
    design M on the remaining observable cells keeps its non-zero columns, and

    * ``+1`` when the linear program max s s.t. Mᵀu = Mᵀy, u >= s, u >= 0 has optimum
      0: the sufficient statistics are on the boundary of the marginal cone, so the
      (extended) MLE does not exist (Fienberg & Rinaldo 2012; Chan, Silverman &
      Vincent 2021);
    * ``+2`` when M is rank deficient (some parameter is not identifiable).

    Parameters
    ----------
    table : CompleteTable
        Without covariates this is exactly SparseMSE's check; with covariates the same
        test runs on the complete table's design.
    model : LogLinearModel or iterable of terms, optional
        The model, or its interactions as ``[("A", "B"), ...]``. Default: main effects.
    tol : float
        LP optimum at or below `tol` counts as 0. R compares with ``== 0`` (lpSolve
        returns an exact 0 at a degenerate vertex); HiGHS solves to about 1e-9, and a
        genuine positive optimum of these 0/1 programs with integer counts is far
        larger.

    Returns
    -------
    int
        ``ierr`` in {0, 1, 2, 3}.

    Raises
    ------
    RuntimeError
        The LP solver failed (it is always feasible: u = y).
    """
    m = _as_model(table, model or [])
    x, y, _ = _reduced_design(table, m)
    return ierr_code(x, y, tol=tol)


def ierr_code(x: np.ndarray, y: np.ndarray, *, tol: float = 1e-7) -> int:
    """The ``checkident`` code of a design and counts (after any cells have been deleted).

    Parameters
    ----------
    x : ndarray of shape (n_cells, p)
        Design over the cells in the likelihood, without all-zero columns.
    y : ndarray of shape (n_cells,)
        Counts.
    tol : float
        LP optimum at or below `tol` counts as 0.

    Returns
    -------
    int
        1 if the LP optimum is 0 (the MLE does not exist) + 2 if `x` is rank deficient.

    Raises
    ------
    RuntimeError
        The LP solver failed.
    """
    ierr = 0
    if x.shape[1] > x.shape[0] or len(independent_columns(x)) < x.shape[1]:
        ierr += 2
    if mle_on_boundary(x, y, tol=tol):
        ierr += 1
    return ierr


def mle_on_boundary(x: np.ndarray, y: np.ndarray, *, tol: float = 1e-7) -> bool:
    """True when SparseMSE's LP has optimum 0: no strictly positive table has the margins
    Xᵀy, so the MLE does not exist (Fienberg & Rinaldo 2012).

    Parameters
    ----------
    x : ndarray of shape (n_cells, p)
    y : ndarray of shape (n_cells,)
    tol : float
        Optimum at or below `tol` counts as 0.

    Returns
    -------
    bool
        No LP is solved when every count is positive (u = y is then a positive solution).

    Raises
    ------
    RuntimeError
        The LP solver failed.
    """
    if x.shape[0] > 0 and np.all(y > 0):
        return False
    return _lp_positive_margin(x, y) <= tol


def sparsemse_aic(fit: LogLinearFit) -> float:
    """AIC as SparseMSE's ``modelfit`` reports it: glm's AIC on the cells that remain after
    deleting the empty-overlap cells, plus 2 per empty-overlap term.

    This equals ``fit.aic`` for an ``"ok"`` or ``"extended"`` fit whose design has full
    rank, since the -inf parameter is counted in the rank and the deleted cells add 0 to
    the log-likelihood; it is computed here separately so the two can be compared.

    Parameters
    ----------
    fit : LogLinearFit

    Returns
    -------
    float
        NaN when N̂ is not identified.
    """
    if not fit.identified:
        return float("nan")
    table = fit.table
    x, y, empty = _reduced_design(table, fit.model)
    keep = table.observable.copy()
    for t in empty:
        keep &= ~_cell_in_term(table, t)
    mu = fit.fitted[keep]
    rank = len(independent_columns(x))
    ll = float(np.sum(stats.poisson.logpmf(y, np.where(mu > 0, mu, 1.0)) * (mu > 0)))
    return -2.0 * ll + 2.0 * rank + 2.0 * len(empty)


def check_all_models(table: CompleteTable, *, max_lists: int = 6) -> pd.DataFrame:
    """SparseMSE ``checkallmodels``: the sets of two-list interactions that cannot estimate N.

    Every model is "main effects + a set of pairs". For each set E of empty-overlap pairs,
    the model with E and all overlapping pairs is checked with :func:`checkident`; when it
    fails, sets S of overlapping pairs are removed breadth-first (S extended by pairs after
    its largest), pruning S whose model passes. Failure (``ierr > 0``) can only disappear
    when pairs are removed with E fixed (a positive solution u of the LP for a model also
    solves it for every sub-model, and dropping columns keeps full rank), so this finds
    every failing model, with far fewer checks than the 2^(m(m-1)/2) models.

    Unlike SparseMSE, which prints the non-identifiability of the all-pairs model as a
    separate message (``count_triples == 0``), rank-deficient models are listed here as
    rows with ``ierr`` 2 or 3.

    Parameters
    ----------
    table : CompleteTable
        Without covariates.
    max_lists : int
        Refuse tables with more lists (SparseMSE took 539 s on 8 lists).

    Returns
    -------
    DataFrame
        One row per failing model, sorted by number of pairs then pair order:
        ``model`` (``"A:B + A:C"``), ``pairs`` (tuple of Term), ``n_pairs``, ``ierr``,
        ``mle_exists`` (``ierr`` has no 1 bit), ``rank_deficient`` (``ierr`` has the 2
        bit) and ``status``: our :func:`fit_model` classification of the same model
        (``"not identified"`` or ``"extended"``/``"ok"`` where our extended MLE still
        identifies N). Empty when every model passes.

    Raises
    ------
    ValueError
        Covariates present or more than `max_lists` lists.
    """
    h = table.histories
    if h.covariates:
        raise ValueError("check_all_models is for tables without covariates (collapse() them first)")
    if h.k > max_lists:
        raise ValueError(f"check_all_models is limited to {max_lists} lists (got {h.k}): 2^{h.k * (h.k - 1) // 2} models")
    pairs = list_pairs(h.lists)
    ov = h.pairwise_overlaps()
    empty = [p for p in pairs if ov.loc[p[0], p[1]] == 0]
    over = [p for p in pairs if ov.loc[p[0], p[1]] > 0]
    failing: dict[frozenset, int] = {}
    for r in range(len(empty) + 1):
        for e in combinations(empty, r):

            def _ierr_of(removed: tuple[int, ...], e=e) -> int:
                kept = [p for j, p in enumerate(over) if j not in removed]
                return checkident(table, list(e) + kept)

            top = _ierr_of(())
            if top == 0:
                continue
            failing[frozenset(e) | frozenset(over)] = top
            frontier: list[tuple[int, ...]] = [()]
            while frontier:
                nxt = []
                for s in frontier:
                    start = s[-1] + 1 if s else 0
                    for j in range(start, len(over)):
                        s2 = s + (j,)
                        v = _ierr_of(s2)
                        if v > 0:
                            kept = frozenset(p for i, p in enumerate(over) if i not in s2)
                            failing[frozenset(e) | kept] = v
                            nxt.append(s2)
                frontier = nxt
    order = {p: i for i, p in enumerate(pairs)}
    rows = []
    for ps, v in failing.items():
        tp = tuple(sorted(ps, key=order.__getitem__))
        f = fit_model(table, LogLinearModel.make(table.variables, tp), check=True)
        rows.append({
            "model": " + ".join(":".join(p) for p in tp) or "main effects",
            "pairs": tp,
            "n_pairs": len(tp),
            "ierr": v,
            "mle_exists": not (v & 1),
            "rank_deficient": bool(v & 2),
            "status": f.status,
        })
    out = pd.DataFrame(rows, columns=["model", "pairs", "n_pairs", "ierr", "mle_exists", "rank_deficient", "status"])
    if len(out):
        out["_key"] = [tuple(order[p] for p in tp) for tp in out["pairs"]]
        out = out.sort_values(["n_pairs", "_key"]).drop(columns="_key").reset_index(drop=True)
    return out


@dataclass(frozen=True)
class NormalLogInterval:
    """A normal interval on the log of the dark figure (SparseMSE ``estimatepopulation.0``).

    Attributes
    ----------
    estimate : float
        N̂ = observed + dark figure.
    low, high : float
        Interval limits: observed + exp(log(dark) ∓ z·se_log).
    level : float
        Confidence level (0.95).
    se_log : float
        Standard error of the log dark figure from the inverse Fisher information.
    dark_figure : float
        Fitted number never registered.
    n_observed : int
    method : str
        ``"normal on log(dark figure)"``.
    """

    estimate: float
    low: float
    high: float
    level: float
    se_log: float
    dark_figure: float
    n_observed: int
    method: str = "normal on log(dark figure)"


def _glm_poisson(x: np.ndarray, y: np.ndarray, epsilon: float = 1e-8, maxit: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """R's ``glm.fit`` for a Poisson log-linear model, iteration for iteration.

    Starts at mu = y + 0.1, iterates weighted least squares (weights mu) and stops when
    |dev - dev_old| / (|dev| + 0.1) < `epsilon`; the covariance (``cov.unscaled``) is
    the inverse of XᵀWX with the weights of that last iteration, i.e. from the fitted
    values *before* its update, exactly as ``summary.glm`` reports it.

    Returns
    -------
    beta : ndarray of shape (p,)
    cov_unscaled : ndarray of shape (p, p)
    """

    def _dev_of(mu):
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(2.0 * np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))

    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _dev_of(mu)
    beta = np.zeros(x.shape[1])
    a = np.eye(x.shape[1])
    for _ in range(maxit):
        z = eta + (y - mu) / mu
        a = x.T @ (x * mu[:, None])
        beta = np.linalg.solve(a, x.T @ (mu * z))
        eta = x @ beta
        mu = np.exp(eta)
        dev = _dev_of(mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            break
        dev_old = dev
    return beta, np.linalg.inv(a)


def normal_log_interval(fit: LogLinearFit, level: float = 0.95, *, iterate: str = "glm") -> NormalLogInterval:
    """SparseMSE ``estimatepopulation.0``: N̂ and a normal interval on the log dark figure.

    With b0 the intercept (log of the hidden cell's fitted value) and sd its standard
    error, sqrt of the [1,1] entry of (XᵀWX)⁻¹ (glm's ``cov.unscaled``, dispersion 1),
    the limits are n + exp(b0 ± z·sd), z = Φ⁻¹((1+level)/2) (Chan, Silverman & Vincent
    2021; SparseMSE ``estimatepopulation.0``; Cormack 1989 for the log scale). For an ``"extended"`` fit the cells
    outside the facial set (fitted 0, SparseMSE's deleted empty-overlap cells) and the
    columns that vanish there are left out of X, as glm on SparseMSE's reduced data.
    With covariates (several hidden cells) sd is the delta-method standard error of the
    log of their sum, which reduces to the intercept's without covariates.

    Parameters
    ----------
    fit : LogLinearFit
        With status ``"ok"`` or ``"extended"``.
    level : float in (0, 1)
    iterate : {"glm", "converged"}
        ``"glm"`` (default) refits the model as R's ``glm.fit`` does (start mu = y + 0.1,
        stop at a relative deviance change below 1e-8, covariance from the weights of the
        last iteration), so that the numbers equal SparseMSE's to ~1e-12; our own fit is
        converged further, and on small tables R's stopping point moves the limits by up
        to ~3e-5 (relative). ``"converged"`` uses the fit's own fitted values as they are
        (needed for a fit to counts other than the table's, e.g. a bootstrap replicate).

    Returns
    -------
    NormalLogInterval

    Raises
    ------
    ValueError
        `level` outside (0, 1), unknown `iterate`, N̂ not identified, or a fit made
        without the existence check whose MLE may not exist (status ``"boundary"``).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), not {level}")
    if iterate not in ("glm", "converged"):
        raise ValueError(f"iterate must be 'glm' or 'converged', not {iterate!r}")
    if fit.status == "boundary":
        raise ValueError("the MLE of this fit may not exist (fitted with check=False): refit with check=True")
    if not fit.identified:
        raise ValueError(f"no interval: N̂ is not identified for this model (status {fit.status!r})")
    table = fit.table
    obs = table.observable
    mu = fit.fitted[obs]
    if fit.existence is not None:
        facial = np.asarray(fit.existence.facial_set, dtype=bool)
    else:
        facial = mu > 0
    xall = table.design(fit.model)
    x = xall[obs][facial]
    used = independent_columns(x)
    xu = x[:, used]
    hid = table.hidden
    xh = xall[hid][:, used]
    if iterate == "glm":
        beta, cov = _glm_poisson(xu, table.y[obs][facial])
        mh = np.exp(xh @ beta)
    else:
        cov = np.linalg.inv(xu.T @ (xu * mu[facial][:, None]))
        mh = fit.fitted[hid]
    dark = float(mh.sum())
    g = (mh[:, None] * xh).sum(axis=0) / dark
    se = float(np.sqrt(g @ cov @ g))
    z = stats.norm.ppf(0.5 + level / 2)
    n = fit.n_observed
    b0 = np.log(dark)
    return NormalLogInterval(
        estimate=n + dark,
        low=float(n + np.exp(b0 - z * se)),
        high=float(n + np.exp(b0 + z * se)),
        level=level,
        se_log=se,
        dark_figure=dark,
        n_observed=n,
    )
