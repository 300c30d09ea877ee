"""Batched IRLS: one log-linear model refitted to many count vectors at once (bootstrap replicates).

:func:`irls_poisson_batch` takes the same Newton steps as :func:`darkfigure.loglinear.fit.irls_poisson`
for all rows together (X'WX of every row by one matrix product, :class:`GramProducts`);
:func:`interior_certificate_batch` proves the converged fits interior. Used by
:mod:`darkfigure.loglinear.batch_refit`. Its own module so that :mod:`darkfigure.loglinear.fit` keeps to
the single fit; every name is still importable from there.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GramProducts", "interior_certificate_batch", "irls_poisson_batch"]


class GramProducts:
    """X'WX of one design for many weight vectors at once, as one matrix product.

    X'diag(w)X = sum_c w_c x_c x_c', so with Z the (C, q) matrix of the distinct products
    x_cj x_ck (j <= k) of the columns, the information of B fits is ``(W @ Z)`` scattered
    into (B, P, P): one GEMM instead of B small ones. Products of 0/1 columns of a
    hierarchical model repeat (A * A:B = A:B), so the distinct ones are far fewer than
    P(P+1)/2 (442 of 1,128 for the simdat model).

    Parameters
    ----------
    x : ndarray of shape (C, P)
    """

    def __init__(self, x: np.ndarray):
        c, p = x.shape
        iu, ju = np.triu_indices(p)
        xt = np.ascontiguousarray(x.T)
        zt = xt[iu] * xt[ju]  # (P(P+1)/2, C): the products formed in this layout (no transposed copy)
        first: dict[bytes, int] = {}
        inv = np.array([first.setdefault(r.tobytes(), len(first)) for r in zt], dtype=np.int64)
        keep = np.unique(inv, return_index=True)[1]  # the first column of each distinct product
        self.z = np.ascontiguousarray(zt[keep].T)  # (C, q)
        full = np.empty((p, p), dtype=np.int64)
        full[iu, ju] = inv
        full[ju, iu] = inv
        self.index = full.ravel()
        self.p = p

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """X'diag(w_b)X for every row of `w` (B, C): shape (B, P, P)."""
        return (w @ self.z)[:, self.index].reshape(w.shape[0], self.p, self.p)


def _deviance_rows(y: np.ndarray, ylogy: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson deviance of each row of `mu` (B, C) against counts `y` (B, C), as :func:`_deviance`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, ylogy - y * np.log(mu), 0.0)
    return 2.0 * np.sum(t - (y - mu), axis=1)


