"""Poisson log-linear fits of many models on one table, for the exhaustive search.

:func:`_batch_poisson` fits a batch of models (each on its own columns and cells) by Newton/IRLS
(compiled, model by model: :mod:`._exhaustive_kernel`), or
emulates R's ``glm.fit`` for the models whose MLE does not exist (Rcapture's fits, whose numbers depend
on where glm stops); :func:`_full_rank` tests the rank of many designs at once. Split out of
:mod:`darkfigure.loglinear.exhaustive`.
"""

from __future__ import annotations

import numpy as np

#: what the terminal says before an exhaustive search whose compiled kernel is not in numba's cache yet
COMPILE_NOTE = "compiling the exhaustive-search kernel once (~20 s; later runs reuse it)"


def kernel_compiled() -> bool | None:
    """Whether the exhaustive search's numba kernel is ready without compiling (in this process or numba's cache).

    Reads numba's cache index of :func:`._exhaustive_kernel.irls_batch` (a small pickle beside the
    module, ``__pycache__/*.nbi``): True when this process compiled it already or the index holds
    an entry for this source file, numba version, CPU and bytecode (what numba's own lookup
    requires, `numba.core.caching.Cache._index_key`); False when a call would compile (a fresh
    installation, an edited kernel, a new numba). None when it cannot be told (numba's private
    cache API changed): callers then say nothing. Costs a file read; numba is imported, as the
    search does next anyway. With the command line's helper process (:mod:`._kernel_server`) running,
    its answer (it loads the kernel, not this process).
    """
    from . import _kernel_server

    helper = _kernel_server.compiled_status()
    if helper is not None or _kernel_server.running():
        return helper
    from .._numba_cache import dispatcher_compiled

    try:
        from ._exhaustive_kernel import irls_batch
    except Exception:  # noqa: BLE001 - a hint only; never let it stop an estimate
        return None
    return dispatcher_compiled(irls_batch)


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
    bias: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Poisson log-linear fits of many models on one table (Newton/IRLS, compiled: :mod:`._exhaustive_kernel`).

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
        Models per block (memory ~ chunk · C · 8 bytes per output).
    glm : bool
        Emulate R's ``glm.fit`` (use with ``tol=1e-8, max_iter=200`` as Rcapture).
    mu0 : ndarray of shape (M, C), optional
        Starting fitted values (positive on each model's cells; rows of NaN: glm's start), e.g. a
        fit of the model on more cells heading to the same MLE (a warm-started fit that does not
        converge or goes non-finite is refitted from glm's start). Not with ``glm=True``.
    bias : ndarray of bool, shape (M,), optional
        The models whose bias is wanted (default all; the others get NaN and skip the inverse).

    Returns
    -------
    beta : ndarray of shape (M, P)
        0 outside each model's columns.
    mu : ndarray of shape (M, C)
        0 outside each model's cells.
    deviance : ndarray of shape (M,)
    converged : ndarray of bool, shape (M,)
    bias : ndarray of shape (M,)
        Rcapture's asymptotic bias of N̂ (NaN for the models whose bias is not wanted).
    interior : ndarray of bool, shape (M,)
        The MLE provably exists (a cheap certificate, as
        :func:`.existence.interior_certificate`): one more Newton step s from the converged
        fit gives mu' = mu (1 + X s) with the observed margins, positive when every cell's
        X s > -0.5 (Haberman 1974, Thm 2.3). Cells fitted below 1e-10 n are not certified.
    """
    from . import _kernel_server

    # in the command line's helper process when one runs (numba loaded there while the command started)
    done = _kernel_server.call((x, y, cols, cells), dict(tol=tol, max_iter=max_iter, chunk=chunk, glm=glm, mu0=mu0,
                                                         bias=bias))
    if done is not None:
        return done
    from ._exhaustive_kernel import irls_batch  # numba loads only when a batch is fitted

    n_models, p = cols.shape
    x, y = np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(y, dtype=float)
    out = (np.zeros((n_models, p)), np.zeros((n_models, x.shape[0])), np.zeros(n_models),
           np.zeros(n_models, dtype=bool), np.zeros(n_models), np.zeros(n_models, dtype=bool))
    n_obs = max(float(y.sum()), 1.0)
    lattice = _lattice(x)
    want = np.ones(n_models, dtype=bool) if bias is None else np.asarray(bias, dtype=bool)

    # models are fitted in blocks of equal column count on their own columns (compact
    # systems: r x r instead of P x P with identity padding)
    ncol = cols.sum(axis=1)
    for r in np.unique(ncol):
        grp = np.flatnonzero(ncol == r)
        for lo in range(0, grp.size, chunk):
            ids = grp[lo: lo + chunk]
            m = ids.size
            idx = np.nonzero(cols[ids])[1].reshape(m, r)  # each model's columns, intercept first
            keep = cells[ids].astype(float)
            mu = (y + 0.1)[None, :] * keep
            warm = np.zeros(m, dtype=bool)
            if mu0 is not None:
                start = mu0[ids]
                warm = np.all(np.isfinite(start), axis=1)
                mu[warm] = np.maximum(start[warm], 1e-300) * keep[warm]
            # the Newton/IRLS loop and Rcapture's bias, model by model, compiled (numba). With glm=True the
            # caller discards the fits where glm warns (no convergence, fitted values below 10 eps): no bias
            beta, mu, dev, conv, _, bias, interior = irls_batch(x, y, idx, keep, mu, warm, glm, tol, max_iter,
                                                                *lattice, n_obs, want[ids])
            full = np.zeros((m, p))
            np.put_along_axis(full, idx, beta, axis=1)
            for o, v in zip(out, (full, mu, dev, conv, bias, interior)):
                o[ids] = v
    return out


def _warm() -> None:
    """Load the kernel (numba's import and its cached machine code) by a tiny batch: two lists, two models of
    three columns, called as the search calls it (the same argument types and layouts, so the same compiled
    version; with one model the column index would be a contiguous array, typed apart)."""
    x = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    y = np.array([5.0, 7.0, 3.0])
    cols = np.array([[True, True, True, False], [True, True, False, True]])
    _batch_poisson(x, y, cols, np.ones((2, 3), dtype=bool))


def _lattice(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The bit masks of a 0/1 design on the 2^k - 1 observable cells of k lists whose column j is the
    indicator that a cell's lists include a term T_j (intercept: T = {}; mains; interactions), as the
    exhaustive search's: ``(term_mask (P,), cell_mask (C,), k)``, cell c's lists read off the main-effect
    columns 1..k. ``(zeros, zeros, 0)`` when `x` is not such a design (the fits then use `x` itself)."""
    c, p = x.shape
    k = int(c + 1).bit_length() - 1
    none = (np.zeros(p, dtype=np.int64), np.zeros(c, dtype=np.int64), 0)
    if c != (1 << k) - 1 or p < 1 + k or not np.isin(x, (0.0, 1.0)).all():
        return none
    cell_mask = (x[:, 1: 1 + k].astype(np.int64) << np.arange(k)).sum(axis=1)
    if np.unique(cell_mask).size != c or cell_mask.min() == 0:
        return none
    # T_j: the lists shared by every cell of column j (the intercept's: none)
    term_mask = np.array([np.bitwise_and.reduce(cell_mask[x[:, j] > 0]) if x[:, j].any() else -1 for j in range(p)])
    if (term_mask < 0).any() or not np.array_equal(x > 0, (cell_mask[:, None] & term_mask) == term_mask):
        return none
    return term_mask.astype(np.int64), cell_mask.astype(np.int64), k


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
