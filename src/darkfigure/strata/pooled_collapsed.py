"""The stepwise search on the table collapsed over strata, set beside the joint model's choice.

:func:`collapsed_search` models the lists' capture probabilities by list x covariate effects
(the ``--by`` columns as covariates) instead of one list main effect per stratum; when its
interactions differ from :func:`~darkfigure.strata.pooled.pooled_search`'s the run warns
(:mod:`darkfigure.strata.pooled`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._blas import single_threaded
from ..loglinear.terms import LogLinearModel
from .pooled_joint import _DIVERGED, _halved_step, _interaction_columns, _masked_deviance, _stack, _stepwise
from .pooled_models import stratum_table

__all__ = ["CollapsedChoice", "collapsed_search"]


@dataclass
class CollapsedChoice:
    """The model :func:`collapsed_search` chooses on the table collapsed over strata.

    Attributes
    ----------
    model : LogLinearModel
        Interactions of the lists (the list x covariate effects are the nuisance part, not in it).
    score : float
        Its BIC (or AIC) in the collapsed model.
    path : DataFrame
        ``step``, ``move``, ``model``, ``score`` as :attr:`PooledChoice.path`.
    """

    model: LogLinearModel
    score: float
    path: pd.DataFrame = field(repr=False)

    @property
    def label(self) -> str:
        """``A:B + B:C`` or ``main effects``."""
        return self.model.label()


@single_threaded
def _intercept_fit(y: np.ndarray, mask: np.ndarray, zs: np.ndarray, max_iter: int = 100,
                   tol: float = 1e-10) -> tuple[float, np.ndarray]:
    """Poisson log-linear fit log mu_sp = a_s + zs_sp . gamma by IRLS, the stratum intercepts a_s eliminated.

    Parameters
    ----------
    y, mask : ndarray, shape (S, P)
        Counts and the cells in the likelihood.
    zs : ndarray of float, shape (S, P, Q)
        Columns that may differ by stratum (list x covariate effects) and common ones.

    Returns
    -------
    (float, ndarray of shape (Q,))
        The deviance of the masked cells and gamma (minimum-norm where columns are aliased, e.g. a
        list x level effect of a list absent at that level).
    """
    m = np.asarray(mask, dtype=bool)
    w_ok = m.astype(float)

    def dev_of(mu):
        """Poisson deviance of `mu` against y over the masked cells."""
        return _masked_deviance(y, mu, w_ok)

    eta = np.where(m, np.log(y + 0.5), 0.0)
    mu = np.exp(eta)
    dev = np.inf
    q = zs.shape[2]
    gamma = np.zeros(q)
    for _ in range(max_iter):
        w = mu * w_ok
        zz = eta + np.where(m, (y - mu) / mu, 0.0)
        sw = np.maximum(w.sum(axis=1), 1e-300)  # (S,)
        wzs = w[:, :, None] * zs  # (S, P, Q); plain products and one matrix product (einsum's path was 50x slower)
        zw = wzs.sum(axis=1)  # (S, Q)
        swz = (w * zz).sum(axis=1)  # (S,)
        sch = wzs.reshape(-1, q).T @ zs.reshape(-1, q) - (zw / sw[:, None]).T @ zw
        rhs = zz.ravel() @ wzs.reshape(-1, q) - zw.T @ (swz / sw)
        g = np.linalg.lstsq(sch, rhs, rcond=None)[0]
        a = (swz - zw @ g) / sw
        new = np.where(m, np.clip(a[:, None] + zs @ g, -40.0, 40.0), 0.0)
        new, mu_new, d = _halved_step(new, eta, dev, dev_of)
        done = np.isfinite(dev) and abs(dev - d) <= tol * (1 + abs(d))
        eta, mu, dev, gamma = new, mu_new, d, g
        if done:
            break
    return dev, gamma


def collapsed_search(strata: Sequence[tuple[Sequence[str], np.ndarray, np.ndarray]], lists: Sequence[str],
                     levels: Sequence[Sequence], *, criterion: str = "bic", max_order: int = 2) -> CollapsedChoice:
    """The stepwise search of :func:`pooled_search` on the table collapsed over strata.

    The model of all strata with one intercept per stratum (the stratifying covariates' joint
    distribution, saturated), each list's main effect plus **one effect per level of each
    stratifying covariate** (list x covariate terms, additive over the covariates: what
    ``darkfigure estimate --covariates`` fits) and the candidate's list x list interactions,
    common to all strata. :func:`pooled_search` gives every stratum its own list main effects
    instead (list x stratum). The two describe the same table; where their chosen interactions
    differ, the choice depends on how the nuisance part is modelled and the run says so (the
    collapsed model borrows strength across strata for the lists' capture probabilities, the
    joint one does not). Admissibility as in :func:`pooled_search`: no common interaction's MLE
    diverges. Penalty log(n) per parameter (BIC; 2 for AIC), n the persons observed.

    Parameters
    ----------
    strata : sequence of (lists, cells, counts)
        As :func:`pooled_search` (only the strata to search: those whose main-effects model
        identifies N̂, :attr:`PooledChoice.searched`).
    lists : sequence of str
    levels : sequence of sequences, length S
        Each stratum's levels of the stratifying covariates (its key), in the same order for all.
    criterion : {"bic", "aic"}
    max_order : int

    Returns
    -------
    CollapsedChoice

    Raises
    ------
    ValueError
        No stratum, `levels` not one key per stratum, or an unknown criterion.
    """
    criterion = (criterion or "bic").lower()
    if criterion not in ("bic", "aic"):
        raise ValueError(f"criterion must be 'bic' or 'aic', not {criterion!r}")
    if not strata or len(levels) != len(strata):
        raise ValueError("collapsed_search needs one key of levels per stratum (and at least one stratum)")
    lists = tuple(map(str, lists))
    tabs = [stratum_table(lst, cells, counts) for lst, cells, counts in strata]
    bits, y, mask = _stack(tabs, lists)
    bf = bits.astype(float)
    S, P = y.shape
    # nuisance columns: list main effects, and list x (covariate = level) for every level but each covariate's first
    keys = [tuple(map(str, k)) for k in levels]
    cols = [np.broadcast_to(bf, (S, P, bf.shape[1]))]
    for c in range(len(keys[0])):
        for lev in sorted({k[c] for k in keys})[1:]:
            ind = np.array([k[c] == lev for k in keys], dtype=float)  # (S,)
            cols.append(ind[:, None, None] * bf[None, :, :])
    nuis = np.concatenate(cols, axis=2)
    pen = np.log(max(float(y.sum()), 2.0)) if criterion == "bic" else 2.0

    def score(model: LogLinearModel) -> float:
        """The collapsed model's criterion with `model`'s interactions (inf when one diverges)."""
        zc = _interaction_columns(model, lists, bits)
        zs = np.concatenate([nuis, np.broadcast_to(zc, (S, P, zc.shape[1]))], axis=2)
        dev, gamma = _intercept_fit(y, mask, zs)
        g = gamma[nuis.shape[2]:]
        if len(g) and (not np.all(np.isfinite(g)) or np.max(np.abs(g)) > _DIVERGED):
            return np.inf
        # the nuisance part is the same for every candidate: only the interactions' count changes the comparison
        return dev + pen * (S + nuis.shape[2] + zc.shape[1])

    cur, cur_s, rows = _stepwise(LogLinearModel.make(lists), score, max_order)
    return CollapsedChoice(model=cur, score=float(cur_s), path=pd.DataFrame(rows))
