"""The numbers of dga (Madigan & York 1997 model averaging over decomposable graphs), in NumPy alone.

:mod:`darkfigure.bayes.dga` wraps this with its checks and result class; the command line's lean path
(``darkfigure estimate DATA --method dga``, :mod:`darkfigure.cli.lean`) imports only this module, NumPy
and :mod:`._dga_graphs`, so that the whole process stays within a few tenths of a second (no SciPy,
no pandas). The formulas are those of :mod:`darkfigure.bayes.dga`'s module docstring.

How the posterior over a grid of ``Nmissing`` is computed without evaluating every graph at every
grid point (822 graphs x 40,000 points for 5 lists):

* Every graph's log weight ``l_g(m)`` is a signed sum of log Gamma functions of ``m`` plus the
  multinomial coefficient and the log prior, all analytic in ``m`` for ``m > -min(delta_A, 1)``.
* The grid is cut into blocks of consecutive points (a block never spans a change of step or of
  width) whose length in ``m`` is at most ``RATIO * m`` at its start. On such a block the nearest
  singularity of every ``l_g`` is at least ``2/RATIO`` half-lengths away, so Chebyshev interpolation of
  degree ``NODES - 1`` converges like ``rho^-NODES`` with ``rho >= 2/RATIO + 1 = 9`` (Trefethen 2013,
  *Approximation Theory and Approximation Practice*, thm 8.2). What is interpolated is the log of the
  sum over the graphs, which can have singularities nearer the real axis (complex zeros of the sum), so
  RATIO and NODES were set by measurement: on the 12 reference tables the probabilities are within
  ~5e-10 of the graph-by-graph sum at every grid point (the rounding of log Gamma values near 1e6),
  while RATIO = 0.5 left 1e-6 and 24 nodes at RATIO = 1 left 5e-4. Where the posterior is sharp (large n)
  a block can still be too long: a block that carries weight (its largest log value within
  ``REFINE_BELOW`` of the grid's) and whose Chebyshev coefficients have not decayed below ``TOL`` in its
  last four is halved, down to points taken one by one (on simulated tables with n ~ 20,000 this took
  the error from 2e-4 to 4e-10 of the maximum).
  Block lengths are ``MIN_BLOCK = 4 * NODES`` grid points times powers of sqrt(2) (so that blocks
  share their interpolation matrices); where no block is allowed that long (small ``m``) the points
  are evaluated one by one.
* The graphs are evaluated at the Chebyshev (Lobatto) nodes of every block only (a sparse product
  of the ``(n_graphs, 2^k)`` clique/separator coefficient matrix and the ``(2^k, n_nodes)`` matrix of
  per-subset log terms); the model-averaged log posterior ``log sum_g exp(l_g)`` is then interpolated
  to every grid point (barycentric formula), and each graph's total weight is a discrete
  quadrature over the nodes (weights = the sums over the block's grid points of the interpolation's
  cardinal functions). ``tests/test_dga.py`` checks both against the graph-by-graph sum on every
  grid point.
* A prior that is a user's function is not assumed smooth: then every point is evaluated.

log Gamma: Stirling's series through the ``x^-9`` term for ``x >= 20`` (the remainder is bounded by
the first omitted term, ``691 / (360360 x^11) < 1e-17``; Abramowitz & Stegun 6.1.41-42), ``math.lgamma``
below.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import _dga_graphs

#: Points of the automatic grid beyond which it turns coarse (exact on the first half).
MAX_POINTS = {3: 1_000_000, 4: 400_000, 5: 40_000}
#: Chebyshev nodes per interpolation block and the largest block length relative to its start.
NODES = 24
RATIO = 0.25

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def lgamma(x: np.ndarray) -> np.ndarray:
    """log Gamma(x) for x > 0, any shape (float64).

    Stirling's series through ``x^-9`` for x >= 20 (error < 1e-17 plus rounding, A&S 6.1.41-42);
    ``math.lgamma`` below 20.
    """
    x = np.asarray(x, dtype=float)
    out = np.empty(x.shape)
    big = x >= 20.0
    xb = x[big]
    r = 1.0 / xb
    r2 = r * r
    series = r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188)))))
    out[big] = (xb - 0.5) * np.log(xb) - xb + _HALF_LOG_2PI + series
    small = ~big
    if small.any():
        out[small] = [math.lgamma(v) for v in x[small].tolist()]
    return out


_COEF: dict[int, tuple[np.ndarray, list[tuple[int, ...]]]] = {}


def coefficients(k: int) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Clique/separator coefficients of the decomposable graphs on k = 3..5 lists and their cliques.

    Returns the matrix of shape (n_graphs, 2^k), +1 per clique and -1 per separator (columns = subset
    bitmasks, bit j = list j), column 0 the number of factors ``Gamma(alpha)/Gamma(N + alpha)``
    (#cliques - #separators); and every graph's cliques as bitmasks, in ``decomposable_graphs(k)``'s order.
    """
    if k not in _COEF:
        entries = _dga_graphs.GRAPHS[k].split()
        b = np.zeros((len(entries), 2**k))
        cliques = []
        for g, entry in enumerate(entries):
            _, c, s = entry.split(":")
            cs = tuple(int(m) for m in c.split("."))
            ss = [int(m) for m in s.split(".") if m]
            b[g, list(cs)] += 1  # the cliques of a graph are distinct subsets
            for m in ss:  # separators may repeat
                b[g, m] -= 1
            b[g, 0] = len(cs) - len(ss)
            cliques.append(cs)
        b.setflags(write=False)
        _COEF[k] = (b, cliques)
    return _COEF[k]


