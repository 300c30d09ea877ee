"""Score and Wald approximations that order the candidates of a stepwise search.

A step of R's ``step()`` refits every candidate model. Most refits are wasted: the
winner is nearly always among the candidates with the largest score statistic
(additions; Rao 1948) or the smallest Wald statistic (removals), both computed
from the current fit alone. :func:`approximate_criteria` gives each candidate's
approximate ``-2 logL + k p``; the search then refits candidates in that order and
stops once the remaining approximations cannot come near the best exact value
(see ``search.step``). Removals of terms whose coefficients diverge (MLE on the
boundary, where Wald statistics are meaningless) are always refitted.
"""

from __future__ import annotations

import numpy as np

from .design import CompleteTable
from .fit import LogLinearFit
from .terms import Term

__all__ = ["approximate_criteria"]

_ONE = np.ones((1, 1))


def _eigh(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.linalg.eigh(a)`` of a symmetric (w, w) array; for w = 1 without the call (most terms of two binary
    variables: ~40 calls a step). LAPACK's syevd returns a 1 x 1 matrix's entry and the vector 1 without any
    arithmetic, so these are its very numbers."""
    if a.shape == (1, 1):
        return a.reshape(1).astype(float), _ONE.copy()
    return np.linalg.eigh(a)


def approximate_criteria(
    table: CompleteTable,
    cur: LogLinearFit,
    adds: list[Term],
    drops: list[Term],
    k: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate criterion of adding each term in `adds` and dropping each in `drops`.

    Parameters
    ----------
    table : CompleteTable
    cur : LogLinearFit
        The current model's fit (its fitted values and coefficients are used).
    adds, drops : list of Term
    k : float
        Penalty per parameter.

    Returns
    -------
    add_crit : ndarray of shape (len(adds),)
        ``crit(cur) - score statistic + k * df`` (approximates the refit's criterion);
        ``-inf`` for terms with an observed margin of 0 (always refitted).
    drop_crit : ndarray of shape (len(drops),)
        ``crit(cur) + Wald statistic - k * df``; ``-inf`` where the Wald statistic is
        unreliable (diverging coefficients), so that those are always refitted.
    """
    obs = table.observable
    y = table.y[obs] if cur.table is table else cur.table.y[obs]
    mu = cur.fitted[obs]
    x = table.design(cur.model)[obs]
    crit = -2.0 * cur.loglik + k * cur.rank
    w = mu
    xw = x * w[:, None]
    info = x.T @ xw
    inv = np.linalg.pinv(info, hermitian=True, rcond=1e-10)
    resid = y - mu
    add_crit = np.full(len(adds), np.inf)
    if adds:
        blocks = [table.block(t)[obs] for t in adds]
        widths = [b.shape[1] for b in blocks]
        ball = np.hstack(blocks)
        u = ball.T @ resid
        # an observed margin of 0 puts the MLE on the boundary, where the score statistic
        # understates the deviance drop (about half of 2 * fitted margin): always refit those
        zero_margin = (ball.T @ y) == 0
        cross = ball.T @ xw  # (m, p)
        bwb = (ball * w[:, None]).T @ ball  # (m, m); only diagonal blocks are used
        corr = cross @ inv @ cross.T
        j = 0
        for i, wd in enumerate(widths):
            sl = slice(j, j + wd)
            v = bwb[sl, sl] - corr[sl, sl]
            ev, evec = _eigh(v)
            keep = ev > 1e-9 * max(ev.max(initial=0.0), 1.0)
            df = int(keep.sum())
            if zero_margin[sl].any():
                add_crit[i] = -np.inf
            elif df == 0:
                add_crit[i] = crit  # aliased: adds nothing
            else:
                ui = evec[:, keep].T @ u[sl]
                s = float(np.sum(ui**2 / ev[keep]))
                add_crit[i] = crit - s + k * df
            j += wd
    drop_crit = np.full(len(drops), np.inf)
    if drops:
        sl_map = table.term_slices(cur.model)
        for i, t in enumerate(drops):
            sl = sl_map[t]
            b = cur.beta[sl]
            # diverging coefficients, or a term that lives only on cells fitted as 0 (extended
            # MLE): the Wald statistic means nothing there, so refit
            dinfo = np.diag(info)[sl]
            if np.any(np.abs(b) > 10) or np.any(dinfo < 1e-6 * max(np.max(np.diag(info)), 1e-300)):
                drop_crit[i] = -np.inf
                continue
            cov = inv[sl, sl]
            ev, evec = _eigh(cov)
            keep = ev > 1e-12 * max(ev.max(initial=0.0), 1e-300)
            df = int(keep.sum())
            if df == 0:
                drop_crit[i] = -np.inf
                continue
            bi = evec[:, keep].T @ b
            wald = float(np.sum(bi**2 / ev[keep]))
            drop_crit[i] = crit + wald - k * df
    return add_crit, drop_crit
