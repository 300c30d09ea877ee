"""Exhaustive search: every hierarchical log-linear model of the lists, ranked by AIC, AICc or BIC.

:func:`exhaustive_search` fits every hierarchical model with two-factor list interactions
(graphs on k <= 6 lists without covariates), or with terms up to order k - 1 for k <= 5 as
Rcapture's ``closedpMS.t`` (Baillargeon & Rivest 2007); :func:`hierarchical_models`
enumerates them. Split out of :mod:`darkfigure.loglinear.search`, which re-exports both names; the
batched fits are in :mod:`.exhaustive_fit` and :mod:`.exhaustive_boundary`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .._special import gammaln
from .design import CompleteTable
from .exhaustive_boundary import _boundary_batch
from .exhaustive_fit import _batch_poisson, _full_rank, _solve_batch  # noqa: F401 (_solve_batch: re-exported)
from .fit import LogLinearFit, fit_model
from .search import SearchResult
from .terms import LogLinearModel

__all__ = ["exhaustive_search", "hierarchical_models"]


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
    # the terms of each order with their (r-1)-margins (a term is allowed when all its margins are chosen)
    faces = {r: [(t, frozenset(combinations(t, r - 1))) for t in combinations(range(k), r)]
             for r in range(2, max_order + 1)}

    def _extend(chosen: list[tuple[int, ...]], prev: set, r: int) -> None:
        # every model with the terms `chosen` of order < r, whose order-(r-1) terms are `prev`
        out.append(chosen)
        if r > max_order:
            return
        allowed = [t for t, f in faces[r] if f <= prev]
        for size in range(1, len(allowed) + 1):
            for pick in combinations(allowed, size):
                _extend(chosen + list(pick), set(pick), r + 1)

    _extend([], {(i,) for i in range(k)}, 2)
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
    full-rank model is first fitted by a compiled Newton iteration (each model on its own
    columns; :mod:`.exhaustive_fit`); a converged fit with an interior
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
        xg = x[cells[members[0]]]  # the group's models share their cells
        # the union of their columns with full rank there gives every member full rank (its singular values
        # interlace the union's, and matrix_rank's cut-off only shrinks): one SVD instead of one per model
        if _full_rank(xg, nonzero[members].any(axis=0)[None, :])[0]:
            full_rank = np.ones(len(members), dtype=bool)
        else:
            full_rank = _full_rank(xg, nonzero[members])
        fr_of = dict(zip(members, full_rank))
        rank_fail = np.zeros(0, dtype=np.uint64)
        for i in members_order[g]:
            b = bits[i]
            if np.any((rank_fail & b) == rank_fail):
                rank_bit[i] = 2
                continue
            if not fr_of[i]:
                rank_bit[i] = 2
                rank_fail = np.append(rank_fail, b)
    # every full-rank model is fitted at once; a converged fit with an interior certificate
    # proves that its MLE exists (checkident's LP would succeed), so LPs are solved only for
    # the models heading to the boundary
    fr = rank_bit == 0
    # Rcapture fits the models whose MLE does not exist (here: those with empty-overlap terms) with glm
    # on the full table, so its bias there is taken where glm stops (it warns, infoFit != 0, when glm
    # does not converge in 200 iterations or fitted values fall below 10 eps: bias NaN there). Those
    # glm fits go first: where glm stops, the other cells are near the extended MLE, a warm start
    ext_all = fr & ~cells.all(axis=1)
    glm_fit = None
    if ext_all.any():
        glm_fit = _batch_poisson(x, y, cols[ext_all], np.ones((int(ext_all.sum()), x.shape[0]), dtype=bool),
                                 tol=1e-8, max_iter=200, glm=True)
    mu0 = np.full((n_models, x.shape[0]), np.nan)
    if glm_fit is not None:
        mu0[ext_all] = glm_fit[1]
    # (the bias of the models with empty overlaps is glm's, above: none computed here)
    fr_fit = _batch_poisson(x, y, nonzero[fr], cells[fr], mu0=mu0[fr], bias=cells[fr].all(axis=1))
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
    # the bias of the models with empty-overlap terms: glm's on the full table (above)
    ext = ~cells[ok].all(axis=1)
    if ext.any():
        g_row = np.cumsum(ext_all) - 1  # row of model i in the glm batch
        rows = g_row[np.flatnonzero(ok)[ext]]
        mu_r, conv_r, bias_r = glm_fit[1][rows], glm_fit[3][rows], glm_fit[4][rows]
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

    # the full-rank models failing checkident: extended MLEs with a proved facial set in one batch;
    # the others (rank deficient, or not proved) are fitted one by one with the full existence check
    bnd = np.flatnonzero(fr & ~ok)
    proved, dev_x, ll_x, hid_x, df_x = _boundary_batch(x, y, cols[bnd], cells[bnd], mu_fr[fr_row[bnd]])
    fast = dict(zip(bnd[proved].tolist(), np.flatnonzero(proved).tolist()))

    def slow_fit(i: int) -> LogLinearFit:
        """Model i (failing checkident) by fit_model with the full existence check."""
        if i not in slow:
            with np.errstate(divide="ignore", invalid="ignore"):  # fits heading to the boundary
                # warm start where the batch went (a fit heading to the boundary: it stops at once)
                start = np.maximum(mu_fr[fr_row[i]], 1e-10) if fr[i] else None
                slow[i] = fit_model(table, model_of(i), check=True, mu_start=start)
        return slow[i]

    for i in range(n_models):
        if i in fast:
            j = fast[i]
            stat["deviance"][i], stat["loglik"][i], stat["nhat"][i] = dev_x[j], ll_x[j], n + hid_x[j]
            status[i] = "extended" if np.isfinite(hid_x[j]) else "not identified"
            df_res[i] = df_x[j]
        elif ok[i]:
            b = bi[i]
            stat["deviance"][i], stat["loglik"][i] = dev[b], ll_b[b]
            stat["nhat"][i], stat["bias"][i] = n + np.exp(beta[b, 0]), bias[b]
            status[i] = ("extended" if any(t in zero_terms for t in models[i]) else "ok") if conv[b] else "not converged"
        else:
            f = slow_fit(i)
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
        if not ok[i]:
            return slow_fit(i)
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
