"""Exhaustive search: every hierarchical log-linear model of the lists, ranked by AIC, AICc or BIC.

:func:`exhaustive_search` fits every hierarchical model with two-factor list interactions
(graphs on k <= 6 lists without covariates), or with terms up to order k - 1 for k <= 5 as
Rcapture's ``closedpMS.t`` (Baillargeon & Rivest 2007); :func:`hierarchical_models`
enumerates them. Split out of :mod:`darkfigure.loglinear.search`, which re-exports both names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.special import gammaln

from .._blas import single_threaded
from .design import CompleteTable
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

    def _extend(chosen: list[tuple[int, ...]], prev: set, r: int) -> None:
        # every model with the terms `chosen` of order < r, whose order-(r-1) terms are `prev`
        out.append(chosen)
        if r > max_order:
            return
        allowed = [t for t in combinations(range(k), r) if all(f in prev for f in combinations(t, r - 1))]
        for size in range(1, len(allowed) + 1):
            for pick in combinations(allowed, size):
                _extend(chosen + list(pick), set(pick), r + 1)

    _extend([], {(i,) for i in range(k)}, 2)
    return out


def _batch_poisson(
    x: np.ndarray,
    y: np.ndarray,
    cols: np.ndarray,
    cells: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 60,
    chunk: int = 4096,
    glm: bool = False,
    mu0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Poisson log-linear fits of many models on one table at once (Newton/IRLS, vectorised).

    Model m uses the columns ``cols[m]`` of `x` on the cells ``cells[m]``; its design must
    have full rank there (checked beforehand). Each fit starts as R's glm (mu = y + 0.1)
    and stops when the relative change of deviance is below `tol` (McCullagh & Nelder
    1989, sec. 2.5); a step that raises the deviance is halved. With ``glm=True`` it is
    R's ``glm.fit`` instead (no halving; the information of the bias is from the weights
    of the last iteration, as ``vcov``), for models whose MLE does not exist, where R's
    numbers depend on where its iteration stops.
    Also returns the asymptotic bias of N̂ that Rcapture reports (``closedp.fitone``):
    0.5·exp(b0)·v_0 with v = -I⁻¹ψ, ψ = -2 Xᵀ(μ ⊙ ξ) - e_0, ξ_c = -0.5 x_cᵀ I⁻¹ x_c and
    I = XᵀWX the Fisher information: the second-order bias of the GLM coefficients
    (Cordeiro & McCullagh 1991, JRSS B 53:629-643) carried to exp(b0).

    Parameters
    ----------
    x : ndarray of shape (C, P)
    y : ndarray of shape (C,)
    cols : ndarray of bool, shape (M, P)
    cells : ndarray of bool, shape (M, C)
    tol, max_iter : float, int
    chunk : int
        Models per block (memory ~ chunk · C · P · 8 bytes).
    glm : bool
        Emulate R's ``glm.fit`` (use with ``tol=1e-8, max_iter=200`` as Rcapture).
    mu0 : ndarray of shape (M, C), optional
        Starting fitted values (positive on each model's cells; rows of NaN: glm's start), e.g. a
        fit of the model on more cells heading to the same MLE. Not with ``glm=True``.

    Returns
    -------
    beta : ndarray of shape (M, P)
        0 outside each model's columns.
    mu : ndarray of shape (M, C)
        0 outside each model's cells.
    deviance : ndarray of shape (M,)
    converged : ndarray of bool, shape (M,)
    bias : ndarray of shape (M,)
        Rcapture's asymptotic bias of N̂.
    interior : ndarray of bool, shape (M,)
        The MLE provably exists (a cheap certificate, as
        :func:`.existence.interior_certificate`): one more Newton step s from the converged
        fit gives mu' = mu (1 + X s) with the observed margins, positive when every cell's
        X s > -0.5 (Haberman 1974, Thm 2.3). Cells fitted below 1e-10 n are not certified.
    """
    n_models, p = cols.shape
    out = (np.zeros((n_models, p)), np.zeros((n_models, x.shape[0])), np.zeros(n_models),
           np.zeros(n_models, dtype=bool), np.zeros(n_models), np.zeros(n_models, dtype=bool))
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    n_obs = max(float(y.sum()), 1.0)

    def deviance(mu, keep):
        """Poisson deviance of a batch of fits."""
        with np.errstate(divide="ignore"):  # a fitted value underflowed to 0: y log(mu) is 0 for y = 0, -inf else
            lm = np.log(np.where(keep > 0, mu, 1.0))
        return 2.0 * np.sum(keep * (ylogy - np.where(y > 0, y * lm, 0.0) - (y - mu)), axis=1)

    def information(mu, xm):
        """Fisher information X'WX of a batch of fits (each on its own columns)."""
        return np.matmul((xm * mu[:, :, None]).transpose(0, 2, 1), xm)

    def times(xm, v):
        """X b for every fit of a batch: (m, C, r) x (m, r) -> (m, C)."""
        return np.matmul(xm, v[:, :, None])[:, :, 0]

    def t_times(xm, v):
        """X'v for every fit of a batch: (m, C, r) x (m, C) -> (m, r)."""
        return np.matmul(v[:, None, :], xm)[:, 0, :]

    # models are fitted in blocks of equal column count on their own columns (compact
    # systems: r x r instead of P x P with identity padding)
    ncol = cols.sum(axis=1)
    for r in np.unique(ncol):
        grp = np.flatnonzero(ncol == r)
        for lo in range(0, grp.size, chunk):
            ids = grp[lo: lo + chunk]
            m = ids.size
            idx = np.nonzero(cols[ids])[1].reshape(m, r)  # each model's columns, intercept first
            xm = np.ascontiguousarray(x[:, idx].transpose(1, 0, 2))  # (m, C, r)
            keep = cells[ids].astype(float)
            mu = (y + 0.1)[None, :] * keep
            if mu0 is not None:
                start = mu0[ids]
                warm = np.all(np.isfinite(start), axis=1)
                mu[warm] = np.maximum(start[warm], 1e-300) * keep[warm]
            eta = np.log(np.where(keep > 0, mu, 1.0))
            dev = deviance(mu, keep)
            beta = np.zeros((m, r))
            conv = np.zeros(m, dtype=bool)
            active = np.arange(m)
            last_info = information(mu, xm) if glm else None
            for it in range(max_iter):
                if active.size == 0:
                    break
                ka, mua, xa = keep[active], mu[active], xm[active]
                z = eta[active] + ka * (y - mua) / np.where(mua > 0, mua, 1.0)
                info = information(mua, xa)
                if glm:
                    last_info[active] = info
                bnew = _solve_batch(info, t_times(xa, mua * z))
                lin = times(xa, bnew)
                mun = np.exp(np.minimum(lin, 700.0)) * ka
                devn = deviance(mun, ka)
                bad = (devn > dev[active] * (1 + 1e-12) + 1e-12) & (it > 0) & (not glm)
                for _ in range(30):  # step-halving (rarely needed from glm's start)
                    if not bad.any():
                        break
                    bnew[bad] = 0.5 * (bnew[bad] + beta[active[bad]])
                    lin[bad] = times(xa[bad], bnew[bad])
                    mun[bad] = np.exp(np.minimum(lin[bad], 700.0)) * ka[bad]
                    devn[bad] = deviance(mun[bad], ka[bad])
                    bad = devn > dev[active] * (1 + 1e-12) + 1e-12
                change = np.abs(devn - dev[active]) / (np.abs(devn) + 0.1)
                beta[active], mu[active], dev[active] = bnew, mun, devn
                eta[active] = np.where(ka > 0, lin, 0.0)
                done = (change < tol) & (it > 0)
                conv[active[done]] = True
                active = active[~done]
            # Rcapture's asymptotic bias at the fit. With glm=True the caller discards the fits where
            # glm warns (no convergence, fitted values below 10 eps): no inverse is computed for them
            need = np.ones(m, dtype=bool)
            if glm:
                need = conv & (np.where(keep > 0, mu, np.inf).min(axis=1) >= 10 * np.finfo(float).eps)
            inv = np.full((m, r, r), np.nan)
            inv[need] = _inverse(last_info[need] if glm else information(mu, xm))
            xi = -0.5 * np.sum(np.matmul(xm, inv) * xm, axis=2)  # x_c' I^-1 x_c for every cell
            psi = -2.0 * t_times(xm, mu * xi)
            psi[:, 0] -= 1.0
            v0 = -np.einsum("mq,mq->m", inv[:, 0, :], psi)
            bias = 0.5 * np.exp(beta[:, 0]) * v0
            # interior certificate: the Newton step from the fit keeps every kept cell positive
            step = np.matmul(inv, t_times(xm, (y - mu) * keep)[:, :, None])[:, :, 0]
            d = np.where(keep > 0, times(xm, step), np.inf)
            tiny = np.where(keep > 0, mu, np.inf).min(axis=1) <= 1e-10 * n_obs
            interior = conv & ~tiny & (d.min(axis=1) > -0.5) & np.all(np.isfinite(step), axis=1)
            full = np.zeros((m, p))
            np.put_along_axis(full, idx, beta, axis=1)
            for o, v in zip(out, (full, mu, dev, conv, bias, interior)):
                o[ids] = v
    return out


