"""Extended MLEs of many models whose MLE does not exist, with their facial sets proved (exhaustive search).

Split out of :mod:`darkfigure.loglinear.exhaustive`: :func:`_boundary_batch` and its batched rank helpers.
"""

from __future__ import annotations

import numpy as np

from .._special import gammaln
from .exhaustive_fit import _batch_poisson


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
    fit = _batch_poisson(x, y, icols, face, bias=np.zeros(m, dtype=bool))  # its bias is not used
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
