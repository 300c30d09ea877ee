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

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .._dist import chi2
from .._special import gammaln, pdtr, pdtrc
from ._search_helper import start_helper
from .design import CompleteTable
from .fit import LogLinearFit, fit_model
from .screen import approximate_criteria
from .terms import LogLinearModel, Term

__all__ = [
    "SearchResult",
    "cruyff_search",
    "pvalue_search",
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
    helper=None,
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
    helper : CandidateHelper, optional
        A forked process that fits the next candidate in the order while this one fits the current one
        (:mod:`._search_helper`; the same fits, so the same path).

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
        # the droppable terms were just listed: build the smaller models without drop()'s re-check of each
        cands: list[tuple[str, LogLinearModel]] = [
            (f"- {_key(t)}", LogLinearModel(cur.model.variables, cur.model.interactions - {t})) for t in drops
        ]
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

        def _start(i, mu0=mu0, drops=drops, adds=adds):
            return mu0 if i < len(drops) else _zero_margin_start(table, adds[i - len(drops)], mu0)

        for pos, i in enumerate(order):
            if best is not None and _beyond(approx[i], best_val, c0):
                break
            label, m = cands[i]
            f = helper.result(i) if helper is not None and i in helper.pending else None
            if f is None:
                # the next in the order, fitted beside this one, unless already beyond reach (best_val only falls)
                if helper is not None and pos + 1 < len(order) and not (
                        best is not None and _beyond(approx[order[pos + 1]], best_val, c0)):
                    j = order[pos + 1]
                    helper.submit(j, cands[j][1], _start(j))
                # R's glm tolerance (1e-8) for candidates, as step() fits them; the parent's cells near 0 kept
                # near 0 (floor 1e-300: lifted to 1e-10 the first Newton step throws them far off)
                f = fit(table, m, mu_start=_start(i), check=False, tol=1e-8, floor=1e-300)
            v = _crit(f)
            # the first minimum in R's candidate order wins ties
            if v < best_val or (best is not None and v == best_val and i < best_i):
                best_val, best_i, best = v, i, (label, f)
        if helper is not None:
            helper.drop()
        if best is None or best_val >= c0 - 1e-7:
            break
        out.append(best)
        cur = best[1]
    return out


def _beyond(approx: float, best_val: float, c0: float) -> bool:
    """Whether a candidate approximated at `approx` cannot come near the best exact value `best_val` (current
    model's `c0`): the margin of :func:`step` (2 + a quarter of the approximated improvement)."""
    return approx > best_val + 2.0 + 0.25 * max(c0 - approx, 0.0)


def _zero_margin_start(table: CompleteTable, term: Term, mu0: np.ndarray) -> np.ndarray:
    """Start values for fitting the model with `term` added: `mu0` with the cells of its empty margins near 0.

    A column of the term of one sign whose observed margin is 0 forces the fitted values of all its cells
    to 0 (the MLE lies on the boundary; Fienberg & Rinaldo 2012). Started from the current fit, the
    iteration would spend ~20 Newton steps bringing them down by a factor e each; started at the floor of
    :func:`.fit.irls_poisson` (1e-10) it converges as an interior fit does, to the same deviance within the
    tolerance.

    Parameters
    ----------
    table : CompleteTable
    term : Term
    mu0 : ndarray of shape (n_observable,)
        The current fit on the observable cells.

    Returns
    -------
    ndarray of shape (n_observable,)
        `mu0` itself when the term has no empty margin.
    """
    obs = table.observable
    b = table.block(term)[obs]
    y = table.y[obs]
    one_sign = ((b >= 0).all(axis=0) | (b <= 0).all(axis=0)) & (np.abs(b).sum(axis=0) > 0)
    zc = one_sign & (np.abs(b).T @ y == 0)
    if not zc.any():
        return mu0
    cells = (b[:, zc] != 0).any(axis=1)
    start = mu0.copy()
    start[cells] = np.minimum(start[cells], 1e-10)
    return start


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
    helper = start_helper(table, fit_model)  # None unless the second core is free and the fits are large
    try:
        for phase, k in (("bic", np.log(n)), ("aic", 2.0), ("k=1", 1.0)):
            for label, f in step(table, cur, k, max_order=max_order, lower=lower, exact=exact, helper=helper):
                f = _final(table, f)
                rows.append(_row(phase, label, f, cur))
                fits.append(f)
                cur = f
            lower = cur.model
    finally:
        if helper is not None:
            helper.close()
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
        # empty margins explain most boundaries of a search path: their facial set without linear programs
        # (the same check, facial set, parameters and N̂ as the LPs': tests/test_batch_refit.py)
        return fit_model(table, f.model, mu_start=_observable_mu(f), check=True, quick_boundary=True, floor=1e-300)
    # candidates were fitted to R's tolerance; polish the accepted model (1-2 Newton steps)
    return fit_model(table, f.model, mu_start=_observable_mu(f), check="auto", floor=1e-300)


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
        raise ValueError(f"pthresh (--pthresh) must be in [0, 1], not {pthresh}")
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


def __getattr__(name: str):
    """Re-export of the exhaustive search (moved to :mod:`darkfigure.loglinear.exhaustive`), imported lazily
    because that module imports :class:`SearchResult` from here."""
    if name in ("exhaustive_search", "hierarchical_models", "_batch_poisson", "_solve_batch", "_ExhaustiveFits"):
        from . import exhaustive

        return getattr(exhaustive, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
