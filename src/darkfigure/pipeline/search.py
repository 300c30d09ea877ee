"""The search and fit steps: the model a search chooses on a complete table (or the model given), fitted.

With persons whose covariate value is unknown the search and fit run inside the EM algorithm
(van der Heijden et al. 2012; :mod:`darkfigure.loglinear.em`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..histories import CaptureHistories, DataError
from ..loglinear.design import CompleteTable
from ..loglinear.fit import LogLinearFit, fit_model
from ..loglinear.search import SearchResult, cruyff_search, exhaustive_search, pvalue_search
from ..loglinear.terms import LogLinearModel, parse_terms

__all__ = ["SearchPlan", "plan_search", "select_model", "ModelSelector", "Selection", "search_step", "search_name", "chosen_by"]

#: a search as the terminal names it: the method's value (--search cruyff) read as a bare name was jargon (s23 new
#: user, finding 11); the option's value stays the identifier, in result.json and search_path.csv
SEARCH_NAMES = {
    "cruyff": "Cruyff et al.'s stepwise search",
    "stratified": "the stratified stepwise search",
    "pvalue": "the stepwise search by p-values",
    "pvalue-pairs": "SparseMSE's stepwise search by p-values over pairs of lists",
    "exhaustive": "the exhaustive search",
    "downhill": "the downhill search",
}


def search_name(method: str) -> str:
    """The search `method` (``SearchResult.method``, ``--search``) in words, e.g. "Cruyff et al.'s stepwise search"."""
    return SEARCH_NAMES.get(str(method), f"the {method} search")


def chosen_by(search) -> str:
    """How a model was chosen, for a panel's brackets: "chosen by BIC in Cruyff et al.'s stepwise search, --search
    cruyff" (the option named without brackets inside the panel's own).

    `search`: a :class:`~darkfigure.loglinear.search.SearchResult` (``method``, ``criterion``)."""
    crit = str(search.criterion)
    how = "the p-value threshold" if crit == "pvalue" else crit.upper()
    opt = f", --search {search.method}" if search.method in SEARCH_NAMES else ""
    return f"chosen by {how} in {search_name(search.method)}{opt}"


@dataclass(frozen=True)
class SearchPlan:
    """Which search runs, by which criterion and up to which order; or the fixed model.

    Attributes
    ----------
    method : str
        ``cruyff``, ``stratified``, ``pvalue``, ``pvalue-pairs``, ``exhaustive`` or ``none``.
    criterion : str
        ``bic``, ``aic`` or ``aicc``.
    max_order : int
        Highest order of interaction the search may add.
    model : LogLinearModel or None
        The fixed model (``method="none"``); None for the main-effects model or a search.
    fallback_criterion : str or None
        The criterion of Cruyff's search when the stratified search falls back to it: ``bic`` (Cruyff's default)
        unless ``criterion`` was given explicitly (None: ``criterion``; tester report 15b, L8).
    """

    method: str
    criterion: str
    max_order: int
    model: LogLinearModel | None = None
    fallback_criterion: str | None = None


def plan_search(
    table: CompleteTable, search: str, criterion: str | None, max_order: int | None, model: str | list[str] | None
) -> SearchPlan:
    """Resolve ``estimate``'s search options on a table: a fixed model, ``auto`` and the defaults.

    A fixed `model` means no search. ``auto`` is the stratified search with covariates,
    Cruyff's search without. The criterion defaults to AIC for the stratified search and
    BIC for the others (as ``mse``), also for the stratified search's fallback to Cruyff's search
    (:attr:`SearchPlan.fallback_criterion`; tester report 15b, L8); `max_order` to 2, and for the exhaustive search on up
    to 5 lists to every order up to k - 1 (Rcapture's ``closedpMS.t``).

    Parameters
    ----------
    table : CompleteTable
    search : str
        One of :data:`darkfigure.pipeline.options.SEARCH_METHODS` (lower case).
    criterion : str, optional
    max_order : int, optional
    model : str or list of str, optional
        Interactions of a fixed model, e.g. ``"A:B, B:C"``.

    Returns
    -------
    SearchPlan

    Raises
    ------
    ValueError
        A fixed model naming an unknown list or covariate (:func:`darkfigure.loglinear.terms.parse_terms`).
    """
    fixed = None
    if model is not None:
        fixed = LogLinearModel.make(table.variables, parse_terms(model))
        search = "none"
    h = table.histories
    if search == "auto":
        search = "stratified" if h.covariates else "cruyff"
    # the stratified search's fallback (Cruyff's) keeps Cruyff's BIC unless a criterion was given (15b, L8)
    # a given criterion the stratified search cannot use itself (aicc) still reaches the fallback (review of s16)
    fallback = ("bic" if criterion is None else criterion.lower()) if search == "stratified" else None
    criterion = criterion.lower() if criterion is not None else ("aic" if search == "stratified" else "bic")
    if max_order is None:  # exhaustive: every hierarchical model (all orders up to k - 1) where enumerable
        max_order = max(2, h.k - 1) if search == "exhaustive" and h.k <= 5 else 2
    return SearchPlan(method=search, criterion=criterion, max_order=max_order, model=fixed,
                      fallback_criterion=fallback)


class ModelSelector:
    """Picklable model selection for bootstrap replicates: (table, y) -> LogLinearFit (:func:`select_model`)."""

    def __init__(self, method: str, criterion: str, pthresh: float, model: LogLinearModel | None, max_order: int = 2,
                 fallback_criterion: str | None = None):
        """As :func:`select_model`'s arguments (`fallback_criterion`: :attr:`SearchPlan.fallback_criterion`)."""
        self.method, self.criterion, self.pthresh, self.model = method, criterion, pthresh, model
        self.max_order, self.fallback_criterion = max_order, fallback_criterion

    def __call__(self, table: CompleteTable, y: np.ndarray) -> LogLinearFit:
        t = table.with_counts(y)
        return select_model(t, self.method, self.criterion, self.pthresh, self.model, details=False,
                            max_order=self.max_order,
                            fallback_criterion=getattr(self, "fallback_criterion", None))[0]

    def can_batch(self, table: CompleteTable) -> bool:
        """Whether :meth:`batch` can run this search on many tables at once: SparseMSE's p-value search over
        pairs of lists (``pvalue-pairs``, or ``pvalue`` without covariates), threshold below 1."""
        pairs_only = self.method == "pvalue-pairs" or (self.method == "pvalue" and not table.histories.covariates)
        return pairs_only and 0 <= self.pthresh < 1

    def batch(self, table: CompleteTable, y_cells: np.ndarray, cache: dict | None = None):
        """The search on every row of `y_cells` (B, n_cells) in lockstep
        (:func:`darkfigure.loglinear.pvalue_batch.pvalue_search_batch`; only when :meth:`can_batch`).

        Returns (fitted values (B, n_cells), statuses); a status None marks a row to re-select one by one
        (``self(table, row)``). `cache` keeps the designs between calls on the same table.
        """
        from ..loglinear.pvalue_batch import BatchFitter, pvalue_search_batch

        cache = {} if cache is None else cache
        if "fitter" not in cache:
            cache["fitter"] = BatchFitter(table)
        fitter = cache["fitter"]
        return pvalue_search_batch(table, y_cells, pthresh=self.pthresh, fitter=fitter)


def select_model(
    table: CompleteTable, method: str, criterion: str, pthresh: float, model: LogLinearModel | None,
    details: bool = True, max_order: int = 2, fallback_criterion: str | None = None,
) -> tuple[LogLinearFit, SearchResult | None]:
    """Run one model search on `table` (or fit the model given) and return the chosen fit.

    Parameters
    ----------
    table : CompleteTable
    method : {"cruyff", "stratified", "pvalue", "pvalue-pairs", "exhaustive", "none"}
        Cruyff's stepwise search (``mse``), the stratified search
        (:mod:`darkfigure.loglinear.selection`), SparseMSE's p-value search (``pvalue-pairs``;
        ``pvalue`` also offers list x covariate terms), all hierarchical models, or none.
    criterion : str
        ``bic`` or ``aic`` (the stratified search takes ``aic`` for anything else).
    pthresh : float
        Threshold of the p-value search.
    model : LogLinearModel or None
        The model fitted with ``method="none"`` (default: main effects).
    details : bool
        Keep the p-value search's details (False in bootstrap replicates).
    max_order : int
        Highest order of interaction the search may add.
    fallback_criterion : str or None
        The criterion of Cruyff's search when the stratified search falls back to it (None: `criterion`).

    Returns
    -------
    (LogLinearFit, SearchResult or None)
        The chosen model's fit and the search (None without one). When no model the search
        reaches identifies N̂ (e.g. lists that share nobody), the main-effects fit (which says
        "not identified") with a warning, and no search.

    Raises
    ------
    DataError
        The exhaustive search on fewer than 3 lists.
    """
    try:
        return _select_raw(table, method, criterion, pthresh, model, details, max_order, fallback_criterion)
    except RuntimeError as e:
        # no model the search can reach identifies N (e.g. lists that share nobody): report the
        # main-effects fit, which says "not identified", instead of failing
        f = fit_model(table, LogLinearModel.make(table.variables), check=True)
        f.warnings.append(f"the {method} search found no model with an identified N̂ ({e})")
        return f, None


def _select_raw(table, method, criterion, pthresh, model, details=True, max_order=2, fallback_criterion=None):
    """:func:`select_model` without the fallback when no model identifies N̂ (RuntimeError then)."""
    if method == "exhaustive" and table.histories.k < 3:
        raise DataError("exhaustive search needs at least 3 lists; with 2 lists use --search none")
    if method == "cruyff":
        s = cruyff_search(table, criterion=criterion, max_order=max_order)
        return s.best, s
    if method == "stratified":
        from ..loglinear.selection import stratified_search

        s = stratified_search(table, criterion=criterion if criterion in ("aic", "bic") else "aic", max_order=max_order,
                              fallback_criterion=fallback_criterion)
        return s.best, s
    if method in ("pvalue", "pvalue-pairs"):
        # "pvalue" also offers list x covariate terms (with covariates); "pvalue-pairs" is SparseMSE's search
        s = pvalue_search(table, pthresh=pthresh, details=details, list_covariate=method == "pvalue")
        return s.best, s
    if method == "exhaustive":
        s = exhaustive_search(table, criterion=criterion, max_order=max_order)
        return s.best, s
    m = model or LogLinearModel.make(table.variables)
    return fit_model(table, m, check=True), None


@dataclass
class Selection:
    """What :func:`search_step` chose.

    Attributes
    ----------
    fit : LogLinearFit
        The chosen model's fit (with EM: the fit of the completed table).
    search : SearchResult or None
        The search (None for a fixed model).
    em : EMFit or None
        The EM fit, with persons whose covariate value is unknown.
    coarse : CoarseCells or None
        Those persons mapped onto the complete table.
    warnings : list of str
        What the EM did (imputed values, its assumption).
    """

    fit: LogLinearFit
    search: SearchResult | None
    em: Any = None
    coarse: Any = None
    warnings: list[str] = field(default_factory=list)


def search_step(table: CompleteTable, h: CaptureHistories, plan: SearchPlan, pthresh: float) -> Selection:
    """Search for the model (or fit the fixed one), by EM when persons have unknown covariate values.

    Parameters
    ----------
    table : CompleteTable
        Of `h`'s complete persons.
    h : CaptureHistories
        With ``h.incomplete`` the persons whose covariate value is unknown (kept for EM).
    plan : SearchPlan
    pthresh : float
        Threshold of the p-value search.

    Returns
    -------
    Selection

    Raises
    ------
    DataError
        As :func:`select_model`.
    """
    if not h.n_incomplete:
        fit, srch = select_model(table, plan.method, plan.criterion, pthresh, plan.model, max_order=plan.max_order,
                                 fallback_criterion=plan.fallback_criterion)
        return Selection(fit=fit, search=srch)
    from ..loglinear.em import coarse_cells, em_fit, em_select

    cc = coarse_cells(table, h.incomplete)
    if plan.method == "none":
        em = em_fit(table, plan.model or LogLinearModel.make(table.variables), cc)
        srch = None
    else:
        em, srch, rounds = em_select(
            table, cc,
            lambda t: select_model(t, plan.method, plan.criterion, pthresh, plan.model, max_order=plan.max_order,
                                   fallback_criterion=plan.fallback_criterion),
        )
    imputed = ", ".join(f"{c}: {n:,}" for c, n in cc.missing_values.items() if n)
    warning = (
        f"{cc.n_persons:,} person(s) had unknown covariate values ({imputed}); they were kept and their values "
        f"imputed by the EM algorithm ({em.iterations} EM steps), assuming the values are missing at random "
        "given the lists and the known covariates. Subgroup 'observed' counts include their expected shares; "
        "the model's deviance and criteria are those of the completed table"
    )
    return Selection(fit=em.fit, search=srch, em=em, coarse=cc, warnings=[warning])
