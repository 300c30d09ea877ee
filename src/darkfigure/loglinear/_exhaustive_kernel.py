"""The Newton/IRLS loop of :func:`.exhaustive_fit._batch_poisson`, compiled with numba (``cache=True``).

One model at a time, each on its own columns and cells: the loop that NumPy ran over blocks of
models costs ~25 array calls per iteration, which for the ~20-column systems of the exhaustive
search (5 lists, 6,893 models, ~113,000 model-iterations of R's glm emulation) was most of the
time. Imported only when a batch is fitted, so numba is not loaded by other commands.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _deviance(mu, ka, y, ylogy):  # pragma: no cover - compiled
    """Poisson deviance of one fit on its kept cells (ka = 1); a fitted value 0 on a cell with y > 0: inf."""
    s = 0.0
    for c in range(mu.size):
        if ka[c] > 0:
            t = ylogy[c] - (y[c] - mu[c])
            if y[c] > 0:
                t -= y[c] * np.log(mu[c])
            s += ka[c] * t
    return 2.0 * s


@njit(cache=True)
def _information(xm, mu):  # pragma: no cover - compiled
    """Fisher information X'WX (W = diag(mu)) of one fit: (C, r), (C,) -> (r, r)."""
    xw = xm * mu.reshape(-1, 1)
    return np.dot(xw.T, xm)


@njit(cache=True)
def _up_sums(v, cm, size, k):  # pragma: no cover - compiled
    """s[T] = sum of v over the cells whose lists include T, for every T (superset-sum transform).

    v : (C,) values on the cells; cm : (C,) int, each cell's lists as a bit mask; size = 2^k."""
    s = np.zeros(size)
    for c in range(v.size):
        s[cm[c]] += v[c]
    for i in range(k):
        bit = 1 << i
        for t in range(size):
            if not t & bit:
                s[t] += s[t | bit]
    return s


@njit(cache=True)
def _lattice_info(tm, cm, mu, size, k):  # pragma: no cover - compiled
    """X'WX of a 0/1 design whose column a is the indicator that a cell's lists include the term tm[a]:
    entry (a, b) is the sum of mu over the cells including tm[a] | tm[b]."""
    s = _up_sums(mu, cm, size, k)
    r = tm.size
    out = np.empty((r, r))
    for a in range(r):
        for b in range(a, r):
            out[a, b] = s[tm[a] | tm[b]]
            out[b, a] = out[a, b]
    return out


@njit(cache=True)
def _lattice_times(tm, cm, beta, size, k):  # pragma: no cover - compiled
    """X beta for the same design: cell c gets the sum of beta over the terms its lists include."""
    s = np.zeros(size)
    for a in range(tm.size):
        s[tm[a]] += beta[a]
    for i in range(k):
        bit = 1 << i
        for t in range(size):
            if t & bit:
                s[t] += s[t ^ bit]
    out = np.empty(cm.size)
    for c in range(cm.size):
        out[c] = s[cm[c]]
    return out


@njit(cache=True)
def _solve(a, b):  # pragma: no cover - compiled
    """a z = b for a symmetric positive semi-definite `a` (an information matrix): by Cholesky (a third of
    LU's work, no LAPACK call overhead on these ~20 x 20 systems); by LU (LAPACK gesv, as ``np.linalg.solve``)
    when a pivot is not positive, least squares (rcond 1e-13) when `a` is exactly singular; NaN for a
    system with a non-finite entry."""
    n = b.size
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return np.full(n, np.nan)
    low = np.zeros((n, n))
    ok = True
    for j in range(n):
        d = a[j, j]
        for q in range(j):
            d -= low[j, q] * low[j, q]
        if not d > 0.0:
            ok = False
            break
        d = np.sqrt(d)
        low[j, j] = d
        for i in range(j + 1, n):
            v = a[i, j]
            for q in range(j):
                v -= low[i, q] * low[j, q]
            low[i, j] = v / d
    if ok:
        z = np.empty(n)
        for i in range(n):
            v = b[i]
            for q in range(i):
                v -= low[i, q] * z[q]
            z[i] = v / low[i, i]
        for i in range(n - 1, -1, -1):
            v = z[i]
            for q in range(i + 1, n):
                v -= low[q, i] * z[q]
            z[i] = v / low[i, i]
        return z
    try:
        return np.linalg.solve(a, b)
    except Exception:  # singular to machine precision
        return np.linalg.lstsq(a, b, 1e-13)[0]