class _PositiveCells:
    """The cells with a positive count of the rows of `y` still iterating, for :func:`_deviance_sparse`.

    Bootstrap replicates are sparse (about 15% of simdat's cells hold a person): the logarithms of the
    deviance are taken on those cells only. Built once per batch; :meth:`of` re-indexes them for a subset of
    rows (the rows not yet converged) in a few vector operations.
    """

    def __init__(self, y: np.ndarray, ylogy: np.ndarray):
        self.n_cols = y.shape[1]
        self.rows, self.cols = np.nonzero(y)
        self.y = y[self.rows, self.cols]
        self.ylogy = ylogy[self.rows, self.cols]
        self._key: int | None = None

    def of(self, active: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(flat positions in the (len(active), C) array of those rows, their y, their y log y)."""
        if self._key != active.size:  # rows only ever leave `active`: its size identifies it
            where = np.full(n_rows, -1, dtype=np.int64)
            where[active] = np.arange(active.size)
            r = where[self.rows]
            keep = r >= 0
            self._cur = (r[keep] * self.n_cols + self.cols[keep], self.y[keep], self.ylogy[keep])
            self._key = active.size
        return self._cur


def _deviance_sparse(mu: np.ndarray, pos: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """:func:`_deviance_rows` with logarithms on the positive cells only (`pos` from :class:`_PositiveCells`).

    Bit for bit the same numbers: a cell with y = 0 contributes 0 - (0 - mu) = mu exactly, and the terms are
    summed over the same (B, C) layout in the same order.
    """
    idx, yp, ylp = pos
    t = mu.copy()
    flat = t.reshape(-1)
    m = flat[idx]
    v = ylp - yp * np.log(m)
    v -= yp - m
    flat[idx] = v
    return 2.0 * np.sum(t, axis=1)


def _solve_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve a[i] z = b[i] for every i (shapes (B, P, P), (B, P)); least squares where singular."""
    try:
        return np.linalg.solve(a, b[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        out = np.empty_like(b)
        for i in range(len(b)):
            try:
                out[i] = np.linalg.solve(a[i], b[i])
            except np.linalg.LinAlgError:
                out[i] = np.linalg.lstsq(a[i], b[i], rcond=1e-13)[0]
        return out


def irls_poisson_batch(
    x: np.ndarray,
    y: np.ndarray,
    mu_start: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    gram: GramProducts | None = None,
    n_iter: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`irls_poisson` for many count vectors on one full-rank design, vectorised over them.

    The same iteration as :func:`irls_poisson` for each row of `y` (Newton on the canonical
    link from `mu_start`, step-halving when the deviance rises, stop when the relative
    change of deviance is below `tol`; McCullagh & Nelder 1989, sec. 2.5), each row on its
    own: rows stop as they converge, and a row's numbers do not depend on the others'. The
    information matrices of all rows come from one matrix product (:class:`GramProducts`).
    Bootstrap replicates of one model are fitted this way (Efron & Tibshirani 1993, ch. 6).

    Parameters
    ----------
    x : ndarray of shape (C, P)
        Design of full column rank over the cells.
    y : ndarray of shape (B, C)
        Counts, one row per fit.
    mu_start : ndarray of shape (C,) or (B, C)
        Starting fitted values (e.g. the original fit for every replicate).
    tol, max_iter : float, int
        As :func:`irls_poisson`.
    gram : GramProducts, optional
        Of `x`, when already built.
    n_iter : ndarray of int, shape (B,), optional
        Filled with the Newton iterations each row took (callers that distrust long iterations).

    Returns
    -------
    beta : ndarray of shape (B, P)
    mu : ndarray of shape (B, C)
    deviance : ndarray of shape (B,)
    converged : ndarray of bool, shape (B,)
        False also for rows whose iteration broke down (non-finite values).
    """
    nb, c = y.shape
    p = x.shape[1]
    gram = gram or GramProducts(x)
    mu = np.maximum(np.broadcast_to(np.asarray(mu_start, dtype=float), (nb, c)), 1e-10)
    eta = np.log(mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    positive = _PositiveCells(y, ylogy)
    dev = _deviance_sparse(mu, positive.of(np.arange(nb), nb))
    beta = np.zeros((nb, p))
    conv = np.zeros(nb, dtype=bool)
    active = np.arange(nb)
    # the rows still iterating, compacted: counts, fitted values, linear predictors, coefficients, deviances
    # (written back to the full arrays only as rows stop: no gather and scatter of every array at every step)
    ya, ma, ea, ba, da = y, mu, eta, beta, dev
    for it in range(max_iter):
        if active.size == 0:
            break
        z = ma * ea  # X'W z with z = eta + (y - mu) / mu: (mu * eta + y - mu) @ X, in place
        z += ya
        z -= ma
        bnew = _solve_rows(gram(ma), z @ x)
        eta_new = bnew @ x.T
        with np.errstate(over="ignore", invalid="ignore"):
            mu_new = np.clip(eta_new, -700.0, 700.0)
            np.exp(mu_new, out=mu_new)
            dev_new = _deviance_sparse(mu_new, positive.of(active, nb))
            if it > 0:
                bad = ~np.isfinite(dev_new) | (dev_new > da * (1 + 1e-12) + 1e-12)
                for _ in range(30):  # step-halving, row by row as irls_poisson
                    if not bad.any():
                        break
                    bnew[bad] = 0.5 * (bnew[bad] + ba[bad])
                    eta_new[bad] = bnew[bad] @ x.T
                    mu_new[bad] = np.exp(np.clip(eta_new[bad], -700.0, 700.0))
                    rows = active[bad]
                    dev_new[bad] = _deviance_rows(y[rows], ylogy[rows], mu_new[bad])
                    bad &= ~np.isfinite(dev_new) | (dev_new > da * (1 + 1e-12) + 1e-12)
            change = np.abs(dev_new - da) / (np.abs(dev_new) + 0.1)
        done = (change < tol) & (it > 0)
        broken = ~np.isfinite(dev_new) | ~np.isfinite(bnew).all(axis=1)
        conv[active[done & ~broken]] = True
        if n_iter is not None:
            n_iter[active] = it + 1
        stay = ~done & ~broken
        if stay.all():
            ma, ea, ba, da = mu_new, eta_new, bnew, dev_new
            continue
        leave = ~stay
        rows = active[leave]
        beta[rows], mu[rows], dev[rows] = bnew[leave], mu_new[leave], dev_new[leave]
        active = active[stay]
        ya, ma, ea, ba, da = ya[stay], mu_new[stay], eta_new[stay], bnew[stay], dev_new[stay]
    if active.size:  # max_iter reached: the last iterates
        beta[active], mu[active], dev[active] = ba, ma, da
    return beta, mu, dev, conv


def interior_certificate_batch(
    x: np.ndarray, y: np.ndarray, mu: np.ndarray, *, gram: GramProducts | None = None, margin: float = 0.49
) -> np.ndarray:
    """:func:`.existence.interior_certificate` for many fits of one full-rank design, cautiously.

    One Newton step s_b from each fit, X'W_bX s_b = X'(y_b - mu_b), solved by the normal
    equations for all rows at once; row b is certified (its MLE exists: Haberman 1974,
    Thm 2.3) when every cell's X s_b exceeds -`margin`. The margin is a little stricter than
    the single-fit test's 0.5, so that the normal equations' rounding cannot certify a fit the
    QR-based test would not (on 1,000 simdat replicates, with fitted values down to 1e-15, the
    two steps' X s differ by at most 4e-7); as there, fits with a cell below 1e-14 n are not
    certified. Rows not certified go to the exact test.

    Parameters
    ----------
    x : ndarray of shape (C, P)
    y, mu : ndarray of shape (B, C)
    gram : GramProducts, optional
    margin : float

    Returns
    -------
    ndarray of bool, shape (B,)
    """
    gram = gram or GramProducts(x)
    n_obs = np.maximum(y.sum(axis=1), 1.0)
    ok = np.isfinite(mu).all(axis=1) & (mu.min(axis=1, initial=np.inf) > 1e-14 * n_obs)
    out = np.zeros(len(y), dtype=bool)
    idx = np.flatnonzero(ok)
    if idx.size:
        with np.errstate(over="ignore", invalid="ignore"):
            step = _solve_rows(gram(mu[idx]), (y[idx] - mu[idx]) @ x)
            d = step @ x.T
            out[idx] = np.isfinite(d).all(axis=1) & (d.min(axis=1) > -margin)
    return out
