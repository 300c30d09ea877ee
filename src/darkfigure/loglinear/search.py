"""Model search over hierarchical log-linear models.

Three searches, each reproducing a method in use:

* :func:`cruyff_search` — Cruyff's ``mse::model_search`` (the Dutch 2010-2019 study,
  Cruyff, van der Heijden et al.): R's ``step()`` in its default direction
  ("both": the best single addition or removal of a two-factor term, respecting
  marginality) from the main-effects model while BIC improves, then continuing
  while AIC improves, then with penalty 1; the whole path is returned and the
  min-BIC model is taken by default.
* :func:`pvalue_search` — SparseMSE's ``stepwisefit`` (Chan, Silverman & Vincent
  2021): forward addition of two-list interactions while the best one has a
  p-value below a threshold (default 0.02).
* :func:`exhaustive_search` — every hierarchical model with two-factor list
  interactions (graphs on k <= 6 lists without covariates), or with terms up to order
  k - 1 for k <= 5 as Rcapture's ``closedpMS.t``, ranked by AIC, AICc or BIC.

Models whose N̂ is not identified (MLE does not exist and the unobserved cell is
not in the facial set's row space) are kept in the path for transparency but never
chosen (``allow_unidentified=False``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.special import gammaln, pdtr, pdtrc

from .._blas import single_threaded
from .._dist import chi2
from .design import CompleteTable
from .fit import LogLinearFit, fit_model
from .screen import approximate_criteria
from .terms import LogLinearModel, Term

__all__ = [
    "SearchResult",
    "cruyff_search",
    "pvalue_search",
    "exhaustive_search",
    "hierarchical_models",
    "poisson_smaller_tail",
    "step",
]


@dataclass
class SearchResult:
    """The outcome of a model search.

    Attributes
    ----------
    method : str
        ``"cruyff"``, ``"pvalue"`` or ``"exhaustive"``.
    criterion : str
        Criterion used to choose the model (``"bic"``, ``"aic"``, ``"pvalue"``).
    path : DataFrame
        One row per step (or per model for exhaustive search): ``phase``, ``step``
        (term added ``+ A:B`` or dropped ``- A:B``), ``df_change``, ``deviance_change``,
        ``df``, ``deviance``, ``aic``, ``aicc``, ``bic``, ``nhat``, ``status``, ``model``.
    fits : list of LogLinearFit
        The fit of each row of `path`.
    best : LogLinearFit
        The chosen model.
    warnings : list of str
    """

    method: str
    criterion: str
    path: pd.DataFrame
    fits: list[LogLinearFit] = field(repr=False)
    best: LogLinearFit = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    def relative_path(self) -> pd.DataFrame:
        """The path with AIC, AICc and BIC minus their minimum (as Cruyff's table prints them)."""
        p = self.path.copy()
        for c in ("aic", "aicc", "bic"):
            p[c] = p[c] - p[c].min()
        return p


def _key(t: Term) -> str:
    return ":".join(t)


def _row(phase, label, fit: LogLinearFit, prev: LogLinearFit | None) -> dict:
    return {
        "phase": phase,
        "step": label,
        "df_change": None if prev is None else prev.rank - fit.rank,
        "deviance_change": None if prev is None else prev.deviance - fit.deviance,
        "df": fit.df_residual,
        "deviance": fit.deviance,
        "aic": fit.aic,
        "aicc": fit.aicc,
        "bic": fit.bic,
        "nhat": fit.nhat if fit.identified else np.nan,
        "status": fit.status,
        "model": fit.model.formula(),
    }


def _observable_mu(fit: LogLinearFit) -> np.ndarray:
    return fit.fitted[fit.table.observable]


def step(
    table: CompleteTable,
    start: LogLinearFit,
    k: float,
    *,
    max_order: int = 2,
    lower: LogLinearModel | None = None,
    among: Sequence[str] | None = None,
    fit: Callable[..., LogLinearFit] = fit_model,
    max_steps: int = 1000,
    exact: bool = False,
) -> list[tuple[str, LogLinearFit]]:
    """R's ``step(direction = "both")`` with penalty `k` per parameter.

    At each step every droppable interaction (not in `lower`, not a margin of a
    higher term) and every addable one (up to `max_order`, all margins present) is
    a candidate; the candidate with the smallest ``-2 logL + k * p`` is taken if it
    is smaller than the current model's by more than 1e-7 (R's rule); ties keep the
    current model first, then drops, then additions, as R's ``order()`` does.

    With ``exact=True`` every candidate is refitted, as R does. By default the
    candidates are refitted in the order of their score/Wald approximations
    (:mod:`.screen`) until the remaining approximations are worse than the best
    exact value by a safe margin (2 + a quarter of the approximated improvement);
    removals of diverging terms are always refitted. Both give the reference paths.

    Parameters
    ----------
    table : CompleteTable
    start : LogLinearFit
    k : float
        Penalty per parameter: 2 for AIC, log(n) for BIC.
    max_order : int
        Highest interaction order in the scope (2 as ``Freq ~ .^2``).
    lower : LogLinearModel, optional
        Terms that are never dropped (default: main effects only).
    among : sequence of str, optional
        Restrict added terms to these variables.
    exact : bool
        Refit every candidate (slower, no approximation involved).

    Returns
    -------
    list of (label, fit)
        The steps taken, e.g. ``("+ A:B", fit)``.
    """
    cur = start
    keep = set(lower.interactions) if lower is not None else set()
    out: list[tuple[str, LogLinearFit]] = []

    def _crit(f: LogLinearFit) -> float:
        return -2.0 * f.loglik + k * f.rank

    for _ in range(max_steps):
        drops = [t for t in cur.model.droppable() if t not in keep]
        adds = cur.model.addable(max_order, among)
        cands: list[tuple[str, LogLinearModel]] = [(f"- {_key(t)}", cur.model.drop(t)) for t in drops]
        cands += [(f"+ {_key(t)}", cur.model.add(t)) for t in adds]
        if not cands:
            break
        mu0 = _observable_mu(cur)
        c0 = _crit(cur)
        if exact:
            order = np.arange(len(cands))
            approx = np.full(len(cands), -np.inf)
        else:
            add_c, drop_c = approximate_criteria(table, cur, adds, drops, k)
            approx = np.concatenate([drop_c, add_c])
            order = np.argsort(approx, kind="stable")
        best_val, best_i, best = c0, -1, None
        for i in order:
            if best is not None and approx[i] > best_val + 2.0 + 0.25 * max(c0 - approx[i], 0.0):
                break
            label, m = cands[i]
            # R's glm tolerance (1e-8) for candidates, as step() fits them
            f = fit(table, m, mu_start=mu0, check=False, tol=1e-8)
            v = _crit(f)
            # the first minimum in R's candidate order wins ties
            if v < best_val or (best is not None and v == best_val and i < best_i):
                best_val, best_i, best = v, i, (label, f)
        if best is None or best_val >= c0 - 1e-7:
            break
        out.append(best)
        cur = best[1]
    return out


def _choose(fits: list[LogLinearFit], key: Callable[[LogLinearFit], float], allow_unidentified: bool) -> int:
    vals = np.array([key(f) if (allow_unidentified or f.identified) else np.inf for f in fits])
    if not np.isfinite(vals).any():
        return -1
    return int(np.argmin(vals))


@single_threaded
def cruyff_search(
    table: CompleteTable,
    *,
    criterion: str = "bic",
    start: LogLinearModel | None = None,
    max_order: int = 2,
    allow_unidentified: bool = False,
    exact: bool = False,
) -> SearchResult:
    """Cruyff's stepwise search (R package ``mse``, ``model_search``).

    From the main-effects model: ``step()`` with k = log(n) (n = persons observed)
    while BIC improves; from there ``step()`` with k = 2 while AIC improves; from
    there with k = 1. The path of all three phases is returned and the model with
    the smallest `criterion` on the path is chosen.

    Parameters
    ----------
    table : CompleteTable
    criterion : {"bic", "aic", "aicc"}
    start : LogLinearModel, optional
        Starting model (default: main effects of all lists and covariates).
    max_order : int
        Highest interaction order in the scope (Cruyff uses 2).
    allow_unidentified : bool
        Allow choosing a model whose N̂ is not identified (never by default).
    exact : bool
        Refit every candidate at every step as R does (default: refit candidates in
        the order of score/Wald approximations, see :func:`step`).

    Returns
    -------
    SearchResult

    Raises
    ------
    ValueError
        Unknown criterion.
    """
    if criterion not in ("bic", "aic", "aicc"):
        raise ValueError(f"criterion must be 'bic', 'aic' or 'aicc', not {criterion!r}")
    model = start or LogLinearModel.make(table.variables)
    f0 = fit_model(table, model)
    n = float(table.y[table.observable].sum())
    rows = [_row("start", "", f0, None)]
    fits = [f0]
    cur = f0
    lower = None  # phase 1 may drop any interaction; later phases only add (lower = previous model)
    for phase, k in (("bic", np.log(n)), ("aic", 2.0), ("k=1", 1.0)):
        for label, f in step(table, cur, k, max_order=max_order, lower=lower, exact=exact):
            f = _final(table, f)
            rows.append(_row(phase, label, f, cur))
            fits.append(f)
            cur = f
        lower = cur.model
    path = pd.DataFrame(rows)
    i = _choose(fits, lambda f: getattr(f, criterion), allow_unidentified)
    warnings = []
    if i < 0:
        raise RuntimeError("no model on the search path has an identified N̂")
    if any(not f.identified for f in fits):
        bad = [r["step"] for r, f in zip(rows, fits) if not f.identified]
        warnings.append(
            f"{len(bad)} model(s) on the path have no identified N̂ (MLE does not exist): "
            f"steps {', '.join(bad)}; they are shown without N̂ and never chosen"
        )
    return SearchResult("cruyff", criterion, path, fits, fits[i], warnings)


def _final(table: CompleteTable, f: LogLinearFit) -> LogLinearFit:
    """Refit with the LP existence check when the cheap screen of a candidate fit flagged it.

    Candidates are fitted with ``check=False``: a diverging parameter (|beta| > 15 or a
    zero cell fitted below 1e-9 after convergence) marks them ``"boundary"``; only
    those need the linear program to find the facial set and whether N̂ is identified.
    """
    if f.existence is None and f.status not in ("ok",):
        return fit_model(table, f.model, mu_start=_observable_mu(f), check=True)
    # candidates were fitted to R's tolerance; polish the accepted model (1-2 Newton steps)
    return fit_model(table, f.model, mu_start=_observable_mu(f), check="auto")


def _log_poisson_tail_series(k: int, lam: float, upper: bool) -> float:
    """log P(X <= k) (``upper=False``, for k < lam) or log P(X >= k) (``upper=True``, k > lam),
    X ~ Poisson(lam), as log pmf(k) plus the log of a series of ratios below 1 (exact in
    the far tails, where the tail probability underflows in double precision)."""
    logpmf = k * np.log(lam) - lam - gammaln(k + 1)
    s, term, j = 1.0, 1.0, 0
    while True:
        if upper:
            j += 1
            term *= lam / (k + j)
        else:
            if j >= k:
                break
            term *= (k - j) / lam
            j += 1
        s += term
        if term < 1e-17 * s:
            break
    return float(logpmf + np.log(s))


def poisson_smaller_tail(observed: float, expected: float) -> float:
    """The smaller Poisson tail of an observed count: min(P(X <= n*), P(X >= n*)), X ~ Poisson(p*).

    This is SparseMSE ``stepwisefit``'s p-value of a pair of lists (Chan, Silverman &
    Vincent 2021; SparseMSE ``stepwisefit``): n* the observed overlap, p* the overlap expected under the
    current model; R's ``min(ppois(n*, p*), ppois(n* - 1, p*, lower = FALSE))``, one
    tail, not doubled. For n* = 0 it is exp(-p*). Far tails are computed on the log
    scale and then exponentiated, so they underflow to 0 only where R's do (~1e-320).

    Parameters
    ----------
    observed : float
        n*, a non-negative integer count.
    expected : float
        p* >= 0.

    Returns
    -------
    float in [0, 1]
    """
    k = int(round(observed))
    lam = float(expected)
    if lam <= 0:
        return 1.0 if k == 0 else 0.0
    # scipy.special's ufuncs: same values as scipy.stats.poisson without its overhead
    lower = float(pdtr(k, lam))
    upper = float(pdtrc(k - 1, lam)) if k > 0 else 1.0
    p = min(lower, upper)
    if p < 1e-280:
        p = float(np.exp(_log_poisson_tail_series(k, lam, upper=k > lam)))
    return p


@single_threaded
def pvalue_search(
    table: CompleteTable,
    *,
    pthresh: float = 0.02,
    start: LogLinearModel | None = None,
    details: bool = True,
    list_covariate: bool = False,
) -> SearchResult:
    """SparseMSE's forward stepwise search (``stepwisefit``) with a p-value threshold.

    From the main-effects model, at each step every pair of lists i < j not yet in the
    model gets the p-value :func:`poisson_smaller_tail` of its observed overlap n*_ij
    (persons on both lists, whatever their other lists) under the overlap expected from
    the current fit, p*_ij = sum of the fitted values of the cells with both lists
    (cells fitted as 0 for empty overlaps contribute 0). Pairs whose model fails
    SparseMSE's :func:`~darkfigure.loglinear.sparse.checkident` get p = 1. The first pair
    (in the order (1,2), (1,3), ..., (2,3), ...) with the smallest p is added when that p
    is below `pthresh`; otherwise the search stops (Chan, Silverman & Vincent 2021,
    JASA 116:1297-1306; SparseMSE 2.0.1 ``stepwisefit``). It is not a Wald or
    likelihood-ratio test.

    Pairs with an empty overlap are eligible (p = exp(-p*)); once added, their fit is the
    extended MLE (status ``"extended"``: the cells with both lists fitted as 0), which
    gives the N̂ of SparseMSE's deleting of those cells.

    Parameters
    ----------
    table : CompleteTable
        SparseMSE has no covariates; with covariates the overlaps and expected overlaps
        are summed over all strata.
    pthresh : float in [0, 1]
        Threshold on the p-value (SparseMSE default 0.02). As SparseMSE, 0 gives main
        effects only, and 1 gives all pairs when that model passes ``checkident``.
    start : LogLinearModel, optional
        Starting model (default main effects of all variables).
    details : bool
        Fill the path's ``aic_sparsemse`` and ``empty_overlaps`` columns (False inside
        bootstrap replicates, where only the chosen model matters: NaN and "").
    list_covariate : bool
        Also offer every list x covariate term as a candidate (with covariates; SparseMSE
        has none, so False is its exact search). A list x covariate term's p-value is the
        likelihood-ratio test of adding it (chi-square on its degrees of freedom, the
        extra rank); it competes with the pairs' p-values and is added when it is the
        smallest and below `pthresh` (ties: pairs first). Without these terms a list
        whose capture rate differs between subgroups biases N̂ (issue 10: +14.6%).

    Returns
    -------
    SearchResult
        `path` has one row per model on the way (the start, then each pair added) with
        ``pvalue`` (the p-value of the pair added at that step), ``aic_sparsemse``
        (SparseMSE's AIC: +2 per empty-overlap pair, equal to ``aic`` here) and
        ``empty_overlaps``; ``path.attrs["stop"]`` holds the best remaining pair and its
        p-value when the search stopped.

    Raises
    ------
    ValueError
        `pthresh` outside [0, 1].
    """
    from .sparse import checkident, list_pairs, sparsemse_aic, zero_margin_terms

    if not 0 <= pthresh <= 1:
        raise ValueError(f"pthresh must be in [0, 1], not {pthresh}")
    lists = table.histories.lists
    pairs = list_pairs(lists)
    model = start or LogLinearModel.make(table.variables)

    def _pvalue_row(label, f, prev, p):
        row = _row("pvalue" if prev is not None else "start", label, f, prev) | {"pvalue": p}
        if not details:
            return row | {"aic_sparsemse": np.nan, "empty_overlaps": ""}
        empty = zero_margin_terms(table, f.model)
        return row | {"aic_sparsemse": sparsemse_aic(f), "empty_overlaps": ", ".join(_key(t) for t in empty)}

    full = LogLinearModel.make(table.variables, list(model.interactions) + pairs)
    if pthresh == 1 and checkident(table, full) == 0:
        f = fit_model(table, full, check=True)
        path = pd.DataFrame([_pvalue_row("all pairs", f, None, np.nan)])
        return SearchResult("pvalue", "pvalue", path, [f], f, [])
    cur = fit_model(table, model, check=True, quick_boundary=not details)
    rows = [_pvalue_row("", cur, None, np.nan)]
    fits = [cur]
    stop: dict = {}
    if pthresh > 0:
        obs = table.observable
        y = table.y[obs]
        # from the cached design blocks (0/1 list codings shared by the bootstrap's copies of the table), not
        # from the cells frame: pandas column access per pair cost a tenth of a bootstrap replicate
        both = {p: (table.block((p[0], p[1]))[obs, 0] == 1) for p in pairs}
        nstar = {p: float(y[both[p]].sum()) for p in pairs}
        covs = list(table.histories.covariates) if list_covariate else []
        lc_terms = [(lst, c) for lst in lists for c in covs]
        for _ in range(len(pairs) + len(lc_terms)):
            mu = cur.fitted[obs]
            best_p, best_pair = 1.0, None
            first_p, first_pair = np.inf, None
            refused = []
            cand = []
            for p in pairs:
                if p in cur.model.interactions:
                    continue
                pv = poisson_smaller_tail(nstar[p], float(mu[both[p]].sum()))
                if pv < first_p:
                    first_p, first_pair = pv, p
                cand.append((pv, p))
            # checkident (p = 1 on failure) only matters for the pair that would be chosen:
            # try pairs by increasing p (stable: earlier pairs first on ties) until one passes.
            # checkident's verdict equals our fit status (ierr 0 <=> "ok"/"extended", checked on
            # every two-list model of the bundled tables in tests/test_existence.py); the fit
            # runs the LP only when a parameter diverges, and is kept as the next step's fit.
            best_fit = None
            lc_fits = {}
            for term in lc_terms:
                if term in cur.model.interactions:
                    continue
                f = fit_model(table, cur.model.add(term), mu_start=_observable_mu(cur), check="auto")
                if not f.identified or f.rank <= cur.rank:
                    continue
                pv = float(chi2.sf(max(cur.deviance - f.deviance, 0.0), f.rank - cur.rank))
                lc_fits[term] = f
                if pv < first_p:
                    first_p, first_pair = pv, term
                cand.append((pv, term))
            for pv, p in sorted(cand, key=lambda c: (c[0], _is_list_covariate(c[1], lc_fits))):
                if p in lc_fits:
                    if pv >= pthresh:
                        break
                    best_p, best_pair, best_fit = pv, p, lc_fits[p]
                    break
                if pv >= pthresh:
                    break
                f = fit_model(table, cur.model.add(p), mu_start=_observable_mu(cur), check="auto",
                              quick_boundary=not details)
                if f.identified:
                    best_p, best_pair, best_fit = pv, p, f
                    break
                refused.append(_key(p))
            if best_pair is None:
                stop = {
                    "pair": None if first_pair is None else _key(first_pair),
                    "pvalue": float(first_p),
                    "refused_by_checkident": refused,
                }
                break
            f = best_fit
            rows.append(_pvalue_row(f"+ {_key(best_pair)}", f, cur, best_p))
            fits.append(f)
            cur = f
    # column by column: pandas' row-dict path cost a tenth of a bootstrap replicate
    path = pd.DataFrame({c: [r[c] for r in rows] for c in rows[0]})
    path.attrs["stop"] = stop
    warnings = []
    empty = zero_margin_terms(table, cur.model)
    if empty:
        warnings.append(
            f"the chosen model has interaction(s) of lists that share nobody ({', '.join(_key(t) for t in empty)}): "
            "they are fitted as -inf (extended MLE; SparseMSE deletes those cells and adds 2 to the AIC per pair)"
        )
    return SearchResult("pvalue", "pvalue", path, fits, cur, warnings)


def _is_list_covariate(term, lc_fits) -> bool:
    """Sort key: list pairs before list x covariate terms on equal p-values."""
    return term in lc_fits


def hierarchical_models(k: int, max_order: int = 2) -> list[list[tuple[int, ...]]]:
    """Every hierarchical model on k lists with all main effects and terms up to `max_order`.

    Parameters
    ----------
    k : int >= 2
        Number of lists.
    max_order : int in [1, k - 1]
        Highest order of interaction (2: any graph on the lists, 2^(k(k-1)/2) models).

    Returns
    -------
    list of list of tuple of int
        The interactions of each model as tuples of list indices (main effects implicit),
        closed under margins, each sorted by order then index; the main-effects model
        first. The counts are Rcapture's ``closedpMS.t`` ones (Baillargeon & Rivest 2007):
        113 for k = 4 and max_order 3, 6,893 for k = 5 and max_order 4.

    Raises
    ------
    ValueError
        `max_order` outside [1, k - 1].
    """
    if not 1 <= max_order <= k - 1:
        raise ValueError(f"max_order must be between 1 and {k - 1} for {k} lists, not {max_order}")
    out: list[list[tuple[int, ...]]] = []

    def _extend(chosen: list[tuple[int, ...]], prev: set, r: int) -> None:
        # every model with the terms `chosen` of order < r, whose order-(r-1) terms are `prev`
        out.append(chosen)
        if r > max_order:
            return
        allowed = [t for t in combinations(range(k), r) if all(f in prev for f in combinations(t, r - 1))]
        for size in range(1, len(allowed) + 1):
            for pick in combinations(allowed, size):
                _extend(chosen + list(pick), set(pick), r + 1)

    _extend([], {(i,) for i in range(k)}, 2)
    return out


def _batch_poisson(
    x: np.ndarray,
    y: np.ndarray,
    cols: np.ndarray,
    cells: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 60,
    chunk: int = 4096,
    glm: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Poisson log-linear fits of many models on one table at once (Newton/IRLS, vectorised).

    Model m uses the columns ``cols[m]`` of `x` on the cells ``cells[m]``; its design must
    have full rank there (checked beforehand). Each fit starts as R's glm (mu = y + 0.1)
    and stops when the relative change of deviance is below `tol` (McCullagh & Nelder
    1989, sec. 2.5); a step that raises the deviance is halved. With ``glm=True`` it is
    R's ``glm.fit`` instead (no halving; the information of the bias is from the weights
    of the last iteration, as ``vcov``), for models whose MLE does not exist, where R's
    numbers depend on where its iteration stops.
    Also returns the asymptotic bias of N̂ that Rcapture reports (``closedp.fitone``):
    0.5·exp(b0)·v_0 with v = -I⁻¹ψ, ψ = -2 Xᵀ(μ ⊙ ξ) - e_0, ξ_c = -0.5 x_cᵀ I⁻¹ x_c and
    I = XᵀWX the Fisher information: the second-order bias of the GLM coefficients
    (Cordeiro & McCullagh 1991, JRSS B 53:629-643) carried to exp(b0).

    Parameters
    ----------
    x : ndarray of shape (C, P)
    y : ndarray of shape (C,)
    cols : ndarray of bool, shape (M, P)
    cells : ndarray of bool, shape (M, C)
    tol, max_iter : float, int
    chunk : int
        Models per block (memory ~ chunk · C · P · 8 bytes).
    glm : bool
        Emulate R's ``glm.fit`` (use with ``tol=1e-8, max_iter=200`` as Rcapture).

    Returns
    -------
    beta : ndarray of shape (M, P)
        0 outside each model's columns.
    mu : ndarray of shape (M, C)
        0 outside each model's cells.
    deviance : ndarray of shape (M,)
    converged : ndarray of bool, shape (M,)
    bias : ndarray of shape (M,)
        Rcapture's asymptotic bias of N̂.
    interior : ndarray of bool, shape (M,)
        The MLE provably exists (a cheap certificate, as
        :func:`.existence.interior_certificate`): one more Newton step s from the converged
        fit gives mu' = mu (1 + X s) with the observed margins, positive when every cell's
        X s > -0.5 (Haberman 1974, Thm 2.3). Cells fitted below 1e-10 n are not certified.
    """
    n_models, p = cols.shape
    out = (np.zeros((n_models, p)), np.zeros((n_models, x.shape[0])), np.zeros(n_models),
           np.zeros(n_models, dtype=bool), np.zeros(n_models), np.zeros(n_models, dtype=bool))
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    n_obs = max(float(y.sum()), 1.0)

    def deviance(mu, keep):
        """Poisson deviance of a batch of fits."""
        lm = np.log(np.where(keep > 0, mu, 1.0))
        return 2.0 * np.sum(keep * (ylogy - y * lm - (y - mu)), axis=1)

    def information(mu, xm):
        """Fisher information X'WX of a batch of fits (each on its own columns)."""
        return np.matmul((xm * mu[:, :, None]).transpose(0, 2, 1), xm)

    def times(xm, v):
        """X b for every fit of a batch: (m, C, r) x (m, r) -> (m, C)."""
        return np.matmul(xm, v[:, :, None])[:, :, 0]

    def t_times(xm, v):
        """X'v for every fit of a batch: (m, C, r) x (m, C) -> (m, r)."""
        return np.matmul(v[:, None, :], xm)[:, 0, :]

    # models are fitted in blocks of equal column count on their own columns (compact
    # systems: r x r instead of P x P with identity padding)
    ncol = cols.sum(axis=1)
    for r in np.unique(ncol):
        grp = np.flatnonzero(ncol == r)
        for lo in range(0, grp.size, chunk):
            ids = grp[lo: lo + chunk]
            m = ids.size
            idx = np.nonzero(cols[ids])[1].reshape(m, r)  # each model's columns, intercept first
            xm = np.ascontiguousarray(x[:, idx].transpose(1, 0, 2))  # (m, C, r)
            keep = cells[ids].astype(float)
            mu = (y + 0.1)[None, :] * keep
            eta = np.log(np.where(keep > 0, mu, 1.0))
            dev = deviance(mu, keep)
            beta = np.zeros((m, r))
            conv = np.zeros(m, dtype=bool)
            active = np.arange(m)
            last_info = information(mu, xm) if glm else None
            for it in range(max_iter):
                if active.size == 0:
                    break
                ka, mua, xa = keep[active], mu[active], xm[active]
                z = eta[active] + ka * (y - mua) / np.where(mua > 0, mua, 1.0)
                info = information(mua, xa)
                if glm:
                    last_info[active] = info
                bnew = _solve_batch(info, t_times(xa, mua * z))
                lin = times(xa, bnew)
                mun = np.exp(np.minimum(lin, 700.0)) * ka
                devn = deviance(mun, ka)
                bad = (devn > dev[active] * (1 + 1e-12) + 1e-12) & (it > 0) & (not glm)
                for _ in range(30):  # step-halving (rarely needed from glm's start)
                    if not bad.any():
                        break
                    bnew[bad] = 0.5 * (bnew[bad] + beta[active[bad]])
                    lin[bad] = times(xa[bad], bnew[bad])
                    mun[bad] = np.exp(np.minimum(lin[bad], 700.0)) * ka[bad]
                    devn[bad] = deviance(mun[bad], ka[bad])
                    bad = devn > dev[active] * (1 + 1e-12) + 1e-12
                change = np.abs(devn - dev[active]) / (np.abs(devn) + 0.1)
                beta[active], mu[active], dev[active] = bnew, mun, devn
                eta[active] = np.where(ka > 0, lin, 0.0)
                done = (change < tol) & (it > 0)
                conv[active[done]] = True
                active = active[~done]
            # Rcapture's asymptotic bias at the fit
            inv = np.linalg.pinv(last_info if glm else information(mu, xm), hermitian=True)
            xi = -0.5 * np.sum(np.matmul(xm, inv) * xm, axis=2)  # x_c' I^-1 x_c for every cell
            psi = -2.0 * t_times(xm, mu * xi)
            psi[:, 0] -= 1.0
            v0 = -np.einsum("mq,mq->m", inv[:, 0, :], psi)
            bias = 0.5 * np.exp(beta[:, 0]) * v0
            # interior certificate: the Newton step from the fit keeps every kept cell positive
            step = np.matmul(inv, t_times(xm, (y - mu) * keep)[:, :, None])[:, :, 0]
            d = np.where(keep > 0, times(xm, step), np.inf)
            tiny = np.where(keep > 0, mu, np.inf).min(axis=1) <= 1e-10 * n_obs
            interior = conv & ~tiny & (d.min(axis=1) > -0.5) & np.all(np.isfinite(step), axis=1)
            full = np.zeros((m, p))
            np.put_along_axis(full, idx, beta, axis=1)
            for o, v in zip(out, (full, mu, dev, conv, bias, interior)):
                o[ids] = v
    return out


def _solve_batch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve a[m] z = b[m] for every m, shapes (M, P, P) and (M, P); least squares for the
    (numerically) singular systems of fits heading to the boundary."""
    try:
        return np.linalg.solve(a, b[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        # only the singular systems by least squares, so a fit's steps do not depend on its batch
        out = np.empty_like(b)
        for i, (ai, bi) in enumerate(zip(a, b)):
            try:
                out[i] = np.linalg.solve(ai, bi)
            except np.linalg.LinAlgError:
                out[i] = np.linalg.lstsq(ai, bi, rcond=1e-13)[0]
        return out


class _ExhaustiveFits(Sequence):
    """The fits of an exhaustive search, built on first access (32,768 for 6 lists)."""

    def __init__(self, make: Callable[[int], LogLinearFit], order: np.ndarray):
        self._make, self._order, self._cache = make, order, {}

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        j = int(self._order[i])
        if j not in self._cache:
            self._cache[j] = self._make(j)
        return self._cache[j]


@single_threaded
def exhaustive_search(
    table: CompleteTable,
    *,
    criterion: str = "bic",
    max_lists: int = 6,
    max_order: int = 2,
    allow_unidentified: bool = False,
    max_bias: float | None = None,
) -> SearchResult:
    """Fit every hierarchical model of the lists and rank them by AIC, AICc or BIC.

    With ``max_order=2`` these are the 2^(k(k-1)/2) models "main effects + any set of
    two-list interactions" (1,024 for 5 lists, 32,768 for 6); with ``max_order`` 3 or
    more, every hierarchical model with terms up to that order, as Rcapture's
    ``closedpMS.t`` (Baillargeon & Rivest 2007, J. Stat. Softw. 19(5); 113 models for
    4 lists and order 3, 6,893 for 5 lists and order 4). Tables without covariates only.

    How it is fast: models are grouped by the interactions they include of lists that
    share nobody (SparseMSE's empty overlaps, Chan, Silverman & Vincent 2021: their cells
    are fitted as 0, status ``"extended"``). Within a group a model passes SparseMSE's
    ``checkident`` when a larger model of the group does (a positive solution of the
    existence LP of Fienberg & Rinaldo 2012 for a model solves it for its sub-models, and
    dropping columns keeps full rank), so few linear programs are solved. Every
    full-rank model is first fitted at once by a vectorised Newton iteration (blocks of
    equal column count, each model on its own columns); a converged fit with an interior
    certificate (one more Newton step keeps every cell positive, Haberman 1974) proves
    the LP would pass, so LPs are solved only for the models heading to the boundary
    (1,279 → 310 on UK 2013 with 5 lists and order 4). The models failing checkident
    go through :func:`fit_model` with the full existence check, warm-started where the
    batch stopped (``"not identified"``, or ``"extended"`` when the extended MLE still
    identifies N). Fit statistics are
    :func:`fit_model`'s (the AIC counts every column of the model, the -inf ones too:
    SparseMSE's +2 per empty pair and glm's rank on the full table).

    Parameters
    ----------
    table : CompleteTable
    criterion : {"bic", "aic", "aicc"}
    max_lists : int
        Refuse more lists than this (the count of models explodes).
    max_order : int
        Highest interaction order; above 2 only for at most 5 lists.
    allow_unidentified : bool
        Rank models without an identified N̂ (never by default: they go last).
    max_bias : float, optional
        Rank last the models whose asymptotic bias (column ``bias``) exceeds ``max_bias`` · N̂
        in absolute value or is NaN. Rcapture's ``closedpMS.t`` flags those models with a
        warning (``infoFit`` != 0; the bias threshold is 0.1) and reports its best AIC/BIC
        among unflagged models; ``max_bias=0.1`` reproduces that choice (and, on UK 2013
        with 6 lists, its count of 23,822 unflagged models).

    Returns
    -------
    SearchResult
        `path` holds every model, sorted by the criterion (unidentified and excluded models
        last; ties keep the enumeration order), with ``n_terms``, ``empty_overlaps``,
        ``ierr`` (SparseMSE's checkident) and ``bias``: Rcapture's asymptotic bias of N̂
        (at the MLE; for a model with empty-overlap terms where R's glm stops on the full
        table, as Rcapture fits it; NaN where glm would warn — no convergence in 200
        iterations or fitted values below 10 eps — and for models failing checkident).
        ``fits[i]`` is the fit of row i (built when first accessed). ``path.attrs``
        records ``linear_programs`` (solved) and ``seconds``.

    Raises
    ------
    ValueError
        Covariates present, too many lists, `max_order` out of range or unknown criterion.
    RuntimeError
        No model has an identified N̂ (and `allow_unidentified` is False).
    """
    import time

    from .sparse import mle_on_boundary

    t_start = time.perf_counter()
    h = table.histories
    if h.covariates:
        raise ValueError("exhaustive search is for tables without covariates; use the stepwise search")
    if h.k > max_lists:
        raise ValueError(f"exhaustive search is limited to {max_lists} lists (got {h.k})")
    if criterion not in ("bic", "aic", "aicc"):
        raise ValueError(f"criterion must be 'bic', 'aic' or 'aicc', not {criterion!r}")
    if max_order > 2 and h.k > 5:
        raise ValueError(f"hierarchical models above order 2 are enumerated for at most 5 lists (got {h.k})")
    k = h.k
    lists = tuple(h.lists)
    models = hierarchical_models(k, max_order)
    # full design over the observable cells: intercept, mains, then terms by order (R's order)
    terms = [t for r in range(2, max_order + 1) for t in combinations(range(k), r)]
    col_of = {t: 1 + k + j for j, t in enumerate(terms)}
    label = {t: ":".join(lists[i] for i in t) for t in terms}
    full = LogLinearModel.make(table.variables, [tuple(lists[i] for i in t) for t in terms])
    obs = table.observable
    x = table.design(full)[obs]
    y = table.y[obs]
    n = float(y.sum())
    p = x.shape[1]
    if np.linalg.matrix_rank(x) < p:  # never for order < k on the 2^k - 1 observable cells
        raise RuntimeError("the design of the largest model is rank deficient on the observable cells")
    pattern = np.stack([table.cells[v].to_numpy()[obs] == 1 for v in lists], axis=1)
    in_term = {t: pattern[:, list(t)].all(axis=1) for t in terms}
    zero_terms = {t for t in terms if y[in_term[t]].sum() == 0}
    n_models = len(models)
    cols = np.zeros((n_models, p), dtype=bool)
    cols[:, : 1 + k] = True
    cells = np.ones((n_models, x.shape[0]), dtype=bool)
    groups: dict[frozenset, list[int]] = {}
    for i, mt in enumerate(models):
        for t in mt:
            cols[i, col_of[t]] = True
            if t in zero_terms:
                cells[i] &= ~in_term[t]
        groups.setdefault(frozenset(t for t in mt if t in zero_terms), []).append(i)
    # columns that vanish on the remaining cells (the -inf terms) are left out of the fit
    nonzero = cols & ((cells.astype(float) @ (x != 0)) > 0)
    # checkident of every model. Within a group, the LP succeeds for every sub-model of a
    # model where it succeeds and fails for every super-model of one where it fails, and
    # rank deficiency passes to super-models. The group's largest model goes first (when
    # it passes, as for every two-factor model of most tables, one LP settles the group),
    # then a fixed shuffled order, so that each LP settles others in both directions.
    bits = (nonzero.astype(np.uint64) * (np.uint64(1) << np.arange(p, dtype=np.uint64))).sum(axis=1)
    members_order = {}
    rank_bit = np.zeros(n_models, dtype=int)
    shuffle = np.random.default_rng(0)
    for g, members in groups.items():
        top = max(members, key=lambda i: int(nonzero[i].sum()))
        members_order[g] = [top] + [j for j in shuffle.permutation(members) if j != top]
        rank_fail = np.zeros(0, dtype=np.uint64)
        for i in members_order[g]:
            b = bits[i]
            if np.any((rank_fail & b) == rank_fail):
                rank_bit[i] = 2
                continue
            xi = x[cells[i]][:, nonzero[i]]
            if xi.shape[1] > xi.shape[0] or np.linalg.matrix_rank(xi) < xi.shape[1]:
                rank_bit[i] = 2
                rank_fail = np.append(rank_fail, b)
    # every full-rank model is fitted at once; a converged fit with an interior certificate
    # proves that its MLE exists (checkident's LP would succeed), so LPs are solved only for
    # the models heading to the boundary
    fr = rank_bit == 0
    fr_fit = _batch_poisson(x, y, nonzero[fr], cells[fr])
    interior = np.zeros(n_models, dtype=bool)
    interior[fr] = fr_fit[5]
    ierr = np.full(n_models, -1)
    n_lp = 0
    for g, members in groups.items():
        lp_ok = bits[[i for i in members if interior[i]]]
        lp_fail = np.zeros(0, dtype=np.uint64)
        for i in members_order[g]:
            b = bits[i]
            if interior[i] or np.any((lp_ok & b) == b):
                lp_bit = 0
            elif np.any((lp_fail & b) == lp_fail):
                lp_bit = 1
            else:
                lp_bit = int(mle_on_boundary(x[cells[i]][:, nonzero[i]], y[cells[i]]))
                n_lp += 1
                if lp_bit:
                    lp_fail = np.append(lp_fail, b)
                else:
                    lp_ok = np.append(lp_ok, b)
            ierr[i] = lp_bit + rank_bit[i]
    ok = ierr == 0
    sel = ok[fr]
    beta, mu, dev, conv, bias = (a[sel] for a in fr_fit[:5])
    fr_row = np.cumsum(fr) - 1  # row of model i in the full-rank batch
    mu_fr = fr_fit[1]
    # Rcapture fits the models whose MLE does not exist with glm on the full table, so its
    # bias there is taken where glm stops (it warns, infoFit != 0, when glm does not
    # converge in 200 iterations or fitted values fall below 10 eps: bias NaN here)
    ext = ~cells[ok].all(axis=1)
    if ext.any():
        _, mu_r, _, conv_r, bias_r, _ = _batch_poisson(
            x, y, cols[ok][ext], np.ones((int(ext.sum()), x.shape[0]), dtype=bool), tol=1e-8, max_iter=200, glm=True
        )
        warned = ~conv_r | (mu_r.min(axis=1) < 10 * np.finfo(float).eps)
        bias[ext] = np.where(warned, np.nan, bias_r)
    bi = np.cumsum(ok) - 1  # row of model i in the batch
    rank = cols.sum(axis=1)
    lgy = gammaln(y + 1)
    with np.errstate(divide="ignore"):
        ll_b = np.sum(np.where(mu > 0, y * np.log(np.where(mu > 0, mu, 1.0)), 0.0) - mu - lgy, axis=1)
    # statistics of every model; the models failing checkident are fitted one by one
    stat = {c: np.full(n_models, np.nan) for c in ("deviance", "loglik", "nhat", "bias")}
    # residual df of glm on the reduced table (cells of empty overlaps and their columns removed)
    df_res = cells.sum(axis=1) - nonzero.sum(axis=1)
    status = np.empty(n_models, dtype=object)
    slow: dict[int, LogLinearFit] = {}

    def model_of(i: int) -> LogLinearModel:
        """The LogLinearModel of model index i."""
        return LogLinearModel.make(table.variables, [tuple(lists[j] for j in t) for t in models[i]])

    for i in range(n_models):
        if ok[i]:
            b = bi[i]
            stat["deviance"][i], stat["loglik"][i] = dev[b], ll_b[b]
            stat["nhat"][i], stat["bias"][i] = n + np.exp(beta[b, 0]), bias[b]
            status[i] = ("extended" if any(t in zero_terms for t in models[i]) else "ok") if conv[b] else "not converged"
        else:
            with np.errstate(divide="ignore", invalid="ignore"):  # fits heading to the boundary
                # warm start where the batch went (a fit heading to the boundary: it stops at once)
                start = np.maximum(mu_fr[fr_row[i]], 1e-10) if fr[i] else None
                f = slow[i] = fit_model(table, model_of(i), check=True, mu_start=start)
            stat["deviance"][i], stat["loglik"][i] = f.deviance, f.loglik
            stat["nhat"][i] = f.nhat if f.identified else np.nan
            status[i] = f.status
            df_res[i] = f.df_residual
    aic = -2.0 * stat["loglik"] + 2.0 * rank
    bic = -2.0 * stat["loglik"] + np.log(n) * rank
    with np.errstate(divide="ignore", invalid="ignore"):
        aicc = np.where(n - rank - 1 > 0, aic + 2.0 * rank * (rank + 1) / (n - rank - 1), np.inf)
    identified = np.isin(status, ["ok", "extended"])
    key = {"aic": aic, "bic": bic, "aicc": aicc}[criterion].copy()
    key[~np.isfinite(key)] = np.inf  # a fit without a likelihood (NaN) is never chosen
    if not allow_unidentified:
        key[~identified] = np.inf
    if max_bias is not None:
        key[~(np.abs(stat["bias"]) <= max_bias * stat["nhat"])] = np.inf
    order = np.argsort(key, kind="stable")
    if not np.isfinite(key[order[0]]) and not allow_unidentified:
        raise RuntimeError("no model has an identified N̂" + ("" if max_bias is None else " and a small bias"))
    labels = [" + ".join(label[t] for t in mt) or "main effects" for mt in models]
    mains = " + ".join(lists)
    path = pd.DataFrame({
        "phase": "exhaustive",
        "step": labels,
        "df_change": None,
        "deviance_change": None,
        "df": df_res,
        "deviance": stat["deviance"],
        "aic": aic,
        "aicc": aicc,
        "bic": bic,
        "nhat": stat["nhat"],
        "status": status,
        "model": [f"Freq ~ {mains}" + "".join(f" + {label[t]}" for t in mt) for mt in models],
        "n_terms": [len(mt) for mt in models],
        "empty_overlaps": [", ".join(label[t] for t in mt if t in zero_terms) for mt in models],
        "ierr": ierr,
        "bias": stat["bias"],
    }).iloc[order].reset_index(drop=True)

    def make(i: int) -> LogLinearFit:
        """Refit model i in full (lazily, on access)."""
        if i in slow:
            return slow[i]
        b = bi[i]
        fitted = np.zeros(table.n_cells)
        fitted[obs] = mu[b]
        fitted[table.hidden] = np.exp(beta[b, 0])
        empty = [label[t] for t in models[i] if t in zero_terms]
        warn = []
        if empty:
            warn.append(f"the MLE does not exist: the lists of {', '.join(empty)} share nobody; "
                        "those cells are fitted as 0 (extended MLE, as SparseMSE deletes them)")
        if not conv[b]:
            warn.append("the Poisson fit did not converge; the estimate is unreliable")
        return LogLinearFit(
            model=model_of(i), table=table, fitted=fitted, beta=beta[b][cols[i]], deviance=float(dev[b]),
            df_residual=int(df_res[i]), rank=int(rank[i]), loglik=float(ll_b[b]), aic=float(aic[i]),
            aicc=float(aicc[i]), bic=float(bic[i]), nhat=float(stat["nhat"][i]), status=str(status[i]), warnings=warn,
        )

    fits = _ExhaustiveFits(make, order)
    warnings = []
    n_bad = int((~identified).sum())
    if n_bad:
        warnings.append(f"{n_bad} of {n_models} models have no identified N̂ (MLE does not exist); ranked last")
    n_nan = int((identified & ~np.isfinite(stat["loglik"])).sum())
    if n_nan:
        warnings.append(f"{n_nan} model(s) whose extended fit returned no likelihood are ranked last")
    path.attrs["linear_programs"] = n_lp
    path.attrs["seconds"] = time.perf_counter() - t_start
    return SearchResult("exhaustive", criterion, path, fits, fits[0], warnings)
