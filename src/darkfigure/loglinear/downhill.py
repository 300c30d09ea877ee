"""Model choice with its uncertainty, as the R package MultipleSystemsEstimation.

Silverman, Chan & Vincent (2024, Statistics and Computing 34:44, "Bootstrapping
multiple systems estimates to account for model selection") choose a hierarchical
log-linear model by BIC and carry the uncertainty of that choice into the interval
by repeating the choice in every bootstrap replicate. Two ways of choosing:

* :func:`bic_bootstrap` — the BIC choice among all admissible hierarchical models
  (their ``estimate_population_bic``): the models are ranked by BIC on the data, the
  ``ntop`` best are kept, and each bootstrap replicate takes the one of those with
  the smallest BIC on the replicate (sec. 3-4 of the paper; ``ntop`` = all models is
  the full bootstrap of the BIC choice, smaller ``ntop`` the paper's approximation).
* :func:`downhill_search` and :func:`downhill_bootstrap` — their greedy search for
  more lists (sec. 5.2; ``downhill_fit``, ``downhill_bootstrapcal``,
  ``downhill_jackknifecal``): from the main-effects model, evaluate every
  neighbour not yet seen (add one interaction whose margins are all in the model, up
  to ``max_order``; or remove one generator, never a main effect), move to the best
  if it lowers the BIC, and stop when no new neighbour does (or after 20 moves).
  The bootstrap repeats the whole search in every replicate.

What every model fit means here (their ``fit_hier_model``): a parameter whose margin
is empty (no one on all of its lists, e.g. two lists that share nobody) is fixed at
-inf and the cells containing it are removed; the rest is a Poisson GLM on the
remaining cells. A model is *admissible* only when the Fienberg & Rinaldo (2012) linear
program finds a strictly positive table with the same margins on those cells and the
design has full column rank there; other models get no BIC and are never chosen (in a
bootstrap replicate too). N̂ = observed + exp(intercept); BIC = p log(n) - 2 log L,
with p counting every parameter of the hierarchical model (intercept, main effects
and the ones fixed at -inf), n the persons observed and L the Poisson likelihood of
the remaining cells (log-factorials included).

The bootstrap resamples the n observed persons (multinomial over the observed
capture histories with probabilities count / n); the interval is BCa (Efron 1987,
JASA 82:171-185) with R's quantile type 8, the bias correction from the share of
replicates below N̂ and the acceleration from the delete-one-person jackknife
grouped by capture history — as the package does. Replicates are drawn with NumPy,
not R's generator, so intervals agree with the package within Monte-Carlo error.

Where this differs from the package, and why it does not change the results:

* The linear program is solved only for fits that head for the boundary (the last
  Newton step still moves the linear predictor, see :func:`_irls_rows`), and its
  answer is reused for sub- and super-models with the same empty margins and zero
  cells. On ten reference tables the admissible models and their BIC order are those
  of :func:`~darkfigure.loglinear.search.exhaustive_search` with SparseMSE's
  ``checkident`` (``ierr == 0``), which solves it for every model.
* Models tied in BIC (e.g. two same-size models that fit the observed cells exactly)
  are ordered by our enumeration, not the package's catalogue.
* Replicates come from NumPy's generator, not R's.
* If the main-effects model itself is not admissible the search still looks at its
  neighbours (R stops with an error).

Fits are vectorised over replicates (one Newton iteration for all replicates that
need the same model; the downhill searches of all replicates move in lockstep) and,
for the ranking, over models. On this 2-core machine 1,000 replicates take about
0.3 s (Kosovo, BIC among the 20 best), 1 s (Kosovo downhill), 2 s (five lists, BIC
among the 100 best, ranking of 6,212 models included), 1-3 s (five-list downhill) and
about 20 s (the eight-list New Orleans downhill, all orders).

New Orleans: the package's ``NewOrl`` and ``NewOrl_5`` hold one person more than
SparseMSE's (ours), on lists C and D only (186 persons). That is why the package reports
981 for the five lists (main effects; 1,034 on SparseMSE's table) and 1,110 for the
eight lists (1,184 published); our code gives 981.43 and 1,110 on the package's tables.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.special import gammaln

from .._blas import single_threaded
from .bootstrap import bca_interval
from .design import CompleteTable
from .fit import fit_model, irls_poisson
from .search import SearchResult
from .sparse import _lp_positive_margin
from .terms import LogLinearModel

__all__ = [
    "SelectionBootstrap",
    "ConfidenceInterval",
    "default_ntop",
    "downhill_search",
    "rank_models",
    "downhill_bootstrap",
    "bic_bootstrap",
    "neighbours",
    "mse_label",
    "MSE_ALPHA",
]

#: Probabilities at which MultipleSystemsEstimation reports BCa endpoints by default.
MSE_ALPHA = (0.025, 0.1, 0.9, 0.975)


# --------------------------------------------------------------------------- hierarchy
def _close(terms) -> frozenset:
    out = set()
    for t in terms:
        t = tuple(sorted(t))
        for r in range(2, len(t) + 1):
            out.update(combinations(t, r))
    return frozenset(out)


def _generators(model: frozenset) -> list[tuple[int, ...]]:
    """Maximal interactions (not a margin of another), highest order first, then lexicographic."""
    gens = [t for t in model if not any(len(u) > len(t) and set(t) < set(u) for u in model)]
    return sorted(gens, key=lambda t: (-len(t), t))


def _encode(t: tuple[int, ...]) -> int:
    return 1 + sum(1 << i for i in t)


def neighbours(model: frozenset, k: int, max_order: int) -> list[tuple[str, tuple[int, ...], frozenset]]:
    """The hierarchical models next to `model`, in MultipleSystemsEstimation's order.

    Inner neighbours first: remove one generator (a maximal interaction; main effects
    are never removed), generators taken highest order first and then in lexicographic
    order, as the package writes a model (``[123,14,34]``). Then outer neighbours: add
    one interaction of order at most `max_order` all of whose margins one order down
    are in the model, in the order the package's ``boundary_captures`` finds them
    (by the encoding of the term without its last list, then by the last list). The
    order only matters for exact ties in BIC (Silverman, Chan & Vincent 2024, sec. 5.2;
    ``find_neighbour_hierarchies``).

    Parameters
    ----------
    model : frozenset of tuple of int
        Interactions (0-based list indices, sorted tuples of length >= 2), closed under
        margins; the empty set is the main-effects model.
    k : int
        Number of lists.
    max_order : int
        Highest order of an added interaction.

    Returns
    -------
    list of (sign, term, model)
        ``sign`` is ``"-"`` (term removed) or ``"+"`` (term added).
    """
    out = [("-", g, model - {g}) for g in _generators(model)]
    adds = []
    for r in range(2, max_order + 1):
        for t in combinations(range(k), r):
            if t in model:
                continue
            if r == 2 or all(m in model for m in combinations(t, r - 1)):
                adds.append(t)
    adds.sort(key=lambda t: (_encode(t[:-1]), t[-1]))
    out += [("+", t, model | {t}) for t in adds]
    return out


def mse_label(model: frozenset, k: int) -> str:
    """The model in MultipleSystemsEstimation / Rcapture notation, e.g. ``[123,14,34]``.

    Generators (maximal terms, lone main effects included) with 1-based list numbers,
    highest order first then lexicographic (the package's ``convert_to_hierarchy``);
    lists are separated by ``.`` when there are 10 or more.

    Parameters
    ----------
    model : frozenset of tuple of int
    k : int
        Number of lists.

    Returns
    -------
    str
    """
    covered = {i for t in model for i in t}
    gens = _generators(model) + [(i,) for i in range(k) if i not in covered]
    gens.sort(key=lambda t: (-len(t), t))
    sep = "." if k >= 10 else ""
    return "[" + ",".join(sep.join(str(i + 1) for i in t) for t in gens) + "]"


def _named(model: frozenset, lists: Sequence[str]) -> LogLinearModel:
    return LogLinearModel.make(tuple(lists), [tuple(lists[i] for i in t) for t in model])


def _indexed(model: LogLinearModel, lists: Sequence[str]) -> frozenset:
    pos = {v: i for i, v in enumerate(lists)}
    return _close(tuple(pos[v] for v in t) for t in model.interactions)


# --------------------------------------------------------------------------- fitting
class _Eval(NamedTuple):
    nhat: np.ndarray  # (B,) NaN when the model is not admissible for that replicate
    bic: np.ndarray
    loglik: np.ndarray
    deviance: np.ndarray
    ierr: np.ndarray  # 0 admissible, 1 no positive table with the margins (LP), 2 rank deficient
    empty: np.ndarray  # (B,) number of parameters fixed at -inf


def _poisson_dev(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return 2.0 * np.sum(t - (y - mu), axis=-1)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.lstsq(ai, bi, rcond=1e-13)[0] for ai, bi in zip(a, b)])


def _irls_rows(x: np.ndarray, y: np.ndarray, *, tol: float = 1e-10, max_iter: int = 60):
    """Poisson log-linear fits of one design to many count vectors at once.

    Newton/IRLS started as R's ``glm`` (mu = y + 0.1), stopping per row when the relative
    change of deviance |D - D_old| / (|D| + 0.1) is below `tol` (R's rule, McCullagh &
    Nelder 1989, sec. 2.5). When the MLE does not exist the deviance settles too, but the
    linear predictor of the cells outside the facial set keeps falling by about 1 per
    Newton step (the step for a cell with y = 0 is (y - mu)/mu = -1); when it exists the
    steps vanish quadratically. The size of the last step tells the two apart.

    Parameters
    ----------
    x : ndarray of shape (C, P)
        Full-rank design on the fitted cells.
    y : ndarray of shape (B, C)

    Returns
    -------
    beta : ndarray of shape (B, P)
    mu : ndarray of shape (B, C)
    converged : ndarray of bool, shape (B,)
        The deviance settled.
    step : ndarray of shape (B,)
        Largest change of the linear predictor over the cells in the last Newton step.
    """
    b_rows, c = y.shape
    p = x.shape[1]
    xx = (x[:, :, None] * x[:, None, :]).reshape(c, p * p)
    mu = y + 0.1
    eta = np.log(mu)
    dev = _poisson_dev(y, mu)
    beta = np.zeros((b_rows, p))
    conv = np.zeros(b_rows, dtype=bool)
    step = np.full(b_rows, np.inf)
    active = np.arange(b_rows)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(max_iter):
            m, yy = mu[active], y[active]
            z = eta[active] + (yy - m) / m
            a = (m @ xx).reshape(-1, p, p)
            bn = _solve(a, (m * z) @ x)
            en = bn @ x.T
            mn = np.exp(np.clip(en, -700.0, 700.0))
            dn = _poisson_dev(yy, mn)
            change = np.abs(dn - dev[active]) / (np.abs(dn) + 0.1)
            step[active] = np.abs(en - eta[active]).max(axis=1)
            beta[active], eta[active], mu[active], dev[active] = bn, en, mn, dn
            done = (change < tol) | ~np.isfinite(dn)
            conv[active[done & np.isfinite(dn)]] = True
            active = active[~done]
            if active.size == 0:
                break
    return beta, mu, conv, step


def _irls_models(x: np.ndarray, y: np.ndarray, cols: np.ndarray, cells: np.ndarray, *, tol: float = 1e-10,
                 max_iter: int = 30, chunk: int = 2048):
    """Poisson fits of many models (columns ``cols[m]`` of `x` on cells ``cells[m]``) to one table.

    Newton/IRLS as :func:`_irls_rows`, vectorised over models; a model stops when its
    deviance settles or when a zero cell's fitted value falls below 1e-12 (it is heading
    for the boundary and will be sent to the linear program).

    Parameters
    ----------
    x : ndarray of shape (C, P)
    y : ndarray of shape (C,)
    cols : ndarray of bool, shape (M, P)
        Full column rank on the model's cells (checked beforehand).
    cells : ndarray of bool, shape (M, C)

    Returns
    -------
    beta : ndarray of shape (M, P)
    mu : ndarray of shape (M, C)
        0 outside the model's cells.
    converged : ndarray of bool, shape (M,)
    step : ndarray of shape (M,)
        Largest change of the linear predictor in the last step (see :func:`_irls_rows`).
    """
    n_m, p = cols.shape
    c = x.shape[0]
    xx = (x[:, :, None] * x[:, None, :]).reshape(c, p * p)
    beta, mu_out, conv = np.zeros((n_m, p)), np.zeros((n_m, c)), np.zeros(n_m, dtype=bool)
    step = np.full(n_m, np.inf)
    eye = np.eye(p, dtype=bool)
    zero = y == 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for lo in range(0, n_m, chunk):
            sl = np.arange(lo, min(lo + chunk, n_m))
            cm, keep = cols[sl], cells[sl].astype(float)
            mu = (y + 0.1)[None, :] * keep
            eta = np.log(np.where(keep > 0, mu, 1.0))
            dev = _poisson_dev(y[None, :] * keep, np.where(keep > 0, mu, 1.0))
            active = np.arange(len(sl))
            for _ in range(max_iter):
                ka, ma, ca = keep[active], mu[active], cm[active]
                z = eta[active] + ka * (y - ma) / np.where(ma > 0, ma, 1.0)
                info = (ma @ xx).reshape(-1, p, p) * (ca[:, :, None] & ca[:, None, :]) + eye * (~ca)[:, None, :]
                bn = _solve(info, ((ma * z) @ x) * ca)
                en = bn @ x.T
                mn = np.exp(np.clip(en, -700.0, 700.0)) * ka
                dn = _poisson_dev(y[None, :] * ka, np.where(ka > 0, mn, 1.0))
                change = np.abs(dn - dev[active]) / (np.abs(dn) + 0.1)
                step[sl[active]] = np.abs((en - eta[active]) * ka).max(axis=1)
                beta[sl[active]], eta[active], mu[active], dev[active] = bn, en, mn, dn
                settled = change < tol
                conv[sl[active[settled]]] = True
                boundary = (np.where(zero[None, :] & (ka > 0), mn, np.inf).min(axis=1) < 1e-12) | ~np.isfinite(dn)
                active = active[~(settled | boundary)]
                if active.size == 0:
                    break
            mu_out[sl] = mu
    return beta, mu_out, conv, step


class _Fitter:
    """MultipleSystemsEstimation's ``fit_hier_model`` with ``checkid = TRUE`` for one table,
    vectorised over count vectors (bootstrap or jackknife replicates)."""

    def __init__(self, table: CompleteTable):
        h = table.histories
        if h.covariates:
            raise ValueError(
                "the BIC bootstrap and downhill search are for tables without covariates "
                f"(got {list(h.covariates)}); sum over them first with histories.collapse()"
            )
        if h.k < 2:
            raise ValueError(f"need at least 2 lists (got {h.k})")
        self.table = table
        self.k = h.k
        self.lists = tuple(h.lists)
        obs = table.observable
        self.pattern = table.cells[list(self.lists)].to_numpy()[obs].astype(bool)  # (C, k)
        self.y = table.y[obs].astype(float)
        self._col: dict[tuple[int, ...], np.ndarray] = {}
        self._rank: dict = {}
        self._lp: dict = {}
        self._bit: dict[tuple[int, ...], int] = {}
        self.n_lp = 0

    def column(self, t: tuple[int, ...]) -> np.ndarray:
        """Design column of interaction `t` (list indices) over the observable cells, cached."""
        c = self._col.get(t)
        if c is None:
            c = self._col[t] = self.pattern[:, list(t)].all(axis=1)
        return c

    def _mask(self, model: frozenset) -> int:
        m = 0
        for t in model:
            b = self._bit.get(t)
            if b is None:
                b = self._bit[t] = len(self._bit)
            m |= 1 << b
        return m

    def _known(self, key, mask: int) -> int:
        """From earlier linear programs with the same empty margins and zero cells: 1 when a
        sub-model had no positive table (so neither has this one: it has more constraints),
        0 when a super-model had one, -1 when unknown (Fienberg & Rinaldo 2012)."""
        fails, passes = self._lp.get(key, ((), ()))
        if any(f & mask == f for f in fails):
            return 1
        if any(p & mask == mask for p in passes):
            return 0
        return -1

    def _remember(self, key, mask: int, fail: bool) -> None:
        fails, passes = self._lp.setdefault(key, ([], []))
        (fails if fail else passes).append(mask)

    def evaluate(self, model: frozenset, y: np.ndarray) -> _Eval:
        """Fit `model` to every row of `y` (shape (B, C), counts of the observable cells).

        A row whose kept cells are all positive is admissible. Otherwise the linear program
        is solved when the Newton fit heads for the boundary (its last step still moves the
        linear predictor by more than 0.01, a coefficient above 25 in size, or no
        convergence; see :func:`_irls_rows`), and its answer is reused
        for the sub- and super-models with the same empty margins and zero cells (a fit
        that does not head for the boundary has found the MLE, which therefore exists).
        """
        terms = [(i,) for i in range(self.k)] + sorted(model, key=lambda t: (len(t), t))
        tmat = np.stack([self.column(t) for t in terms], axis=1)  # (C, q)
        npar = 1 + len(terms)
        mask = self._mask(model)
        b_rows = y.shape[0]
        out = _Eval(*(np.full(b_rows, np.nan) for _ in range(4)), np.zeros(b_rows, dtype=int), np.zeros(b_rows, dtype=int))
        n = y.sum(axis=1)
        zero = (y @ tmat) == 0  # (B, q): parameters whose margin is empty
        keys, inv = np.unique(zero, axis=0, return_inverse=True)
        inv = np.asarray(inv).reshape(-1)
        for g, zrow in enumerate(keys):
            rows = np.flatnonzero(inv == g)
            kept = ~tmat[:, zrow].any(axis=1)
            x = np.column_stack([np.ones(int(kept.sum())), tmat[kept][:, ~zrow]]).astype(float)
            out.empty[rows] = int(zrow.sum())
            zset = frozenset(t for t, z in zip(terms, zrow) if z)
            rk = (model, zset)
            full = self._rank.get(rk)
            if full is None:
                full = self._rank[rk] = x.shape[0] >= x.shape[1] and np.linalg.matrix_rank(x) == x.shape[1]
            if not full:
                out.ierr[rows] = 2  # rank deficient: not identifiable, never fitted
                continue
            yk = y[rows][:, kept]
            zc = yk == 0
            beta, mu, conv, last = _irls_rows(x, yk)
            with np.errstate(invalid="ignore"):
                big = np.abs(beta[:, 1:]).max(axis=1, initial=0.0) > 25
            for j in np.flatnonzero(~conv | (last > 0.01) | big):
                if zc[j].any():
                    lp_key = (zset, zc[j].tobytes())
                    known = self._known(lp_key, mask)
                    if known < 0:
                        self.n_lp += 1
                        known = int(_lp_positive_margin(x, yk[j]) <= 1e-7)
                        self._remember(lp_key, mask, bool(known))
                    if known == 1:
                        out.ierr[rows[j]] = 1
                        beta[j] = np.nan
                        continue
                # admissible but slow or with small fitted values: refit alone with step-halving
                b1, m1, _, _, c1, _ = irls_poisson(x, yk[j], tol=1e-12, max_iter=500)
                beta[j], mu[j] = b1, m1
                if not c1:
                    beta[j] = np.nan
            ok = np.isfinite(beta).all(axis=1)
            r = rows[ok]
            with np.errstate(divide="ignore", invalid="ignore"):
                ll = np.sum(np.where(yk[ok] > 0, yk[ok] * np.log(mu[ok]), 0.0) - mu[ok] - gammaln(yk[ok] + 1), axis=1)
            out.loglik[r] = ll
            out.deviance[r] = _poisson_dev(yk[ok], mu[ok])
            out.nhat[r] = n[r] + np.exp(beta[ok, 0])
            out.bic[r] = npar * np.log(n[r]) - 2.0 * ll
        return out


def _rank_admissible(fitter: _Fitter, max_order: int, ntop: int | None) -> tuple[list[frozenset], int, int]:
    """The `ntop` admissible hierarchical models with the smallest BIC on the data, best first.

    Every model is fitted at once (vectorised Newton over models, empty margins fixed at
    -inf); the models are sorted by BIC and walked in that order, admissibility decided
    as in :meth:`_Fitter.evaluate` (a linear program only for fits heading for the
    boundary), until `ntop` admissible ones are found.

    Returns
    -------
    models : list of frozenset
    n_models : int
        Hierarchical models with terms up to `max_order`.
    n_checked : int
        Models walked (all of them when `ntop` is None).
    """
    from .search import hierarchical_models

    k, y = fitter.k, fitter.y
    models = [_close(m) for m in hierarchical_models(k, max_order)]
    inter = [t for r in range(2, max_order + 1) for t in combinations(range(k), r)]
    terms = [(i,) for i in range(k)] + inter
    col = {t: j + 1 for j, t in enumerate(terms)}
    tmat = np.stack([fitter.column(t) for t in terms], axis=1)
    x = np.column_stack([np.ones(len(y)), tmat]).astype(float)
    zero_t = {t for t in terms if y[fitter.column(t)].sum() == 0}
    m_all, p = len(models), x.shape[1]
    cols = np.zeros((m_all, p), dtype=bool)
    cols[:, : 1 + k] = True
    cells = np.ones((m_all, len(y)), dtype=bool)
    for i, m in enumerate(models):
        for t in m:
            cols[i, col[t]] = True
            if t in zero_t:
                cells[i] &= ~fitter.column(t)
    est = cols & ((cells.astype(float) @ (x != 0)) > 0)
    npar = cols.sum(axis=1)
    key = np.packbits(np.hstack([est, cells]), axis=1)
    uk, inv = np.unique(key, axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    full_u = np.zeros(len(uk), dtype=bool)
    for g in range(len(uk)):
        i = int(np.flatnonzero(inv == g)[0])
        xi = x[cells[i]][:, est[i]]
        full_u[g] = xi.shape[0] >= xi.shape[1] and np.linalg.matrix_rank(xi) == xi.shape[1]
    full = full_u[inv]
    bic = np.full(m_all, np.inf)
    beta = np.zeros((m_all, p))
    mu = np.zeros((m_all, len(y)))
    conv = np.zeros(m_all, dtype=bool)
    last = np.full(m_all, np.inf)
    fi = np.flatnonzero(full)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b, mm, cv, st = _irls_models(x, y, est[fi], cells[fi])
        ll = np.sum(np.where(mm > 0, y * np.log(np.where(mm > 0, mm, 1.0)), 0.0) - mm - gammaln(y + 1) * cells[fi], axis=1)
    beta[fi], mu[fi], conv[fi], last[fi] = b, mm, cv, st
    n = float(y.sum())
    bic[fi] = npar[fi] * np.log(n) - 2.0 * ll
    bic[~np.isfinite(bic)] = np.inf
    order = np.argsort(bic, kind="stable")
    out: list[frozenset] = []
    checked = 0
    for i in order:
        if not np.isfinite(bic[i]) or (ntop is not None and len(out) >= ntop):
            break
        checked += 1
        zc = (y == 0) & cells[i]
        if zc.any():
            if not conv[i] or last[i] > 0.01 or np.abs(beta[i, 1:]).max() > 25:
                lp_key = (frozenset(t for t in models[i] if t in zero_t), (y[cells[i]] == 0).tobytes())
                mask = fitter._mask(models[i])
                known = fitter._known(lp_key, mask)
                if known < 0:
                    fitter.n_lp += 1
                    known = int(_lp_positive_margin(x[cells[i]][:, est[i]], y[cells[i]]) <= 1e-7)
                    fitter._remember(lp_key, mask, bool(known))
                if known == 1:
                    continue
        out.append(models[i])
    return out, m_all, checked


def _exact_order(f: _Fitter, models: list[frozenset]) -> tuple[list[frozenset], list[_Eval]]:
    """Refit the ranked models one by one and sort them by that BIC (stable): the joint fit
    of all models stops early for fits heading for the boundary, whose BIC it only approximates."""
    ev = [f.evaluate(m, f.y[None, :]) for m in models]
    key = np.array([e.bic[0] if np.isfinite(e.bic[0]) else np.inf for e in ev])
    o = np.argsort(key, kind="stable")
    o = o[np.isfinite(key[o])]
    return [models[i] for i in o], [ev[i] for i in o]


@single_threaded
def rank_models(table: CompleteTable, *, max_order: int | None = None, ntop: int | None = None) -> pd.DataFrame:
    """The admissible hierarchical models ranked by BIC, as MultipleSystemsEstimation's ``assemble_bic``.

    Every hierarchical model with terms up to `max_order` is fitted with empty margins
    fixed at -inf; models failing the existence (Fienberg & Rinaldo 2012 linear program)
    or rank check are left out, the rest sorted by BIC (Silverman, Chan & Vincent 2024,
    Statistics and Computing 34:44; R ``estimate_population_bic``, whose N̂ is the first
    row's). The admissible set and order equal those of
    :func:`~darkfigure.loglinear.search.exhaustive_search` restricted to ``ierr == 0``.

    Parameters
    ----------
    table : CompleteTable
        Without covariates, at most 6 lists (two-list terms only for 6).
    max_order : int, optional
        Highest interaction order (default as the package: 2 for 3 lists, 3 for 4 or 5,
        2 for 6).
    ntop : int, optional
        Stop after this many admissible models (all by default).

    Returns
    -------
    DataFrame
        One row per admissible model, best first: ``mse_model`` (``[123,14,34]``),
        ``model`` (formula), ``order`` (highest interaction order), ``n_parameters``
        (counted in the BIC, those fixed at -inf included), ``empty_parameters``, ``bic``,
        ``nhat``, ``deviance``. ``attrs`` holds ``n_models`` (enumerated) and ``seconds``.

    Raises
    ------
    ValueError
        Covariates, more than 6 lists, or `max_order` out of range.
    RuntimeError
        No admissible model.
    """
    t0 = time.perf_counter()
    f = _Fitter(table)
    k = f.k
    order = _default_bic_order(k, max_order)
    if k > 6 or (k == 6 and order > 2):
        raise ValueError(f"the BIC choice enumerates hierarchical models for at most 6 lists (two-list terms for 6); got {k} lists")
    models, n_models, _ = _rank_admissible(f, order, ntop)
    if not models:
        raise RuntimeError("no admissible model: every model fails the existence check")
    models, ev = _exact_order(f, models)
    out = pd.DataFrame({
        "mse_model": [mse_label(m, k) for m in models],
        "model": [_named(m, f.lists).formula() for m in models],
        "order": [max((len(t) for t in m), default=1) for m in models],
        "n_parameters": [1 + k + len(m) for m in models],
        "empty_parameters": [int(e.empty[0]) for e in ev],
        "bic": [e.bic[0] for e in ev],
        "nhat": [e.nhat[0] for e in ev],
        "deviance": [e.deviance[0] for e in ev],
    })
    out.attrs["n_models"] = n_models
    out.attrs["seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------------- downhill
def _downhill(fitter: _Fitter, y: np.ndarray, max_order: int, max_iter: int, record: bool = False):
    """The package's ``downhill_fit`` for every row of `y` at once (rows move in lockstep;
    each model is fitted once per step for all rows that need it)."""
    k = fitter.k
    b_rows = y.shape[0]
    start = frozenset()
    ev = fitter.evaluate(start, y)
    cur = [start] * b_rows
    cur_bic = np.where(np.isfinite(ev.bic), ev.bic, np.inf)
    cur_nhat = ev.nhat.copy()
    seen = [{start} for _ in range(b_rows)]
    active = list(range(b_rows))
    moves = np.zeros(b_rows, dtype=int)
    nb_cache: dict[frozenset, list] = {}
    rows = []
    if record:
        rows.append(dict(iteration=0, step="start", model=start, bic=ev.bic[0], nhat=ev.nhat[0], loglik=ev.loglik[0],
                         deviance=ev.deviance[0], ierr=int(ev.ierr[0]), empty=int(ev.empty[0]), accepted=True))
    hit_limit = np.zeros(b_rows, dtype=bool)
    for it in range(1, max_iter + 1):
        need: dict[frozenset, list[int]] = {}
        cands: dict[int, list] = {}
        for b in active:
            nb = nb_cache.get(cur[b])
            if nb is None:
                nb = nb_cache[cur[b]] = neighbours(cur[b], k, max_order)
            new = [c for c in nb if c[2] not in seen[b]]
            cands[b] = new
            for c in new:
                seen[b].add(c[2])
                need.setdefault(c[2], []).append(b)
        results: dict[frozenset, dict[int, tuple]] = {}
        for m, bs in need.items():
            e = fitter.evaluate(m, y[bs])
            results[m] = {b: tuple(v[i] for v in e) for i, b in enumerate(bs)}
        still = []
        for b in active:
            new = cands[b]
            if not new:
                continue
            vals = [results[c[2]][b] for c in new]
            bics = np.array([v[1] for v in vals])
            fin = np.isfinite(bics)
            best = int(np.flatnonzero(fin)[np.argmin(bics[fin])]) if fin.any() else -1
            accept = best >= 0 and bics[best] < cur_bic[b]
            if record:
                for i, (c, v) in enumerate(zip(new, vals)):
                    rows.append(dict(iteration=it, step=(c[0], c[1]), model=c[2], bic=v[1], nhat=v[0], loglik=v[2],
                                     deviance=v[3], ierr=int(v[4]), empty=int(v[5]), accepted=accept and i == best))
            if not accept:
                continue
            cur[b], cur_bic[b], cur_nhat[b] = new[best][2], bics[best], vals[best][0]
            moves[b] += 1
            still.append(b)
        active = still
        if not active:
            break
    else:
        hit_limit[active] = True
    return cur, cur_bic, cur_nhat, moves, hit_limit, rows


def _default_downhill_order(k: int, max_order: int | None) -> int:
    if max_order is None:
        return k - 1
    if not 1 <= max_order <= k - 1:
        raise ValueError(f"max_order must be between 1 and {k - 1} for {k} lists, not {max_order}")
    return max_order


class _LazyFits(Sequence):
    def __init__(self, table: CompleteTable, models: list[LogLinearModel]):
        self._t, self._m, self._cache = table, models, {}

    def __len__(self) -> int:
        return len(self._m)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i not in self._cache:
            with np.errstate(divide="ignore", invalid="ignore"):
                self._cache[i] = fit_model(self._t, self._m[i], check=True)
        return self._cache[i]


@single_threaded
def downhill_search(table: CompleteTable, *, max_order: int | None = None, max_iter: int = 20) -> SearchResult:
    """MultipleSystemsEstimation's greedy downhill search for the BIC-best hierarchical model.

    From the main-effects model, every neighbour not yet evaluated (:func:`neighbours`:
    remove one generator, or add one interaction of order <= `max_order` whose margins
    are in the model) is fitted; if the smallest BIC among them is below the current
    one the search moves there (the first minimum in :func:`neighbours` order),
    otherwise it stops. At most `max_iter` moves (the package's ``niter = 20``). Models
    that are not admissible (no positive table with their margins after fixing empty
    margins at -inf, or a rank-deficient design) have no BIC and are never chosen
    (Silverman, Chan & Vincent 2024, Statistics and Computing 34:44, sec. 5.2; R
    ``downhill_fit``). It is a local search: on the five-list UK table it stops at
    N̂ = 12,262 while the exhaustive BIC choice is 25,311 (their Table 6).

    Parameters
    ----------
    table : CompleteTable
        Without covariates; k >= 2 lists.
    max_order : int, optional
        Highest interaction order (default k - 1, all hierarchical models, as the package).
    max_iter : int
        Most moves.

    Returns
    -------
    SearchResult
        ``method="downhill"``; `path` has one row per model evaluated, in order:
        ``phase`` (``iteration i``), ``step`` (``+ A:B`` added or ``- A:B:C`` removed,
        relative to the model of the previous iteration), ``df``, ``deviance``, ``aic``,
        ``aicc``, ``bic``, ``nhat`` (NaN when not admissible), ``status``, ``model``,
        ``mse_model`` (``[123,14,34]``), ``ierr`` (0 admissible, 1 no positive table with
        the model's margins, 2 rank deficient), ``empty_parameters`` (fixed at -inf) and
        ``accepted`` (the moves taken; the first row is the main-effects start).
        ``best`` is the :func:`~darkfigure.loglinear.fit.fit_model` fit of the final model;
        ``path.attrs`` holds ``seconds``, ``moves`` and ``linear_programs``.

    Raises
    ------
    ValueError
        Covariates present, fewer than 2 lists, `max_order` out of range or `max_iter` < 1.
    RuntimeError
        No admissible model was reached (the main-effects model and all its neighbours fail).
    """
    t0 = time.perf_counter()
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1 (got {max_iter})")
    f = _Fitter(table)
    k = f.k
    max_order = _default_downhill_order(k, max_order)
    cur, cur_bic, _, moves, hit, rows = _downhill(f, f.y[None, :], max_order, max_iter, record=True)
    if not np.isfinite(cur_bic[0]):
        raise RuntimeError("no admissible model on the downhill path: the MLE does not exist for main effects or any neighbour")
    n = float(f.y.sum())
    c = len(f.y)
    models = [_named(r["model"], f.lists) for r in rows]
    npar = np.array([1 + k + len(r["model"]) for r in rows], dtype=float)
    ll = np.array([r["loglik"] for r in rows], dtype=float)
    aic = -2 * ll + 2 * npar
    with np.errstate(divide="ignore", invalid="ignore"):
        aicc = np.where(n - npar - 1 > 0, aic + 2 * npar * (npar + 1) / (n - npar - 1), np.inf)
    status = ["not identified" if r["ierr"] else ("extended" if r["empty"] else "ok") for r in rows]

    def df_residual(model) -> int:
        """Cells outside the empty margins minus the parameters left (glm on the reduced table)."""
        tm = np.stack([f.column(t) for t in [(i,) for i in range(k)] + sorted(model, key=lambda t: (len(t), t))], axis=1)
        zero = (f.y @ tm) == 0
        return int((~tm[:, zero].any(axis=1)).sum() - (1 + tm.shape[1] - zero.sum()))

    path = pd.DataFrame({
        "phase": [f"iteration {r['iteration']}" if r["iteration"] else "start" for r in rows],
        "step": [r["step"] if r["iteration"] == 0 else f"{r['step'][0]} " + ":".join(f.lists[i] for i in r["step"][1]) for r in rows],
        "df_change": None,
        "deviance_change": None,
        "df": [df_residual(r["model"]) if r["empty"] else c - int(p) for r, p in zip(rows, npar)],
        "deviance": [r["deviance"] for r in rows],
        "aic": aic,
        "aicc": aicc,
        "bic": [r["bic"] for r in rows],
        "nhat": [r["nhat"] for r in rows],
        "status": status,
        "model": [m.formula() for m in models],
        "mse_model": [mse_label(r["model"], k) for r in rows],
        "ierr": [r["ierr"] for r in rows],
        "empty_parameters": [r["empty"] for r in rows],
        "accepted": [r["accepted"] for r in rows],
    })
    fits = _LazyFits(table, models)
    i_best = max(i for i, r in enumerate(rows) if r["accepted"])
    warnings = []
    n_bad = int((path["ierr"] > 0).sum())
    if n_bad:
        warnings.append(f"{n_bad} of {len(path)} models evaluated are not admissible (MLE does not exist or the design is rank deficient); never chosen")
    if hit[0]:
        warnings.append(f"the downhill search stopped after {max_iter} moves without reaching a local minimum")
    path.attrs["seconds"] = time.perf_counter() - t0
    path.attrs["moves"] = int(moves[0])
    path.attrs["linear_programs"] = f.n_lp
    best = fits[i_best]
    return SearchResult("downhill", "bic", path, fits, best, warnings)


# --------------------------------------------------------------------------- bootstrap
class ConfidenceInterval(NamedTuple):
    """Lower and upper end of an interval (as ``scipy.stats.bootstrap``)."""

    low: float
    high: float


@dataclass(frozen=True)
class SelectionBootstrap:
    """A bootstrap of N̂ in which every replicate redoes the model choice.

    Attributes
    ----------
    method : str
        ``"bic"`` (BIC choice among the `ntop` best models) or ``"downhill"``.
    nhat : float
        N̂ of the model chosen on the data.
    model : str
        That model in MultipleSystemsEstimation notation, e.g. ``[123,14,34]``.
    level : float
        Confidence level of `confidence_interval`.
    confidence_interval : ConfidenceInterval
        BCa interval (``low``, ``high``); NaN when it cannot be formed (all replicates
        on one side of N̂, or no acceleration).
    quantiles : Series
        BCa endpoints at the probabilities of `probs` (index), as the package's
        ``uncertainty`` (default 0.025, 0.1, 0.9, 0.975).
    replicates : ndarray of shape (B,)
        N̂ of the model chosen in each replicate; NaN when no candidate model is
        admissible in the replicate (left out of the interval, as the package does).
    chosen : Series
        How often each model (MultipleSystemsEstimation notation) was chosen, most
        frequent first: the uncertainty of the model choice itself.
    acceleration : float
        BCa acceleration from the delete-one-person jackknife (NaN if unavailable).
    bias_correction : float
        z0 = Phi^-1(share of replicates below N̂).
    jackknife : ndarray of shape (n_positive_cells,)
        N̂ chosen with one person removed from each observed capture history.
    jackknife_weights : ndarray of shape (n_positive_cells,)
        Persons with that history (the weights of the acceleration).
    ntop : int or None
        Models the replicates choose among (``bic``); None for ``downhill``.
    max_order : int
        Highest interaction order of the candidate models.
    seed : int or None
    seconds : float
    warnings : list of str
    random_n : bool
        Whether the replicates resampled the estimated population (n random, the default)
        or the n observed persons (``condition_on_n=True``, the package's form).
    """

    method: str
    nhat: float
    model: str
    terms: LogLinearModel
    level: float
    confidence_interval: ConfidenceInterval
    quantiles: pd.Series = field(repr=False)
    replicates: np.ndarray = field(repr=False)
    chosen: pd.Series = field(repr=False)
    acceleration: float
    bias_correction: float
    jackknife: np.ndarray = field(repr=False)
    jackknife_weights: np.ndarray = field(repr=False)
    ntop: int | None
    max_order: int
    seed: int | None
    seconds: float
    warnings: list[str] = field(default_factory=list)
    random_n: bool = True

    @property
    def n_replicates(self) -> int:
        """Replicates drawn (those without an admissible model included)."""
        return int(self.replicates.shape[0])

    def percentile_interval(self) -> ConfidenceInterval:
        """The plain percentile interval at `level` (R's quantile type 7), for comparison."""
        v = self.replicates[np.isfinite(self.replicates)]
        a = (1 - self.level) / 2
        lo, hi = np.quantile(v, [a, 1 - a]) if v.size else (np.nan, np.nan)
        return ConfidenceInterval(float(lo), float(hi))


def _resample(y: np.ndarray, reps: int, seed: int | None, nhat: float | None = None) -> np.ndarray:
    """Multinomial bootstrap over the capture histories, shape (reps, C).

    Without `nhat`: the n observed persons resampled (n fixed, the package's form). With
    `nhat`: the estimated population resampled, Multinomial(round(N̂)) over the observed
    histories (probabilities count / N̂) and the unseen cell ((N̂ - n) / N̂), whose draws are
    dropped, so that n varies between replicates (Buckland & Garthwaite 1991, Biometrics
    47:255-268).
    """
    rng = np.random.default_rng(seed)
    n = float(y.sum())
    if nhat is None:
        return rng.multinomial(int(round(n)), y / n, size=reps).astype(float)
    if not np.isfinite(nhat) or nhat < n:
        raise ValueError(f"cannot resample a population of N̂ = {nhat} persons from {n:,.0f} observed")
    p = np.append(y, nhat - n) / nhat
    return rng.multinomial(int(round(nhat)), p, size=reps)[:, :-1].astype(float)


def _jackknife_rows(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One person less in each observed capture history: rows (n_pos, C) and weights (n_pos,)."""
    pos = np.flatnonzero(y > 0)
    rows = np.repeat(y[None, :], len(pos), axis=0)
    rows[np.arange(len(pos)), pos] -= 1
    return rows, y[pos].astype(float)


def _acceleration(jack: np.ndarray, w: np.ndarray) -> float:
    """sum w r^3 / (6 (sum w r^2)^1.5), r = weighted mean - J (Efron 1987; the package's ``ahat``)."""
    if not np.isfinite(jack).all():
        return np.nan
    r = np.sum(w * jack) / np.sum(w) - jack
    den = 6.0 * np.sum(w * r**2) ** 1.5
    return float(np.sum(w * r**3) / den) if den > 0 else 0.0


def _finish(method, nhat, label, terms, level, probs, reps_nhat, chosen_labels, jack, w, ntop, max_order, seed, t0, warnings):
    probs = tuple(float(p) for p in probs)
    a = _acceleration(jack, w)
    fin = reps_nhat[np.isfinite(reps_nhat)]
    warnings = list(warnings)
    alpha = (1 - level) / 2
    if not np.isfinite(a):
        warnings.append("the jackknife found no admissible model for some deletion; no BCa acceleration, no interval")
        ci = (np.nan, np.nan)
        q = np.full(len(probs), np.nan)
    elif fin.size < 2:
        ci, q = (np.nan, np.nan), np.full(len(probs), np.nan)
    else:
        ci = bca_interval(fin, nhat, a, (alpha, 1 - alpha))
        q = bca_interval(fin, nhat, a, probs)
    n_fail = int((~np.isfinite(reps_nhat)).sum())
    if n_fail:
        warnings.append(f"{n_fail} of {len(reps_nhat)} replicates had no admissible model and are left out")
    prop = float(np.mean(fin < nhat)) if fin.size else np.nan
    with np.errstate(divide="ignore"):
        from scipy.stats import norm

        z0 = float(norm.ppf(prop)) if np.isfinite(prop) else np.nan
    chosen = pd.Series([c for c, v in zip(chosen_labels, reps_nhat) if np.isfinite(v)], dtype=object).value_counts()
    return SelectionBootstrap(
        method=method, nhat=float(nhat), model=label, terms=terms, level=level,
        confidence_interval=ConfidenceInterval(float(ci[0]), float(ci[1])),
        quantiles=pd.Series(q, index=pd.Index(probs, name="prob"), name="bca"),
        replicates=reps_nhat, chosen=chosen, acceleration=a, bias_correction=z0, jackknife=jack,
        jackknife_weights=w, ntop=ntop, max_order=max_order, seed=seed, seconds=time.perf_counter() - t0,
        warnings=warnings,
    )


def _check_boot_args(reps: int, level: float) -> None:
    if reps < 2:
        raise ValueError(f"reps must be at least 2 (got {reps}); 1,000 is usual")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (got {level})")


@single_threaded
def downhill_bootstrap(
    table: CompleteTable,
    *,
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    max_order: int | None = None,
    max_iter: int = 20,
    probs: Sequence[float] = MSE_ALPHA,
    condition_on_n: bool = False,
) -> SelectionBootstrap:
    """BCa interval for the downhill-search N̂, the search redone in every replicate.

    The package's ``downhill_funs``: N̂ from :func:`downhill_search`; `reps` multinomial
    resamples of the observed persons, each searched from the main-effects model again
    (``downhill_bootstrapcal``); the acceleration from the search redone with one person
    less in each observed capture history (``downhill_jackknifecal``); BCa endpoints with
    R's quantile type 8 (Silverman, Chan & Vincent 2024, sec. 5.2 and Table 6: Kosovo
    10,357 [7,133, 18,681]).

    Parameters
    ----------
    table : CompleteTable
        Without covariates.
    reps : int
        Bootstrap replicates (the package and paper: 1,000).
    seed : int, optional
        Seed of NumPy's generator (R's ``iseed`` cannot be reproduced).
    level : float
        Level of `confidence_interval`.
    max_order, max_iter
        As :func:`downhill_search`.
    probs : sequence of float
        Probabilities of the BCa endpoints in `quantiles`.
    condition_on_n : bool
        Resample the n observed persons, as the package does (n fixed: it leaves out
        Var(n)), instead of the estimated population, unseen persons included (the
        default: n random; see :func:`~darkfigure.loglinear.bootstrap.nonparametric_bootstrap`).

    Returns
    -------
    SelectionBootstrap
        ``method="downhill"``, ``ntop=None``; ``random_n`` says which resampling was used.

    Raises
    ------
    ValueError
        Covariates, `max_order` out of range, `reps` < 2 or `level` outside (0, 1).
    RuntimeError
        No admissible model on the data's downhill path.
    """
    t0 = time.perf_counter()
    _check_boot_args(reps, level)
    s = downhill_search(table, max_order=max_order, max_iter=max_iter)
    f = _Fitter(table)
    k = f.k
    order = _default_downhill_order(k, max_order)
    nhat = float(s.path.loc[s.path["accepted"], "nhat"].iloc[-1])
    label = s.path.loc[s.path["accepted"], "mse_model"].iloc[-1]
    terms = s.best.model
    yb = _resample(f.y, reps, seed, None if condition_on_n else nhat)
    cur, _, boot_nhat, _, hit, _ = _downhill(f, yb, order, max_iter)
    jy, w = _jackknife_rows(f.y)
    _, _, jack, _, hit_j, _ = _downhill(f, jy, order, max_iter)
    warnings = list(s.warnings)
    if hit.any() or hit_j.any():
        warnings.append(f"{int(hit.sum() + hit_j.sum())} bootstrap/jackknife searches stopped after {max_iter} moves")
    labels = [mse_label(m, k) for m in cur]
    out = _finish("downhill", nhat, label, terms, level, probs, boot_nhat, labels, jack, w, None, order, seed, t0, warnings)
    return replace(out, random_n=not condition_on_n)


def _default_bic_order(k: int, max_order: int | None) -> int:
    if max_order is None:
        return {2: 1, 3: 2, 4: 3, 5: 3}.get(k, 2)
    if not 1 <= max_order <= k - 1:
        raise ValueError(f"max_order must be between 1 and {k - 1} for {k} lists, not {max_order}")
    return max_order


def default_ntop(k: int) -> int | None:
    """MultipleSystemsEstimation's default ``ntopmodels``: all models for 2-3 lists, 20 for 4, 100 for 5-6.

    Parameters
    ----------
    k : int
        Number of lists.

    Returns
    -------
    int or None
        None means every admissible model.
    """
    return None if k <= 3 else (20 if k == 4 else 100)


@single_threaded
def bic_bootstrap(
    table: CompleteTable,
    *,
    ntop: int | None | str = "default",
    max_order: int | None = None,
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    probs: Sequence[float] = MSE_ALPHA,
    condition_on_n: bool = False,
) -> SelectionBootstrap:
    """BCa interval for the BIC-chosen N̂, the BIC choice redone in every replicate.

    The package's ``estimate_population_bic`` (Silverman, Chan & Vincent 2024, Statistics
    and Computing 34:44, secs. 3-4): every hierarchical model with terms up to
    `max_order` is fitted (the models of
    :func:`~darkfigure.loglinear.search.exhaustive_search`, all fitted at once); models that are not admissible (SparseMSE's ``checkident`` fails: no positive table
    with their margins once empty margins are fixed at -inf, or a rank-deficient design)
    are removed, the rest ranked by BIC, and N̂ is the first one's. Each of `reps`
    multinomial resamples of the observed persons refits the `ntop` best models and takes
    the smallest BIC among those admissible for it; the acceleration comes from the same
    choice with one person removed from each observed capture history; BCa endpoints use
    R's quantile type 8. With ``ntop=None`` every admissible model competes (the full
    bootstrap of the BIC choice); the paper shows small `ntop` already gives nearly the
    same interval (Kosovo: ntop 10 and all 113 models both [6,900, 18,000], Table 2).

    Parameters
    ----------
    table : CompleteTable
        Without covariates, at most 6 lists (5 for `max_order` > 2).
    ntop : int, None or "default"
        Models the replicates choose among; ``"default"`` is the package's (all for 3
        lists, 20 for 4, 100 for 5 or 6; :func:`default_ntop`), None all.
    max_order : int, optional
        Highest interaction order (default as the package: 2 for 3 lists, 3 for 4 or 5,
        2 for 6).
    reps : int
        Bootstrap replicates (the package's ``nboot``; 1,000 in the paper).
    seed : int, optional
        Seed of NumPy's generator.
    level : float
        Level of `confidence_interval`.
    probs : sequence of float
        Probabilities of the BCa endpoints in `quantiles` (the package's ``alpha``).
    condition_on_n : bool
        Resample the n observed persons as the package does (n fixed) instead of the
        estimated population (the default, n random; see :func:`downhill_bootstrap`).

    Returns
    -------
    SelectionBootstrap
        ``method="bic"``.

    Raises
    ------
    ValueError
        Covariates, too many lists, `max_order` or `ntop` out of range, `reps` < 2,
        or `level` outside (0, 1).
    RuntimeError
        No admissible model.
    """
    t0 = time.perf_counter()
    _check_boot_args(reps, level)
    f = _Fitter(table)
    k = f.k
    order = _default_bic_order(k, max_order)
    if isinstance(ntop, str):
        if ntop != "default":
            raise ValueError(f"ntop must be a positive integer, None (all models) or 'default', not {ntop!r}")
        ntop = default_ntop(k)
    if ntop is not None and ntop < 1:
        raise ValueError(f"ntop must be at least 1 (got {ntop})")
    if k > 6 or (k == 6 and order > 2):
        raise ValueError(f"the BIC choice enumerates hierarchical models for at most 6 lists (two-list terms for 6); got {k} lists")
    models, n_models, n_checked = _rank_admissible(f, order, ntop)
    if not models:
        raise RuntimeError("no admissible model: every model fails the existence check")
    warnings = []
    models, e0 = _exact_order(f, models)
    nhat = float(e0[0].nhat[0])
    yb = _resample(f.y, reps, seed, None if condition_on_n else nhat)
    jy, w = _jackknife_rows(f.y)
    both = np.vstack([yb, jy])
    bic = np.empty((len(models), both.shape[0]))
    est = np.empty_like(bic)
    for j, m in enumerate(models):
        e = f.evaluate(m, both)
        bic[j], est[j] = e.bic, e.nhat
    fin = np.isfinite(bic)
    pick = np.argmin(np.where(fin, bic, np.inf), axis=0)
    cols = np.arange(both.shape[0])
    chosen_nhat = np.where(fin.any(axis=0), est[pick, cols], np.nan)
    labels = [mse_label(models[i], k) for i in pick[:reps]]
    if ntop is not None and n_checked < n_models:
        warnings.append(f"the replicates choose among the {len(models)} admissible models with the smallest BIC "
                        f"(of {n_models} hierarchical models)")
    out = _finish("bic", nhat, mse_label(models[0], k), _named(models[0], f.lists), level, probs, chosen_nhat[:reps], labels,
                  chosen_nhat[reps:], w, len(models) if ntop is not None else None, order, seed, t0, warnings)
    return replace(out, random_n=not condition_on_n)
