"""The admissible hierarchical log-linear models of MultipleSystemsEstimation, fitted in batches.

The model space of :mod:`darkfigure.loglinear.downhill` and
:mod:`darkfigure.loglinear.selection_bootstrap` (Silverman, Chan & Vincent 2024,
Statistics and Computing 34:44): hierarchical models as sets of generators over the
lists (:func:`neighbours`, :func:`mse_label`), their Poisson fits with every parameter
whose margin is empty fixed at -inf (vectorised over replicates and over models:
:class:`_Fitter`), admissibility by the Fienberg & Rinaldo (2012) linear program, and
the BIC ranking of every admissible model (:func:`rank_models`). The module docstring
of :mod:`darkfigure.loglinear.downhill` says what a fit means and where it differs
from the package.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from itertools import combinations
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .._special import gammaln
from .design import CompleteTable
from .fit import irls_poisson
from .sparse import _lp_positive_margin
from .terms import LogLinearModel

__all__ = ["neighbours", "mse_label", "rank_models", "default_ntop"]


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