@njit(cache=True)
def _fit_one(xm, tm, cm, k, y, ylogy, ka, mu_start, glm, tol, max_iter):  # pragma: no cover - compiled
    """One model's Newton/IRLS fit from `mu_start`: beta (r,), mu (C,), deviance, converged, information.

    With k > 0 the design is the 0/1 lattice one (column a: the cell's lists include the term with bit
    mask tm[a]; cm: each cell's mask) and X'WX, X'v and X b are sums over the 2^k subsets of the lists
    (k 2^(k-1) additions each) instead of products with the (C, r) matrix `xm` (unused then)."""
    n_cells, r = cm.size, tm.size
    size = 1 << k
    mu = mu_start.copy()
    eta = np.zeros(n_cells)
    for c in range(n_cells):
        if ka[c] > 0:
            eta[c] = np.log(mu[c])
    dev = _deviance(mu, ka, y, ylogy)
    beta = np.zeros(r)
    info = _lattice_info(tm, cm, mu, size, k) if k > 0 else _information(xm, mu)
    conv = False
    wz = np.empty(n_cells)
    for it in range(max_iter):
        for c in range(n_cells):
            z = eta[c] + ka[c] * (y[c] - mu[c]) / (mu[c] if mu[c] > 0 else 1.0)
            wz[c] = mu[c] * z
        if k > 0:
            info = _lattice_info(tm, cm, mu, size, k)
            sw = _up_sums(wz, cm, size, k)
            rhs = np.empty(r)
            for a in range(r):
                rhs[a] = sw[tm[a]]
        else:
            info = _information(xm, mu)
            rhs = np.dot(wz, xm)
        bnew = _solve(info, rhs)
        lin = _lattice_times(tm, cm, bnew, size, k) if k > 0 else np.dot(xm, bnew)
        mun = np.exp(np.minimum(lin, 700.0)) * ka
        devn = _deviance(mun, ka, y, ylogy)
        if not glm and it > 0:
            for _ in range(30):  # step-halving (rarely needed from glm's start)
                if not devn > dev * (1 + 1e-12) + 1e-12:
                    break
                bnew = 0.5 * (bnew + beta)
                lin = _lattice_times(tm, cm, bnew, size, k) if k > 0 else np.dot(xm, bnew)
                mun = np.exp(np.minimum(lin, 700.0)) * ka
                devn = _deviance(mun, ka, y, ylogy)
        change = abs(devn - dev) / (abs(devn) + 0.1)
        beta, mu, dev = bnew, mun, devn
        for c in range(n_cells):
            eta[c] = lin[c] if ka[c] > 0 else 0.0
        if change < tol and it > 0:
            conv = True
            break
    return beta, mu, dev, conv, info


@njit(cache=True)
def _inverse(a):  # pragma: no cover - compiled
    """``np.linalg.pinv(a, hermitian=True)`` (rcond 1e-15) of a symmetric matrix, by LU where that is as good
    (condition number, bounded by r·max|a|·max|a⁻¹|, below 1e8 and residual below 1e-10) and by the
    eigen-decomposition for the rest (fits near the boundary); NaN for a matrix with a non-finite entry."""
    r = a.shape[0]
    if not np.all(np.isfinite(a)):
        return np.full((r, r), np.nan)
    try:
        inv = np.linalg.inv(a)
        cond = r * np.max(np.abs(a)) * np.max(np.abs(inv))
        res = np.max(np.abs(np.dot(a, inv) - np.eye(r)))
        if np.isfinite(cond) and cond < 1e8 and res < 1e-10:
            return inv
    except Exception:  # singular to machine precision
        pass
    w, v = np.linalg.eigh(a)
    cutoff = 1e-15 * np.max(np.abs(w))
    out = np.zeros((r, r))
    for q in range(r - 1, -1, -1):  # largest |w| first, as pinv sums them
        if abs(w[q]) > cutoff:
            f = 1.0 / w[q]
            for i in range(r):
                for j in range(r):
                    out[i, j] += v[i, q] * f * v[j, q]
    return out