def _inverse(a: np.ndarray) -> np.ndarray:
    """``np.linalg.pinv(a, hermitian=True)`` of a batch of symmetric matrices (M, P, P), by LU where that
    is as good (condition number below 1e8, bounded by P·max|a|·max|a⁻¹|: far from pinv's cut-off at
    1/(P eps), so the two agree to about 1e-8 relative) and by the eigen-decomposition for the rest
    (fits near the boundary, whose tiny eigenvalues pinv truncates)."""
    out = np.empty_like(a)
    if a.shape[0] == 0:
        return out
    eye = np.eye(a.shape[1])
    try:
        inv = np.linalg.inv(a)
        cond = a.shape[1] * np.abs(a).max(axis=(1, 2)) * np.abs(inv).max(axis=(1, 2))
        res = np.abs(np.matmul(a, inv) - eye).max(axis=(1, 2))
        good = np.isfinite(cond) & (cond < 1e8) & (res < 1e-10)
    except np.linalg.LinAlgError:
        inv, good = None, np.zeros(a.shape[0], dtype=bool)
    if inv is not None:
        out[good] = inv[good]
    if not good.all():
        out[~good] = np.linalg.pinv(a[~good], hermitian=True)
    return out


def _solve_batch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve a[m] z = b[m] for every m, shapes (M, P, P) and (M, P); least squares for the
    (numerically) singular systems of fits heading to the boundary."""
    try:
        return np.linalg.solve(a, b[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        if a.shape[0] > 8:
            # find the singular systems by halving the batch (the same LU per system, so a fit's
            # steps do not depend on its batch), not by solving every system one by one
            h = a.shape[0] // 2
            return np.concatenate([_solve_batch(a[:h], b[:h]), _solve_batch(a[h:], b[h:])])
        out = np.empty_like(b)
        for i, (ai, bi) in enumerate(zip(a, b)):
            try:
                out[i] = np.linalg.solve(ai, bi)
            except np.linalg.LinAlgError:
                out[i] = np.linalg.lstsq(ai, bi, rcond=1e-13)[0]
        return out


def _full_rank(x: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Whether ``x[:, cols[m]]`` has full column rank, for every m: ``np.linalg.matrix_rank``'s test
    (singular values above ``S.max() * max(shape) * eps``), with the SVDs batched by column count.

    x : ndarray of shape (C, P); cols : ndarray of bool, shape (M, P). Returns bool, shape (M,).
    """
    out = np.zeros(cols.shape[0], dtype=bool)
    ncol = cols.sum(axis=1)
    for r in np.unique(ncol):
        grp = np.flatnonzero(ncol == r)
        if r > x.shape[0]:
            continue
        idx = np.nonzero(cols[grp])[1].reshape(grp.size, r)
        sv = np.linalg.svd(x[:, idx].transpose(1, 0, 2), compute_uv=False)  # (m, r)
        tol = sv.max(axis=1, keepdims=True) * max(x.shape[0], int(r)) * np.finfo(sv.dtype).eps
        out[grp] = (sv > tol).sum(axis=1) >= r
    return out


