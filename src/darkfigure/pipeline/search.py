"""The search step: the model a search chooses on a complete table (or the model given)."""

from __future__ import annotations

import numpy as np

from ..histories import DataError
from ..loglinear.design import CompleteTable
from ..loglinear.fit import LogLinearFit, fit_model
from ..loglinear.search import SearchResult, cruyff_search, exhaustive_search, pvalue_search
from ..loglinear.terms import LogLinearModel


class _Selector:
    """Picklable model selection for bootstrap replicates: (table, y) -> LogLinearFit."""

    def __init__(self, method: str, criterion: str, pthresh: float, model: LogLinearModel | None, max_order: int = 2):
        self.method, self.criterion, self.pthresh, self.model = method, criterion, pthresh, model
        self.max_order = max_order

    def __call__(self, table: CompleteTable, y: np.ndarray) -> LogLinearFit:
        t = table.with_counts(y)
        return _select(t, self.method, self.criterion, self.pthresh, self.model, details=False,
                       max_order=self.max_order)[0]


def _select(table, method, criterion, pthresh, model, details=True, max_order=2) -> tuple[LogLinearFit, SearchResult | None]:
    try:
        return _select_raw(table, method, criterion, pthresh, model, details, max_order)
    except RuntimeError as e:
        # no model the search can reach identifies N (e.g. lists that share nobody): report the
        # main-effects fit, which says "not identified", instead of failing
        f = fit_model(table, LogLinearModel.make(table.variables), check=True)
        f.warnings.append(f"the {method} search found no model with an identified N̂ ({e})")
        return f, None


def _select_raw(table, method, criterion, pthresh, model, details=True, max_order=2):
    if method == "exhaustive" and table.histories.k < 3:
        raise DataError("exhaustive search needs at least 3 lists; with 2 lists use --search none")
    if method == "cruyff":
        s = cruyff_search(table, criterion=criterion, max_order=max_order)
        return s.best, s
    if method == "stratified":
        from ..loglinear.selection import stratified_search

        s = stratified_search(table, criterion=criterion if criterion in ("aic", "bic") else "aic", max_order=max_order)
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

