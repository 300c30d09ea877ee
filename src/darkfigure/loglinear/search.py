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
  interactions (graphs on k <= 6 lists without covariates), ranked by AIC or BIC.

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
from scipy import stats

from .design import CompleteTable
from .fit import LogLinearFit, fit_model
from .terms import LogLinearModel, Term

__all__ = [
    "SearchResult",
    "cruyff_search",
    "pvalue_search",
    "exhaustive_search",
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
) -> list[tuple[str, LogLinearFit]]:
    """R's ``step(direction = "both")`` with penalty `k` per parameter.

    At each step every droppable interaction (not in `lower`, not a margin of a
    higher term) and every addable one (up to `max_order`, all margins present) is
    fitted; the candidate with the smallest ``-2 logL + k * p`` is taken if it is
    smaller than the current model's by more than 1e-7 (R's rule); ties keep the
    current model first, then drops, then additions, as R's ``order()`` does.

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

    Returns
    -------
    list of (label, fit)
        The steps taken, e.g. ``("+ A:B", fit)``.
    """
    cur = start
    keep = set(lower.interactions) if lower is not None else set()
    out: list[tuple[str, LogLinearFit]] = []

    def crit(f: LogLinearFit) -> float:
        return -2.0 * f.loglik + k * f.rank

    for _ in range(max_steps):
        cands: list[tuple[str, LogLinearModel]] = []
        for t in cur.model.droppable():
            if t not in keep:
                cands.append((f"- {_key(t)}", cur.model.drop(t)))
        for t in cur.model.addable(max_order, among):
            cands.append((f"+ {_key(t)}", cur.model.add(t)))
        if not cands:
            break
        mu0 = _observable_mu(cur)
        best_val = crit(cur)
        best = None
        for label, m in cands:
            f = fit(table, m, mu_start=mu0, check=False)
            v = crit(f)
            if v < best_val:
                best_val, best = v, (label, f)
        if best is None or best_val >= crit(cur) - 1e-7:
            break
        out.append(best)
        cur = best[1]
    return out


def _choose(fits: list[LogLinearFit], key: Callable[[LogLinearFit], float], allow_unidentified: bool) -> int:
    vals = np.array([key(f) if (allow_unidentified or f.identified) else np.inf for f in fits])
    if not np.isfinite(vals).any():
        return -1
    return int(np.argmin(vals))


def cruyff_search(
    table: CompleteTable,
    *,
    criterion: str = "bic",
    start: LogLinearModel | None = None,
    max_order: int = 2,
    allow_unidentified: bool = False,
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
        for label, f in step(table, cur, k, max_order=max_order, lower=lower):
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
    """Refit with the full existence check (search candidates use a cheap screen)."""
    if f.existence is None:
        return fit_model(table, f.model, mu_start=_observable_mu(f), check=True)
    return f


def pvalue_search(
    table: CompleteTable,
    *,
    pthresh: float = 0.02,
    start: LogLinearModel | None = None,
    lists_only: bool = True,
) -> SearchResult:
    """SparseMSE's forward stepwise search with a p-value threshold.

    Starting from main effects, at each step every two-factor interaction of two
    lists not yet in the model is tried; candidates whose fit has no identified N̂
    are skipped. The candidate whose coefficient has the smallest one-sided p-value
    (Wald z test that the interaction is positive is *not* assumed: SparseMSE uses
    the two-sided p-value of the Wald test of the added coefficient) is added if
    that p-value is below `pthresh`; otherwise the search stops (Chan, Silverman &
    Vincent 2021, sec. 3; SparseMSE ``stepwisefit``).

    Parameters
    ----------
    table : CompleteTable
    pthresh : float
        Threshold on the p-value (SparseMSE default 0.02).
    start : LogLinearModel, optional
    lists_only : bool
        Only list x list interactions are candidates (as SparseMSE).

    Returns
    -------
    SearchResult
    """
    model = start or LogLinearModel.make(table.variables)
    cur = _final(table, fit_model(table, model))
    rows = [_row("start", "", cur, None)]
    fits = [cur]
    lists = table.histories.lists
    while True:
        best = None
        for t in cur.model.addable(2, among=lists if lists_only else None):
            f = fit_model(table, cur.model.add(t), mu_start=_observable_mu(cur), check=True)
            if not f.identified:
                continue
            p = _wald_pvalue(table, f, t)
            if p is None:
                continue
            if best is None or p < best[0]:
                best = (p, t, f)
        if best is None or best[0] >= pthresh:
            break
        p, t, f = best
        rows.append(_row("pvalue", f"+ {_key(t)}", f, cur) | {"pvalue": p})
        fits.append(f)
        cur = f
    path = pd.DataFrame(rows)
    return SearchResult("pvalue", "pvalue", path, fits, cur, [])


def _wald_pvalue(table: CompleteTable, f: LogLinearFit, term: Term) -> float | None:
    """Two-sided Wald p-value of the (single) coefficient of `term` in fit `f`."""
    x = table.design(f.model)[table.observable]
    mu = f.fitted[table.observable]
    keep = mu > 0
    sl = table.term_slices(f.model)[term]
    xk = x[keep]
    info = xk.T @ (xk * mu[keep][:, None])
    try:
        cov = np.linalg.pinv(info, hermitian=True)
    except np.linalg.LinAlgError:
        return None
    j = sl.start
    se = np.sqrt(max(cov[j, j], 0.0))
    if se == 0 or not np.isfinite(se):
        return None
    z = f.beta[j] / se
    return float(2 * stats.norm.sf(abs(z)))


def exhaustive_search(
    table: CompleteTable,
    *,
    criterion: str = "bic",
    max_lists: int = 6,
    allow_unidentified: bool = False,
) -> SearchResult:
    """Fit every model with any set of two-list interactions and rank by AIC or BIC.

    For k lists there are 2^(k(k-1)/2) such models (32,768 for k = 6). Only
    possible without covariates.

    Parameters
    ----------
    table : CompleteTable
    criterion : {"bic", "aic", "aicc"}
    max_lists : int
        Refuse more lists than this (the count of models explodes).

    Returns
    -------
    SearchResult
        `path` holds every model, sorted by the criterion (unidentified last).

    Raises
    ------
    ValueError
        Covariates present, too many lists or unknown criterion.
    """
    h = table.histories
    if h.covariates:
        raise ValueError("exhaustive search is for tables without covariates; use the stepwise search")
    if h.k > max_lists:
        raise ValueError(f"exhaustive search is limited to {max_lists} lists (got {h.k})")
    if criterion not in ("bic", "aic", "aicc"):
        raise ValueError(f"criterion must be 'bic', 'aic' or 'aicc', not {criterion!r}")
    pairs = list(combinations(h.lists, 2))
    fits = []
    rows = []
    for mask in range(1 << len(pairs)):
        terms = [pairs[j] for j in range(len(pairs)) if mask >> j & 1]
        m = LogLinearModel.make(table.variables, terms)
        f = fit_model(table, m)
        fits.append(f)
        rows.append(_row("exhaustive", m.label(), f, None))
    path = pd.DataFrame(rows)
    order = np.argsort(
        [getattr(f, criterion) if (allow_unidentified or f.identified) else np.inf for f in fits], kind="stable"
    )
    path = path.iloc[order].reset_index(drop=True)
    fits = [fits[i] for i in order]
    if not (allow_unidentified or fits[0].identified):
        raise RuntimeError("no model has an identified N̂")
    return SearchResult("exhaustive", criterion, path, fits, fits[0], [])