def _boundary_batch(
    x: np.ndarray, y: np.ndarray, cols: np.ndarray, cells: np.ndarray, mu: np.ndarray, *, tiny: float = 1e-6
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Extended MLEs of many full-rank models whose MLE does not exist, with their facial sets proved.

    The facial set F of a model (Fienberg & Rinaldo 2012) is guessed from a fit heading to the
    boundary (`mu`): its cells fitted below ``tiny`` with y = 0 (and the cells already removed)
    are taken to lie outside. The guess is proved in two halves, as :func:`.existence.check_existence`
    would find it by its repeated LPs: (1) one feasibility LP finds a direction of recession d = Xb
    with d = 0 on the positive cells, d <= 0 on the zero cells of F and d <= -1 on every guessed
    outside cell, so no guessed cell is in F; (2) the fit on F with its non-vanishing columns
    converges with full column rank and the interior certificate of :func:`_batch_poisson`
    (Haberman 1974), so no direction of recession touches F and F is the whole facial set.
    When the unobserved cell's row (the intercept's, e_0) lies in the row space of the design on F,
    N̂ = n + exp(b0) is identified; when not, one more LP asks whether a direction of recession sends
    that cell up (N not identified, NaN) or else down (fitted as 0, N̂ = n), as ``check_existence``.

    Parameters
    ----------
    x : ndarray of shape (C, P)
        Design of the largest model over the observable cells.
    y : ndarray of shape (C,)
    cols, cells : ndarray of bool, shapes (M, P) and (M, C)
        Each model's columns and the cells left after its empty overlaps.
    mu : ndarray of shape (M, C)
        The batch fits of the models (heading to the boundary).
    tiny : float
        Fitted values below which a zero cell is guessed outside the facial set.

    Returns
    -------
    proved : ndarray of bool, shape (M,)
        Facial set proved (and the unobserved cell classified); the other outputs hold for these only
        (the rest go through :func:`fit_model`).
    deviance, loglik, hidden : ndarray of shape (M,)
        Deviance and log-likelihood of the extended MLE; the fitted unobserved cell (exp(b0), 0, or
        NaN when it is not identified).
    df_residual : ndarray of int, shape (M,)
        Cells of F minus the rank of the design on F (glm on the reduced table).
    """
    from ._lp import solve_lp

    m = cols.shape[0]
    zero = y == 0
    face = cells & ~(zero[None, :] & (mu < tiny))
    fcols = cols & ((face.astype(float) @ (x != 0)) > 0)
    proved = np.zeros(m, dtype=bool)
    if m == 0:
        return proved, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    # a basis of the design on F (columns aliased there dropped, as glm), and whether the unobserved
    # cell's row e_0 is in its row space: rank of [X_F; e_0] equals rank of X_F
    icols = _independent_batch(x, fcols, face)
    e0 = np.zeros((1, x.shape[1]))
    e0[0, 0] = 1.0
    in_row = _ranks(np.vstack([x, e0]), fcols, np.hstack([face, np.ones((m, 1), dtype=bool)])) == icols.sum(axis=1)
    fit = _batch_poisson(x, y, icols, face)
    up = np.zeros(m, dtype=bool)
    pos = ~zero
    # directions of recession found so far (full coordinates, 0 outside their model's columns): one whose
    # columns are among model i's and that meets model i's conditions proves its outside set with no LP
    # (the LPs' solutions meet their constraints to HiGHS's feasibility tolerance, 1e-7)
    dirs: list[np.ndarray] = []
    d_of = np.zeros((x.shape[0], 0))
    for i in sorted(np.flatnonzero(fit[3] & fit[5]), key=lambda j: int(cols[j].sum())):
        out = ~face[i]
        zin = zero & face[i]
        within = ~np.any(np.stack(dirs)[:, ~cols[i]] != 0, axis=1) if dirs else np.zeros(0, dtype=bool)
        meets = (within & np.all(np.abs(d_of[pos]) <= 1e-7, axis=0) & np.all(d_of[zin] <= 1e-7, axis=0)
                 & np.all(d_of[out] <= -1 + 1e-7, axis=0))
        if not meets.any():
            xi = x[:, cols[i]]
            res = solve_lp(np.zeros(xi.shape[1]), np.vstack([xi[zin], xi[out]]),
                           np.concatenate([np.zeros(int(zin.sum())), -np.ones(int(out.sum()))]), xi[pos],
                           np.zeros(int(pos.sum())), lb=None, ub=None)
            if res.status != 0:
                continue
            b = np.zeros(x.shape[1])
            b[cols[i]] = res.x
            dirs.append(b)
            d_of = np.column_stack([d_of, x @ b])
        proved[i] = True
    # can a direction of recession send the unobserved cell up? (max e_0.b with -1 <= d <= 0 on the zero
    # cells and e_0.b <= 1: the optimum is 0 or 1, a cone). If not, every direction of recession inside the
    # facial set's null space sends it down (the cone is full-dimensional there and e_0 is not orthogonal
    # to it): check_existence's "zero", N̂ = n; else "infinite", not identified. Recession cones grow with
    # the columns: no way up for a model means none for its sub-models (largest models first)
    no_up: list[np.ndarray] = []
    for i in sorted(np.flatnonzero(proved & ~in_row), key=lambda j: -int(cols[j].sum())):
        if any(np.all(cols[i] <= c) for c in no_up):
            continue
        xi = x[:, cols[i]]
        c = np.zeros(xi.shape[1])
        c[0] = -1.0
        res = solve_lp(c, np.vstack([xi[zero], -xi[zero], -c[None, :]]),
                       np.concatenate([np.zeros(int(zero.sum())), np.ones(int(zero.sum())), [1.0]]),
                       xi[pos], np.zeros(int(pos.sum())), lb=None, ub=None)
        if res.status != 0 or not (res.fun > -1e-6 or res.fun < -1 + 1e-6):
            proved[i] = False
            continue
        up[i] = res.fun < -0.5
        if not up[i]:
            no_up.append(cols[i])
    lgy = gammaln(y + 1)
    with np.errstate(divide="ignore"):
        ll = np.sum(np.where(fit[1] > 0, y * np.log(np.where(fit[1] > 0, fit[1], 1.0)), 0.0) - fit[1] - lgy, axis=1)
    hid = np.where(in_row, np.exp(fit[0][:, 0]), np.where(up, np.nan, 0.0))
    df = face.sum(axis=1) - icols.sum(axis=1)
    return proved, fit[2], ll, hid, df


def _ranks(x: np.ndarray, cols: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Rank of ``x[cells[m]][:, cols[m]]`` for every m (``np.linalg.matrix_rank``'s tolerance), the SVDs
    batched by column count. x : (C, P); cols : bool (M, P); cells : bool (M, C). Returns int (M,)."""
    out = np.zeros(cols.shape[0], dtype=int)
    ncol = cols.sum(axis=1)
    for r in np.unique(ncol):
        grp = np.flatnonzero(ncol == r)
        idx = np.nonzero(cols[grp])[1].reshape(grp.size, r)
        xm = x[:, idx].transpose(1, 0, 2) * cells[grp][:, :, None]  # rows outside a model's cells zeroed
        sv = np.linalg.svd(xm, compute_uv=False)
        tol = sv.max(axis=1, keepdims=True) * max(x.shape[0], int(r)) * np.finfo(sv.dtype).eps
        out[grp] = (sv > tol).sum(axis=1)
    return out


