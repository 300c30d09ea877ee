"""Small dense linear programs solved by HiGHS with less per-call overhead than ``scipy.optimize.linprog``.

The existence checks (:mod:`.existence`, :mod:`.sparse`) solve thousands of LPs of a few
dozen variables in an exhaustive model search; scipy's ``linprog(method="highs")`` spends
about 1.2 ms per call validating options and building result objects around a 0.3 ms solve.
:func:`solve_lp` hands the same problem with the same HiGHS options (presolve on, dual
simplex, no output) to scipy's bundled HiGHS directly, so the solutions are HiGHS's own
answers as through ``linprog``. When that private interface is missing or changes (another
scipy version), it falls back to ``linprog`` transparently.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["LPResult", "solve_lp"]


class LPResult(NamedTuple):
    """Outcome of :func:`solve_lp`: ``status`` as ``linprog`` (0 optimal, 2 infeasible,
    3 unbounded, 4 numerical trouble), objective ``fun``, solution ``x`` (None unless
    optimal) and HiGHS's ``message``."""

    status: int
    fun: float | None
    x: np.ndarray | None
    message: str


_CORE = None  # the bundled HiGHS module, resolved on first use (False: not usable)


def load_scipy_extension(name: str):
    """SciPy's compiled module `name` (e.g. ``scipy.linalg._flapack``), loaded from its file without running its
    package's ``__init__.py`` when the module needs nothing of it: ``scipy/optimize/__init__.py`` imports
    scipy.linalg, sparse, spatial, fft... (about 0.3 s of CPU per process, for a module that takes 0.02 s);
    ``scipy/linalg/__init__.py`` costs 0.045 s. It is registered under its own name, so a later ordinary import
    of the package uses this same module (a compiled module must not be loaded twice). Falls back to the
    ordinary import."""
    import sys

    if name not in sys.modules:
        try:
            import importlib.machinery
            import importlib.util
            import os

            import scipy

            *folders, base = name.split(".")[1:]
            folder = os.path.join(os.path.dirname(scipy.__file__), *folders)
            files = [f for f in os.listdir(folder)
                     if f.startswith(base + ".") and f.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))]
            spec = importlib.util.spec_from_file_location(name, os.path.join(folder, files[0]))
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            sys.modules[name] = mod
        except Exception:  # noqa: BLE001 - any trouble: the ordinary import below
            sys.modules.pop(name, None)
    if name in sys.modules:
        return sys.modules[name]
    from importlib import import_module

    return import_module(name)


def _load_core():
    """scipy's bundled HiGHS extension module, without ``scipy.optimize`` (:func:`load_scipy_extension`)."""
    return load_scipy_extension("scipy.optimize._highspy._core")


def _core():
    global _CORE
    if _CORE is None:
        try:
            h = _load_core()

            h._Highs, h.HighsLp, h.HighsOptions, h.MatrixFormat.kColwise, h.HighsModelStatus.kOptimal  # noqa: B018
            h.simplex_constants.SimplexStrategy.kSimplexStrategyDual  # noqa: B018
            _CORE = h
        except (ImportError, AttributeError):
            _CORE = False
    return _CORE


_OPTIONS = None


def _options(h):
    """linprog's HiGHS options (presolve on, dual simplex, silent), built once."""
    global _OPTIONS
    if _OPTIONS is None:
        opts = h.HighsOptions()
        opts.presolve = "on"
        opts.output_flag = False
        opts.log_to_console = False
        opts.highs_debug_level = int(h.HighsDebugLevel.kHighsDebugLevelNone)
        opts.simplex_strategy = int(h.simplex_constants.SimplexStrategy.kSimplexStrategyDual)
        _OPTIONS = opts
    return _OPTIONS


def _linprog(c, a_ub, b_ub, a_eq, b_eq, lb, ub, method) -> LPResult:
    from scipy.optimize import linprog

    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=np.column_stack([lb, ub]), method=method)
    return LPResult(int(res.status), None if res.fun is None else float(res.fun), res.x, str(res.message))