def pattern_counts(codes: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Counts y of shape (2^k,) from capture-history bitmasks `codes` and their `counts` (y[0] = 0)."""
    y = np.bincount(np.asarray(codes, dtype=np.int64), weights=np.asarray(counts, dtype=float), minlength=2**k)
    y[0] = 0.0
    return y


class Model:
    """Graph-independent pieces of the log posterior for counts y (shape (2^k,)) and delta.

    ``log_prior`` is a function of N (ndarray of floats) returning the log prior (:func:`log_prior_fn`);
    ``smooth`` says whether it may be interpolated between nodes (the built-in priors; a user's function is
    evaluated at every grid point).
    """

    def __init__(self, y: np.ndarray, k: int, delta: float, log_prior: Callable[[np.ndarray], np.ndarray],
                 smooth: bool = False):
        self.k, self.delta, self.log_prior, self.smooth = k, delta, log_prior, smooth
        self.n = float(y.sum())
        self.alpha = delta * 2**k
        codes = np.arange(2**k)
        # per non-empty subset A (bitmask): constant part of the marginal table's Dirichlet term,
        # the count in its all-zero cell, and its per-cell prior delta_A (dga's MakeCompMatrix/CompLogML)
        self.const = np.zeros(2**k)
        self.zero_cell = np.zeros(2**k)
        self.delta_a = np.full(2**k, self.alpha)
        for a in range(1, 2**k):
            size = bin(a).count("1")
            da = delta * 2 ** (k - size)
            marg = np.bincount(codes & a, weights=y, minlength=2**k)
            cells = [s for s in range(1, 2**k) if s & a == s]  # non-zero sub-masks of A
            self.const[a] = lgamma(marg[cells] + da).sum() - 2**size * math.lgamma(da)
            self.zero_cell[a] = marg[0]
            self.delta_a[a] = da
        self.log_y_fact = float(lgamma(y[1:] + 1).sum())
        self.coef = coefficients(k)[0]

    def components(self, m: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Rows of shape (2^k, M) at missing counts m (real, >= 0): row A the log Dirichlet-multinomial pieces
        of marginal A, row 0 ``log Gamma(alpha) - log Gamma(N + alpha)``. With `rows` (bool, shape (2^k,))
        only those rows are computed; the others are 0."""
        m = np.asarray(m, dtype=float)
        out = np.zeros((2**self.k, m.shape[0]))
        want = np.ones(2**self.k, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
        sub = np.flatnonzero(want[1:]) + 1
        if sub.size:
            out[sub] = lgamma(m[None, :] + (self.zero_cell[sub] + self.delta_a[sub])[:, None]) + self.const[sub, None]
        if want[0]:
            out[0] = math.lgamma(self.alpha) - lgamma(m + self.n + self.alpha)
        return out

    def common(self, m: np.ndarray, widths: np.ndarray) -> np.ndarray:
        """Graph-independent log terms of shape (M,): multinomial coefficient, prior, log(width)."""
        m = np.asarray(m, dtype=float)
        lp = np.asarray(self.log_prior(m + self.n), dtype=float)
        if lp.shape != m.shape:
            raise ValueError(f"the prior returned shape {lp.shape}, expected {m.shape} (one value per N)")
        return lgamma(m + self.n + 1) - self.log_y_fact - lgamma(m + 1) + lp + np.log(widths)

    def graph_rows(self, rows: np.ndarray, m: np.ndarray, widths: np.ndarray) -> np.ndarray:
        """Full log weights (unnormalised) of the graphs `rows` at the points m, shape (len(rows), M)."""
        coef = self.coef[rows]
        need = np.any(coef != 0, axis=0)
        return coef @ self.components(m, need) + self.common(m, widths)


# ---------------------------------------------------------------------------- interpolation plan
_T = np.cos(np.pi * np.arange(NODES) / (NODES - 1))[::-1]  # Chebyshev-Lobatto points on [-1, 1], increasing
_BW = np.where(np.arange(NODES) % 2, -1.0, 1.0) * np.where((np.arange(NODES) % (NODES - 1)) == 0, 0.5, 1.0)
#: shortest block (grid points): from 3 NODES on, every node's quadrature weight (_cardinal) is positive
MIN_BLOCK = 4 * NODES
#: block lengths used: MIN_BLOCK times powers of sqrt(2), so that blocks share their cardinal matrices
_LENGTHS = np.unique(np.round(MIN_BLOCK * 2 ** (np.arange(60) / 2))).astype(np.int64)
_CARDINAL: dict[int, tuple[np.ndarray, np.ndarray]] = {}
#: values at the nodes -> Chebyshev coefficients (a block is halved while its last 4 exceed TOL in absolute
#: value, unless its largest log value is REFINE_BELOW below the grid's: its probabilities are then < 1e-20)
_TO_CHEB = np.linalg.inv(np.cos(np.arange(NODES)[None, :] * np.arccos(_T)[:, None]))
TOL = 1e-9
REFINE_BELOW = 46.0


def _cardinal(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Cardinal functions of the Chebyshev-Lobatto nodes at p equispaced points of [-1, 1], shape (p, NODES)
    (barycentric formula, Berrut & Trefethen 2004), and their sums over the points, shape (NODES,)."""
    if p not in _CARDINAL:
        u = np.linspace(-1.0, 1.0, p)
        d = u[:, None] - _T[None, :]
        on = d == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            c = _BW / d
            c /= c.sum(axis=1, keepdims=True)
        hit = on.any(axis=1)
        c[hit] = on[hit]
        _CARDINAL[p] = (c, c.sum(axis=0))
    return _CARDINAL[p]


class Plan:
    """Where the graphs are evaluated on a grid: the points taken one by one and the interpolation blocks.

    Attributes: ``exact`` (grid indices evaluated directly); ``blocks`` (list of (grid start, grid stop));
    ``keys`` (per block: first and last m, width: blocks with equal keys have equal nodes); ``x`` and ``w``
    (positions in m and widths of the nodes: the exact points first, then NODES per block).
    """

    def __init__(self, nm: np.ndarray, widths: np.ndarray, smooth: bool):
        m_total = nm.shape[0]
        self.size = m_total
        exact: list[np.ndarray] = []
        self.blocks: list[tuple[int, int]] = []
        if not smooth:
            exact.append(np.arange(m_total))
        else:
            s = 0
            while s < m_total:  # runs of constant step and width
                e = s + 1
                if e < m_total:
                    h = nm[e] - nm[s]
                    stop = np.flatnonzero((np.diff(nm[s:]) != h) | (widths[s + 1:] != widths[s]))
                    e = s + 1 + (int(stop[0]) if stop.size else m_total - s - 1)
                self._blocks_of_run(nm, s, e, exact, self.blocks)
                s = e
        self.exact = np.concatenate(exact) if exact else np.zeros(0, dtype=np.int64)
        self._finish(nm, widths)

    def _finish(self, nm: np.ndarray, widths: np.ndarray) -> None:
        a = np.array([blk[0] for blk in self.blocks], dtype=np.int64)
        b = np.array([blk[1] for blk in self.blocks], dtype=np.int64)
        lo, hi = nm[a].astype(float), nm[b - 1].astype(float)
        self.keys = list(zip(lo.tolist(), hi.tolist(), widths[a].tolist()))
        self.x = np.concatenate([nm[self.exact].astype(float),
                                 (lo[:, None] + (_T + 1)[None, :] * 0.5 * (hi - lo)[:, None]).ravel()])
        self.w = np.concatenate([widths[self.exact], np.repeat(widths[a], NODES)])

    def split(self, which: list[int], nm: np.ndarray, widths: np.ndarray) -> None:
        """Halve the blocks `which` (indices into ``blocks``); a block too short to halve is taken point by point."""
        keep, extra = [], [self.exact]
        for i, (a, b) in enumerate(self.blocks):
            if i not in which:
                keep.append((a, b))
            elif b - a >= 2 * MIN_BLOCK:
                keep += [(a, a + (b - a) // 2), (a + (b - a) // 2, b)]
            else:
                extra.append(np.arange(a, b))
        self.blocks = keep
        self.exact = np.concatenate(extra)
        self._finish(nm, widths)

    @staticmethod
    def _blocks_of_run(nm, s, e, exact, blocks) -> None:
        h = int(nm[s + 1] - nm[s]) if e - s > 1 else 1
        i = s
        while i < e:
            allowed = int(RATIO * nm[i] // h) + 1  # the longest block starting at nm[i] (module docstring)
            if allowed < MIN_BLOCK:
                # too close to m = 0 to interpolate: points one by one up to where blocks are long enough
                j = min(e, i + max(1, int(math.ceil((MIN_BLOCK * h / RATIO - nm[i]) / h))))
                exact.append(np.arange(i, j))
                i = j
                continue
            p = int(_LENGTHS[np.searchsorted(_LENGTHS, allowed, side="right") - 1])
            j = min(e, i + p)
            if j - i < MIN_BLOCK:
                exact.append(np.arange(i, j))
            else:
                blocks.append((i, j))
            i = j

    def interpolate(self, values: np.ndarray) -> np.ndarray:
        """Values at the nodes, shape (R, n_nodes), to every grid point, shape (R, M)."""
        out = np.empty((values.shape[0], self.size))
        ne = self.exact.shape[0]
        out[:, self.exact] = values[:, :ne]
        for i, (a, b) in enumerate(self.blocks):
            f = ne + i * NODES
            out[:, a:b] = values[:, f:f + NODES] @ _cardinal(b - a)[0].T
        return out


def logsumexp(a: np.ndarray, axis: int | None = None):
    """log(sum(exp(a))) over `axis` (all elements when None: a float), without overflow."""
    a = np.asarray(a, dtype=float)
    mx = np.max(a, axis=axis, keepdims=True)
    mx = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):
        s = np.log(np.sum(np.exp(a - mx), axis=axis, keepdims=True)) + mx
    return float(s.reshape(())) if axis is None else np.squeeze(s, axis=axis)


def _at_nodes(model: Model, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All graphs at the nodes x (widths w): ``exp(l - colmax)`` of shape (G, n), colmax (n,), and the log of
    the sum over the graphs (n,)."""
    lw = model.coef @ model.components(x)
    lw += model.common(x, w)[None, :]
    colmax = lw.max(axis=0)
    colmax[~np.isfinite(colmax)] = 0.0  # a node where the prior is zero stays -inf
    lw -= colmax
    np.exp(lw, out=lw)  # one exponential per graph and node: the sums over graphs and over nodes share it
    with np.errstate(divide="ignore"):
        return lw, colmax, colmax + np.log(lw.sum(axis=0))


def _weighted_log_sums(e: np.ndarray, colmax: np.ndarray, q: np.ndarray) -> np.ndarray:
    """log of sum_j q_j exp(l_gj) per graph, from :func:`_at_nodes`' pieces."""
    top = colmax.max()
    with np.errstate(divide="ignore"):
        return np.log(e @ (q * np.exp(colmax - top))) + top


def evaluate(model: Model, nm: np.ndarray, widths: np.ndarray, cache: dict | None = None, chunk: int = 4096):
    """Log posterior (unnormalised) summed over the graphs per grid point, shape (M,), and summed over the
    grid per graph, shape (G,); and the :class:`Plan` used.

    `cache` (a dict kept by the caller while the automatic grid widens) holds each block's node values and
    per-graph sums by the block's key, so that the blocks a wider grid shares with the last one (its exact
    part) are not evaluated again.
    """
    plan = Plan(nm, widths, model.smooth)
    cache = {} if cache is None else cache
    g = model.coef.shape[0]
    exact_log: dict[int, float] = {}  # grid index -> log of the sum over graphs, for the points taken one by one
    log_pg_exact = np.full(g, -np.inf)
    per = max(1, chunk // NODES)
    while True:
        new = np.setdiff1d(plan.exact, np.fromiter(exact_log, dtype=np.int64, count=len(exact_log)))
        for s in range(0, new.shape[0], chunk):  # the points taken one by one
            pts = new[s:s + chunk]
            e, colmax, vals = _at_nodes(model, nm[pts].astype(float), widths[pts])
            exact_log.update(zip(pts.tolist(), vals.tolist()))
            log_pg_exact = np.logaddexp(log_pg_exact, _weighted_log_sums(e, colmax, np.ones(colmax.shape[0])))
        ne = plan.exact.shape[0]
        todo = [i for i, key in enumerate(plan.keys) if key not in cache]
        for s in range(0, len(todo), per):  # the blocks not met before (on a narrower grid), several at a time
            group = todo[s:s + per]
            idx = np.concatenate([ne + i * NODES + np.arange(NODES) for i in group])
            e, colmax, log_node = _at_nodes(model, plan.x[idx], plan.w[idx])
            for j, i in enumerate(group):
                sl = slice(j * NODES, (j + 1) * NODES)
                a, b = plan.blocks[i]
                cache[plan.keys[i]] = (log_node[sl].copy(),
                                       _weighted_log_sums(e[:, sl], colmax[sl], _cardinal(b - a)[1]))
        # refine: a block that carries weight and whose Chebyshev series has not decayed is halved
        top = max([max(exact_log.values(), default=-np.inf)] + [float(cache[key][0].max()) for key in plan.keys])
        rough = [i for i, key in enumerate(plan.keys)
                 if cache[key][0].max() > top - REFINE_BELOW and np.abs(_TO_CHEB[-4:] @ cache[key][0]).max() > TOL]
        if not rough:
            break
        plan.split(rough, nm, widths)
    node_vals = np.concatenate([np.array([exact_log[i] for i in plan.exact.tolist()]),
                                *(cache[key][0] for key in plan.keys)])
    log_pg = log_pg_exact
    for key in plan.keys:
        log_pg = np.logaddexp(log_pg, cache[key][1])
    return plan.interpolate(node_vals[None, :])[0], log_pg, plan


def auto_grid(top: int, max_points: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Grid 0..top; beyond ``max_points`` points exact on the first half, then a coarse step (the reference
    runs' rule, ``../shared/peers/jobs/e_dga.R``)."""
    if top + 1 <= max_points:
        return np.arange(top + 1, dtype=np.int64), np.ones(top + 1), 1
    half = max_points // 2
    last_exact = half - 1
    step = math.ceil((top - last_exact) / half)
    coarse = last_exact + step * np.arange(1, (top - last_exact) // step + 1, dtype=np.int64)
    nm = np.concatenate([np.arange(half, dtype=np.int64), coarse])
    widths = np.concatenate([np.ones(half), np.full(coarse.shape[0], float(step))])
    return nm, widths, step


def edge_mass(nm: np.ndarray, prob: np.ndarray) -> float:
    """Posterior mass of the grid's top 1% (``Nmissing >= 0.99 * max``)."""
    return float(prob[nm >= 0.99 * nm[-1]].sum()) if nm[-1] > 0 else float(prob[-1])


def quantile(values: np.ndarray, cdf: np.ndarray, q):
    """First value whose cumulative probability reaches q (float or ndarray of levels in [0, 1])."""
    q_arr = np.asarray(q, dtype=float)
    if np.any(~np.isfinite(q_arr)) or np.any((q_arr < 0) | (q_arr > 1)):
        raise ValueError(f"quantile levels must be in [0, 1], got {q!r}")
    idx = np.minimum(np.searchsorted(cdf, q_arr, side="left"), len(values) - 1)
    out = values[idx].astype(float)
    return float(out) if out.ndim == 0 else out


def log_prior_fn(prior) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """The log prior on N and its name from dga's "1/N", "uniform" or a function of N."""
    if callable(prior):
        return prior, "custom"
    if isinstance(prior, str):
        key = prior.strip().lower().replace(" ", "")
        if key in ("1/n", "inverse", "default"):
            return (lambda n: -np.log(n)), "1/N"
        if key in ("uniform", "flat", "1"):
            return (lambda n: np.zeros_like(n, dtype=float)), "uniform"
    raise ValueError(
        f"prior must be '1/N' (dga's default), 'uniform', or a function of N (ndarray) returning the log prior; "
        f"got {prior!r}"
    )


class Posterior:
    """What :func:`posterior` computes (arrays of shape (M,) over the grid, (G,) over the graphs)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def posterior(model: Model, nmissing: np.ndarray | None, *, level: float, n_top: int, tail_tol: float,
              max_points: int, max_nmissing: float) -> Posterior:
    """The model-averaged posterior of N on a grid of Nmissing and its summaries.

    `nmissing` (int64, increasing, checked by the caller) is used as given; None: the automatic grid,
    ``0 .. max(2000, 20 n)`` widened x4 until its top 1% holds less than `tail_tol` or until
    `max_nmissing` (the reference runs' rule, ``../shared/peers/jobs/e_dga.R``).

    Returns a :class:`Posterior` with ``nm``, ``widths``, ``step``, ``widenings``, ``prob`` (M,),
    ``weights`` (G,), ``edge`` (mass in the grid's top 1%), ``median``, ``lo``, ``hi`` (first grid values
    of N whose cumulative probability reaches 0.5 and the tails), ``mean``, ``top`` (list of (graph
    index, weight, median, mean) for the `n_top` heaviest graphs) and ``warnings`` (list of str).

    Raises ValueError when the posterior is zero on the whole grid (a prior with no finite value).
    """
    widenings = 0
    if nmissing is not None:
        nm = nmissing
        widths = np.ones(nm.shape[0])
        step = 1
        log_pn, log_pg, plan = evaluate(model, nm, widths)
    else:
        top = max(2000, 20 * int(round(model.n)))
        cache: dict = {}
        while True:
            nm, widths, step = auto_grid(top, int(max_points))
            log_pn, log_pg, plan = evaluate(model, nm, widths, cache)
            total = logsumexp(log_pn)
            if not np.isfinite(total):
                break
            if edge_mass(nm, np.exp(log_pn - total)) < tail_tol or top * 4 > max_nmissing:
                break
            top *= 4
            widenings += 1
    total = logsumexp(log_pn)
    if not np.isfinite(total):
        raise ValueError("the posterior is zero on the whole grid: check the prior (it must be finite somewhere)")
    prob = np.exp(log_pn - total)
    weights = np.exp(log_pg - logsumexp(log_pg))
    edge = edge_mass(nm, prob)
    warns = []
    if edge >= tail_tol:
        where = "the given nmissing grid" if nmissing is not None else f"the grid (stopped at Nmissing = {nm[-1]:,})"
        warns.append(
            f"posterior mass {edge:.2g} in the top 1% of {where}: the posterior of N is truncated there (it may be "
            "improper: a tail this heavy does not vanish) and its mean and upper quantiles are too low"
            + ("; widen nmissing" if nmissing is not None else "")
        )
    big = float(prob[0]) if nm[0] == 0 else 0.0
    if big > 0.5 * (1 - level):
        warns.append(
            f"posterior probability {big:.3f} that nobody was missed (N = n): the saturated and near-saturated graphs "
            "fit the data exactly; the lower bound is the observed count"
        )
    N = model.n + nm
    lo, med, hi = quantile(N, np.cumsum(prob), np.array([(1 - level) / 2, 0.5, (1 + level) / 2]))
    order = np.argsort(-weights, kind="stable")[: max(1, int(n_top))]
    # the top graphs' own posteriors of N: evaluated at the plan's nodes, interpolated as the average was
    top_w = plan.interpolate(model.graph_rows(order, plan.x, plan.w))
    top = []
    for g, lw in zip(order, top_w):
        p = np.exp(lw - logsumexp(lw))
        top.append((int(g), float(weights[g]), quantile(N, np.cumsum(p), 0.5), float(np.dot(N, p))))
    return Posterior(nm=nm, widths=widths, step=int(step), widenings=widenings, prob=prob, weights=weights,
                     edge=edge, median=med, lo=lo, hi=hi, mean=float(np.dot(N, prob)), top=top, warnings=warns,
                     truncated=bool(edge >= tail_tol))


#: an upper credible limit above this many times the persons observed: the data barely identify N. The
#: threshold of rule 2 of the headline (docs/headline_rules.md, ``darkfigure.evidence.BARELY_IDENTIFIED``,
#: not imported here to keep the lean path free of pandas; tests/test_dga.py checks that the two agree).
BARELY_IDENTIFIED = 50.0


def unidentified_reason(n_observed: float, upper: float, truncated: bool) -> str | None:
    """Why dga's posterior does not identify N, or None when it does: THE rule for dga everywhere.

    ``darkfigure estimate --method dga`` (both its lean path and the usual one), ``darkfigure compare``,
    :func:`darkfigure.bayes.dga.dga` (``DGAResult.unidentified``) and ``dfg.DGA`` all ask this function.
    N is not identified when

    * the posterior of N does not vanish within the widest grid (mass in its top 1% at or above the
      tolerance): it is truncated there, possibly improper, and its median and limits only say where the
      grid stopped -- the Bayesian counterpart of a profile-likelihood interval with no finite upper
      limit (``pipeline.checks.unidentified_reason``); or
    * the upper credible limit is more than :data:`BARELY_IDENTIFIED` (50) times the persons observed:
      the data barely identify N (docs/headline_rules.md, rule 2 ``not-identified``). As the posterior
      median is below the upper limit, this also covers the house rule "N̂ above 100 times n is not an
      estimate".

    Parameters
    ----------
    n_observed : float
        Persons registered by at least one list, n.
    upper : float
        Upper limit of the equal-tailed credible interval of N (persons).
    truncated : bool
        Whether the posterior mass in the grid's top 1% reached the tolerance (``Posterior.truncated``).

    Returns
    -------
    str or None
        A plain clause for messages, e.g. "the upper credible limit (5,277) is 55 times the 96 persons
        observed, more than 50".
    """
    n = max(float(n_observed), 1.0)
    if truncated:
        return ("the posterior of N does not vanish within the grid (it is truncated where the grid stops, and may "
                "be improper), so its median and limits say only where the grid ended")
    if not np.isfinite(upper) or upper > BARELY_IDENTIFIED * n:
        return (f"the upper credible limit ({upper:,.0f}) is {upper / n:,.0f} times the {n_observed:,.0f} persons "
                f"observed, more than {BARELY_IDENTIFIED:g}: the data barely identify N")
    return None