def _independent_batch(x: np.ndarray, cols: np.ndarray, cells: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """A maximal independent subset of each model's columns on its cells, earlier columns kept (as glm).

    Batched Gram-Schmidt (twice, for orthogonality) over the columns in order: column j is kept
    when its distance to the span of the kept ones exceeds `tol` times its norm.
    x : (C, P); cols : bool (M, P); cells : bool (M, C). Returns bool (M, P), a subset of `cols`.
    """
    m, p = cols.shape
    q = np.zeros((m, x.shape[0], p))
    keep = np.zeros((m, p), dtype=bool)
    cf = cells.astype(float)
    for j in range(p):
        v = cf * x[:, j][None, :]
        ref = np.sqrt(np.einsum("mc,mc->m", v, v))
        for _ in range(2):
            v = v - np.einsum("mck,mk->mc", q, np.einsum("mck,mc->mk", q, v))
        nrm = np.sqrt(np.einsum("mc,mc->m", v, v))
        kj = cols[:, j] & (nrm > tol * np.maximum(ref, 1e-300))
        q[kj, :, j] = v[kj] / nrm[kj, None]
        keep[:, j] = kj
    return keep


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
    full-rank model is first fitted at once by a vectorised Newton iteration (blocks of
    equal column count, each model on its own columns); a converged fit with an interior
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
        full_rank = _full_rank(x[cells[members[0]]], nonzero[members])  # the group's models share their cells
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
    fr_fit = _batch_poisson(x, y, nonzero[fr], cells[fr], mu0=mu0[fr])
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