def solve_lp(
    c: np.ndarray,
    a_ub: np.ndarray | None,
    b_ub: np.ndarray | None,
    a_eq: np.ndarray | None = None,
    b_eq: np.ndarray | None = None,
    lb: np.ndarray | float | None = 0.0,
    ub: np.ndarray | float | None = None,
    *,
    method: str = "highs",
) -> LPResult:
    """Minimise cᵀx subject to A_ub x <= b_ub, A_eq x = b_eq, lb <= x <= ub (dense, small).

    Parameters
    ----------
    c : ndarray of shape (n,)
    a_ub, b_ub : ndarray of shape (m1, n) and (m1,), or None
    a_eq, b_eq : ndarray of shape (m2, n) and (m2,), or None
    lb, ub : float, ndarray of shape (n,) or None
        Bounds (None: unbounded on that side). Default x >= 0, as ``linprog``.
    method : {"highs", "highs-ipm"}
        ``"highs"`` goes to HiGHS directly (dual simplex after presolve, as ``linprog``'s
        default); anything else through ``linprog``.

    Returns
    -------
    LPResult
        Status codes as ``scipy.optimize.linprog``.
    """
    c = np.asarray(c, dtype=float)
    n = c.size
    lb = np.full(n, -np.inf) if lb is None else np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy()
    ub = np.full(n, np.inf) if ub is None else np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy()
    h = _core()
    if method != "highs" or not h:
        return _linprog(c, a_ub, b_ub, a_eq, b_eq, lb, ub, method)
    blocks, lhs, rhs = [], [], []
    if a_ub is not None:
        blocks.append(np.asarray(a_ub, dtype=float))
        rhs.append(np.asarray(b_ub, dtype=float))
        lhs.append(np.full(len(rhs[-1]), -np.inf))
    if a_eq is not None:
        blocks.append(np.asarray(a_eq, dtype=float))
        rhs.append(np.asarray(b_eq, dtype=float))
        lhs.append(rhs[-1])
    a = np.vstack(blocks) if blocks else np.zeros((0, n))
    lo = np.concatenate(lhs) if lhs else np.zeros(0)
    hi = np.concatenate(rhs) if rhs else np.zeros(0)
    inf = h.kHighsInf
    lo, hi, lb, ub = (np.clip(v, -inf, inf) for v in (lo, hi, lb, ub))  # HiGHS's infinity, as linprog
    # column-wise sparse storage, as scipy's csc_array of the stacked constraints
    at = a.T
    nz = at != 0
    start = np.concatenate([[0], np.cumsum(nz.sum(axis=1))]).astype(np.int32)
    index = np.nonzero(nz)[1].astype(np.int32)
    value = at[nz]
    try:
        lp = h.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = a.shape[0]
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = a.shape[0]
        lp.a_matrix_.format_ = h.MatrixFormat.kColwise
        lp.col_cost_ = c
        lp.col_lower_ = lb
        lp.col_upper_ = ub
        lp.row_lower_ = lo
        lp.row_upper_ = hi
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        highs = h._Highs()
        if highs.passOptions(_options(h)) == h.HighsStatus.kError or highs.passModel(lp) == h.HighsStatus.kError:
            return _linprog(c, a_ub, b_ub, a_eq, b_eq, lb, ub, method)
        highs.run()
        status = highs.getModelStatus()
    except (AttributeError, TypeError):  # the private interface changed: the public route
        return _linprog(c, a_ub, b_ub, a_eq, b_eq, lb, ub, method)
    msg = highs.modelStatusToString(status)
    ms = h.HighsModelStatus
    if status == ms.kOptimal:
        info = highs.getInfo()
        return LPResult(0, float(info.objective_function_value), np.array(highs.getSolution().col_value), msg)
    code = {ms.kInfeasible: 2, ms.kModelError: 2, ms.kUnbounded: 3, ms.kTimeLimit: 1, ms.kIterationLimit: 1}.get(status, 4)
    return LPResult(code, None, None, msg)