@njit(cache=True)
def _bias_interior(xm, y, ka, mu, beta0, info, conv, need, want_bias, n_obs):  # pragma: no cover - compiled
    """Rcapture's asymptotic bias of N̂ at a fit and its interior certificate (see ``_batch_poisson``):
    0.5 exp(b0) v_0 with v = -I⁻¹ψ, ψ = -2 X'(μ ⊙ ξ) - e_0, ξ_c = -0.5 x_c' I⁻¹ x_c; and whether one more
    Newton step s keeps every kept cell positive (X s > -0.5, no cell fitted below 1e-10 n).
    `need` False: nothing (bias NaN, not certified); `want_bias` False: the certificate only, its Newton
    step by a solve instead of the inverse."""
    n_cells, r = xm.shape
    if not need:
        return np.nan, False
    bias = np.nan
    g = np.dot((y - mu) * ka, xm)
    if want_bias:
        inv = np.ascontiguousarray(_inverse(info))  # typed 'A' by its branches: one copy, BLAS dots after
        xi = np.empty(n_cells)
        for c in range(n_cells):
            xi[c] = -0.5 * np.dot(np.dot(xm[c], inv), xm[c])
        psi = -2.0 * np.dot(mu * xi, xm)
        psi[0] -= 1.0
        v0 = -np.dot(inv[0], psi)
        bias = 0.5 * np.exp(beta0) * v0
        step = np.dot(inv, g)
    else:
        step = _solve(info, g)
    interior = conv and np.all(np.isfinite(step))
    if interior:
        d = np.dot(xm, step)
        for c in range(n_cells):
            if ka[c] > 0 and (mu[c] <= 1e-10 * n_obs or not d[c] > -0.5):
                interior = False
                break
    return bias, interior


@njit(cache=True)
def irls_batch(x, y, idx, keep, mu_start, warm, glm, tol, max_iter, term_mask, cell_mask, k, n_obs,
               want_bias):  # pragma: no cover - compiled
    """Poisson fits of m models by Newton/IRLS (R's glm start and stopping rule; step-halving unless `glm`).

    x : (C, P) float; y : (C,) float; idx : (m, r) int, each model's columns (intercept first);
    keep : (m, C) float 0/1, each model's cells; mu_start : (m, C) starting fitted values (0 off the
    kept cells); warm : (m,) bool, `mu_start` is a warm start (else glm's, y + 0.1): a warm-started
    fit that does not converge or goes non-finite is refitted from glm's start. Returns beta (m, r),
    mu (m, C), deviance (m,), converged (m,) bool and the information at the fitted values the last
    iteration weighted with (m, r, r; only with `glm`, as R's ``vcov`` of a glm fit), and for each fit
    Rcapture's bias of N̂ and the interior certificate (:func:`_bias_interior`; with `glm` only for the
    fits glm does not warn on: converged, every fitted value at least 10 eps; bias NaN where
    want_bias[i] is False).
    With k > 0, `x` is the 0/1 lattice design of k lists (see :func:`_fit_one`): column j is the indicator
    that a cell's lists include the term with bit mask term_mask[j], cell_mask (C,) the cells' masks.
    """
    m, r = idx.shape
    n_cells = x.shape[0]
    ylogy = np.zeros(n_cells)
    for c in range(n_cells):
        if y[c] > 0:
            ylogy[c] = y[c] * np.log(y[c])
    beta_o = np.zeros((m, r))
    mu_o = np.zeros((m, n_cells))
    dev_o = np.zeros(m)
    conv_o = np.zeros(m, dtype=np.bool_)
    info_o = np.zeros((m if glm else 0, r, r))
    bias_o = np.full(m, np.nan)
    int_o = np.zeros(m, dtype=np.bool_)
    eps10 = 10 * np.finfo(np.float64).eps
    xm = np.empty((n_cells, r))
    tm = np.empty(r, dtype=np.int64)
    for i in range(m):
        for j in range(r):
            tm[j] = term_mask[idx[i, j]]
        for c in range(n_cells):
            for j in range(r):
                xm[c, j] = x[c, idx[i, j]]
        ka = keep[i]
        beta, mu, dev, conv, info = _fit_one(xm, tm, cell_mask, k, y, ylogy, ka, mu_start[i], glm, tol, max_iter)
        if warm[i] and not (conv and np.all(np.isfinite(mu))):
            beta, mu, dev, conv, info = _fit_one(xm, tm, cell_mask, k, y, ylogy, ka, (y + 0.1) * ka, glm, tol,
                                                 max_iter)
        beta_o[i] = beta
        mu_o[i] = mu
        dev_o[i] = dev
        conv_o[i] = conv
        need = True
        if glm:
            info_o[i] = info
            for c in range(n_cells):
                if ka[c] > 0 and mu[c] < eps10:
                    need = False
            need = need and conv
        else:
            info = _lattice_info(tm, cell_mask, mu, 1 << k, k) if k > 0 else _information(xm, mu)
        bias_o[i], int_o[i] = _bias_interior(xm, y, ka, mu, beta[0], info, conv, need, want_bias[i], n_obs)
    return beta_o, mu_o, dev_o, conv_o, info_o, bias_o, int_o
