"""The design of the mixed-effects log-linear model of :mod:`darkfigure.loglinear.pooling`.

The fixed part (the chosen model's terms, a free intercept per stratum) and the random list x
covariate blocks (one per covariate, plus the full cross of the covariates when there are
several), with one variance component per list and block (``components="list"``) or per block
(``"common"``); and the two limits the pooled fit lies between: the fully stratified model
(every list x stratum term free) and the model without list x stratum terms (Hammond, Smith &
van der Heijden 2025, arXiv 2505.01359).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from .design import CompleteTable
from .terms import LogLinearModel

__all__ = ["PoolingDesign", "pooling_design", "check_pooling", "stratified_model", "common_model", "COMPONENTS"]

COMPONENTS = ("list", "common")


@dataclass
class PoolingDesign:
    """Fixed and random design of the mixed-effects log-linear model over the complete table.

    Attributes
    ----------
    table : CompleteTable
    model : LogLinearModel
        The model whose list x list interactions are kept fixed (its list x covariate terms
        are replaced by the random blocks).
    x : ndarray, shape (n_cells, p)
        Fixed part: one intercept per stratum (the full cross of the covariates), the list
        main effects, the list x list interactions of `model`.
    z : ndarray, shape (n_cells, q)
        Random part: for every block and list, one 0/1 column per level of the block
        (times the list indicator).
    component : ndarray of int, shape (q,)
        Variance component of each column of `z`.
    component_names : list of str
        ``"A:age"`` (per list) or ``"lists:age"`` (common), one per component.
    active : ndarray of bool, shape (n_cells,)
        Observable cells of strata where someone was observed (cells of strata with nobody
        observed leave the fit; their fitted values are 0).
    component_levels : ndarray of int, shape (n_components,)
        Levels of each component's block with someone observed: the number of values its variance
        is estimated from (fewer than :data:`FEW_LEVELS` makes the variance crude).
    """

    table: CompleteTable
    model: LogLinearModel
    x: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)
    component: np.ndarray = field(repr=False)
    component_names: list[str]
    active: np.ndarray = field(repr=False)
    component_levels: np.ndarray = field(default=None, repr=False)

    @property
    def n_components(self) -> int:
        """Number of variance components."""
        return len(self.component_names)

    def live(self, y: np.ndarray) -> np.ndarray:
        """Cells in the likelihood for counts `y` (shape (n_cells,)): observable cells of strata with a person."""
        t = self.table
        ns = np.bincount(t.stratum, weights=np.where(t.observable, y, 0.0), minlength=t.n_strata)
        return t.observable & (ns[t.stratum] > 0)


def check_pooling(histories) -> None:
    """Refuse data that partial pooling cannot use.

    Parameters
    ----------
    histories : CaptureHistories

    Raises
    ------
    DataError
        No covariate (no strata to pool across), or a covariate with a single level; the
        message names ``--pooling`` and what to do.
    """
    covs = list(histories.covariates)
    if not covs:
        raise DataError(
            "partial pooling (--pooling partial) pools list effects across strata, and the data have no covariate: "
            "name the covariate(s) that define the subgroups (--covariates), or leave --pooling at none"
        )
    for c in covs:
        if len(histories.levels[c]) < 2:
            raise DataError(
                f"partial pooling (--pooling partial): covariate {c!r} has a single level, so there is nothing to "
                "pool over; leave it out of --covariates"
            )


def pooling_design(table: CompleteTable, model: LogLinearModel | None = None,
                   components: str = "list") -> PoolingDesign:
    """Build the fixed and random parts of the mixed-effects log-linear model.

    Parameters
    ----------
    table : CompleteTable
        With at least one covariate of at least two levels.
    model : LogLinearModel, optional
        Source of the fixed list x list interactions (default: none, the independence model
        within strata). Its terms involving covariates are not used.
    components : {"list", "common"}
        One variance per list and block, or one per block.

    Returns
    -------
    PoolingDesign

    Raises
    ------
    DataError
        No covariates, or a covariate with a single level (nothing to pool over).
    ValueError
        Unknown `components`.
    """
    h = table.histories
    if components not in COMPONENTS:
        raise ValueError(f"components must be one of {COMPONENTS}, not {components!r}")
    check_pooling(h)
    covs = list(h.covariates)
    lists = list(h.lists)
    n = table.n_cells
    # fixed part: a free intercept per stratum holds each stratum's observed margin
    xs = (table.stratum[:, None] == np.arange(table.n_strata)[None, :]).astype(float)
    blocks = [xs] + [table.block((a,)) for a in lists]
    ll_terms = [] if model is None else [t for t in model.terms if len(t) > 1 and all(v in lists for v in t)]
    blocks += [table.block(t) for t in ll_terms]
    x = np.hstack(blocks)
    # random part: list x covariate deviations, one block per covariate (+ the full cross)
    rblocks: list[tuple[str, ...]] = [(c,) for c in covs]
    if len(covs) > 1:
        rblocks.append(tuple(covs))
    zcols, comp, names, n_levels = [], [], [], []
    seen = table.observable & (np.bincount(table.stratum, weights=table.y, minlength=table.n_strata) > 0)[table.stratum]
    for b in rblocks:
        gi, _ = table.group_index(b)
        n_lv = int(np.prod([len(h.levels[c]) for c in b]))
        onehot = (gi[:, None] == np.arange(n_lv)[None, :]).astype(float)
        label = ":".join(b)
        # the variance of this block is estimated from the levels where someone was observed
        live_levels = len(np.unique(gi[seen]))
        for j, a in enumerate(lists):
            xa = table.block((a,))[:, 0]
            zcols.append(onehot * xa[:, None])
            if components == "list":
                names.append(f"{a}:{label}")
                n_levels.append(live_levels)
                comp.append(np.full(n_lv, len(names) - 1))
            else:
                if j == 0:
                    names.append(f"lists:{label}")
                    n_levels.append(live_levels)
                comp.append(np.full(n_lv, len(names) - 1))
    z = np.hstack(zcols) if zcols else np.zeros((n, 0))
    design = PoolingDesign(table=table, model=model or LogLinearModel.make(table.variables), x=x, z=z,
                           component=np.concatenate(comp).astype(np.int64), component_names=names,
                           active=table.observable.copy(), component_levels=np.array(n_levels, dtype=np.int64))
    design.active = design.live(table.y)
    return design


def stratified_model(table: CompleteTable, model: LogLinearModel | None = None) -> LogLinearModel:
    """The fixed-effects counterpart of the fully stratified limit: list x (all covariates) terms free.

    Parameters
    ----------
    table : CompleteTable
    model : LogLinearModel, optional
        Its list x list interactions are kept.

    Returns
    -------
    LogLinearModel
        List x list terms of `model`, the full cross of the covariates, and every list x cross term.
    """
    lists, covs = list(table.histories.lists), list(table.histories.covariates)
    terms = _list_terms(model, lists) + [tuple(covs)] * (len(covs) > 1)
    terms += [(a, *covs) for a in lists]
    return LogLinearModel.make(table.variables, terms)


def common_model(table: CompleteTable, model: LogLinearModel | None = None) -> LogLinearModel:
    """The limit without stratum-specific list terms: list x list terms of `model` and the full cross of covariates.

    Returns
    -------
    LogLinearModel
    """
    lists, covs = list(table.histories.lists), list(table.histories.covariates)
    terms = _list_terms(model, lists) + [tuple(covs)] * (len(covs) > 1)
    return LogLinearModel.make(table.variables, terms)


def _list_terms(model, lists) -> list[tuple[str, ...]]:
    if model is None:
        return []
    return [t for t in model.terms if len(t) > 1 and all(v in lists for v in t)]
