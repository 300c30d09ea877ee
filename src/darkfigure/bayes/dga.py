"""Bayesian model averaging over decomposable graphical models (Madigan & York 1997), as R's ``dga``.

The k lists (3 <= k <= 5) form a complete ``2^k`` contingency table whose all-zero cell,
the number of persons no list registered (``Nmissing``), is unknown. For every decomposable
graph G on the k lists and every candidate value of ``Nmissing`` the posterior is known in
closed form (Madigan & York 1997, Biometrika 84:19-31, section 3; R package ``dga`` by
Johndrow, Lum & Ball, functions ``bma.cr``, ``MakeCompMatrix`` and ``CompLogML``):

* **Likelihood.** Given the cell probabilities the complete table is multinomial with
  total ``N = n + Nmissing``; its coefficient is ``N! / (Nmissing! prod_c y_c!)``.
* **Hyper-Dirichlet prior** (Dawid & Lauritzen 1993) with ``delta`` prior observations per
  cell of the full table (dga's suggested default ``delta = 2^-k``): the marginal table of a
  set of lists A then has a Dirichlet prior with ``delta * 2^(k - |A|)`` per cell, and the
  total prior weight ``alpha = delta * 2^k`` is the same for every marginal.
* **Marginal likelihood of a graph** (Dawid & Lauritzen 1993; Madigan & York 1997, eq. 3.2):
  the product over the cliques of the Dirichlet-multinomial probability of the clique's
  marginal table, divided by the same over the separators::

      log p(y, Nmissing | G) = sum_C g_C - sum_S g_S + log multinomial coefficient
      g_A = log Gamma(alpha) - log Gamma(N + alpha)
            + sum_{cells c of A} [log Gamma(n_{A,c} + delta_A) - log Gamma(delta_A)]

  where the all-zero cell of the marginal table A holds ``Nmissing`` plus the persons seen
  only by lists outside A. ``g`` of the empty set is 0, so separators between
  disconnected components contribute nothing (dga counts ``#cliques - #separators`` factors
  ``Gamma(alpha) / Gamma(N + alpha)``, which is the same).
* **Priors.** Uniform over the graphs; on N, dga's default ``log prior = -log(N)``
  (``prior = 1/N``), or any other.
* **Posterior** over (graph, Nmissing) is proportional to the product; the model-averaged
  posterior of N is its sum over graphs, each graph's weight its sum over ``Nmissing``.

What is added to dga: the decomposable graphs are enumerated here (8, 61 and 822 for 3, 4
and 5 lists: the labelled chordal graphs, OEIS A058862) rather than loaded; the grid of
``Nmissing`` is not the user's guess but is widened (x4) until the posterior mass in its
top 1% is negligible, with a warning when it cannot be (no hidden truncation); the
normalisation subtracts the maximum before exponentiating (dga exponentiates the raw log
weights, which underflow for large tables).

The automatic grid is the one of the reference runs (``../shared/reference/RESULTS.md``):
``Nmissing = 0 .. max(2000, 20 n)``, widened x4 until the mass in its top 1% is below
``1e-6``; when it has more points than ``max_points`` (40,000 for 5 lists, 400,000 for 4,
1,000,000 for 3) it is exact (step 1) on its first ``max_points / 2`` points and has a
coarse step beyond, each coarse point standing for ``step`` integers (``log(step)`` added to
its log prior). Quantiles are the first grid value whose cumulative probability reaches
the level, as in the reference runs.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
from scipy.special import gammaln, logsumexp

from .._blas import single_threaded
from ..histories import CaptureHistories
from . import _dga_graphs

__all__ = ["DGAResult", "DecomposableGraph", "decomposable_graphs", "dga"]

#: Points of the automatic grid beyond which it turns coarse (exact on the first half).
MAX_POINTS = {3: 1_000_000, 4: 400_000, 5: 40_000}


# ---------------------------------------------------------------------------- graphs
@dataclass(frozen=True)
class DecomposableGraph:
    """A decomposable (chordal) graph on the lists ``0 .. k-1``.

    Attributes
    ----------
    k : int
        Number of vertices (lists).
    edges : tuple of (int, int)
        Edges ``(i, j)`` with ``i < j``, sorted.
    cliques : tuple of tuple of int
        Maximal cliques, in a perfect (running-intersection) order.
    separators : tuple of tuple of int
        The non-empty separators of that perfect sequence, ``C_j & (C_1 | ... | C_{j-1})``;
        a multiset (a separator may repeat). Empty ones (between connected components) are
        left out: they do not change the marginal likelihood.

    Notes
    -----
    Decomposable graphs and their clique/separator factorisation: Lauritzen (1996),
    *Graphical Models*, section 2.1.2; Dawid & Lauritzen (1993), Ann. Statist. 21:1272-1317.
    """

    k: int
    edges: tuple[tuple[int, int], ...]
    cliques: tuple[tuple[int, ...], ...]
    separators: tuple[tuple[int, ...], ...]

    def label(self, names: tuple[str, ...] | list[str] | None = None) -> str:
        """The cliques as text, e.g. ``"{1,2,3}{3,4}{2,5}"`` (1-based, as dga) or with list names.

        Parameters
        ----------
        names : sequence of str of length k, optional
            List names to use instead of the numbers ``1 .. k``.
        """
        if names is None:
            return "".join("{" + ",".join(str(v + 1) for v in c) + "}" for c in self.cliques)
        return "".join("{" + ",".join(str(names[v]) for v in c) + "}" for c in self.cliques)


def _is_chordal(k: int, adj: list[set[int]]) -> bool:
    # repeatedly remove a simplicial vertex (its neighbours form a clique)
    left = set(range(k))
    while left:
        for v in sorted(left):
            nb = adj[v] & left
            if all(b in adj[a] for a, b in itertools.combinations(sorted(nb), 2)):
                left.remove(v)
                break
        else:
            return False
    return True


def _maximal_cliques(k: int, adj: list[set[int]]) -> list[tuple[int, ...]]:
    cliques = [
        s
        for r in range(1, k + 1)
        for s in itertools.combinations(range(k), r)
        if all(b in adj[a] for a, b in itertools.combinations(s, 2))
    ]
    sets = [set(c) for c in cliques]
    return [c for c, s in zip(cliques, sets) if not any(s < t for t in sets)]


def _perfect_sequence(cliques: list[tuple[int, ...]]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    # the first ordering (largest cliques first) with the running intersection property
    order0 = sorted(cliques, key=lambda c: (-len(c), c))
    for perm in itertools.permutations(order0):
        seps = []
        seen: set[int] = set()
        ok = True
        for j, c in enumerate(perm):
            s = set(c) & seen
            if j and not any(s <= set(perm[i]) for i in range(j)):
                ok = False
                break
            seps.append(tuple(sorted(s)))
            seen |= set(c)
        if ok:
            return list(perm), [s for s in seps[1:] if s]
    raise AssertionError("no perfect sequence: the graph is not decomposable")  # pragma: no cover


@cache
def decomposable_graphs(k: int) -> tuple[DecomposableGraph, ...]:
    """All decomposable graphs on k labelled vertices, with cliques and separators.

    Enumerates the ``2^(k(k-1)/2)`` graphs and keeps the chordal ones (every cycle of
    length four or more has a chord): 8, 61 and 822 graphs for k = 3, 4, 5, the sizes of
    dga's ``graphs3``, ``graphs4`` and ``graphs5`` (OEIS A058862). Ordered by number of
    edges, then lexicographically by edge list (the independence graph first, the
    saturated graph last); dga's own numbering differs, compare graphs by their cliques.

    Parameters
    ----------
    k : int
        Number of vertices, 1 <= k <= 6 (beyond, enumeration is too slow).

    Returns
    -------
    tuple of DecomposableGraph, length 8 / 61 / 822 for k = 3 / 4 / 5

    Raises
    ------
    ValueError
        If k is outside 1..6.

    Notes
    -----
    Madigan & York (1997, Biometrika 84:19-31) average over exactly this class.
    """
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= 6:
        raise ValueError(f"k must be an integer between 1 and 6, got {k!r}")
    k = int(k)
    if k in _dga_graphs.GRAPHS:  # shipped (the enumeration below, stored: 30-300 ms per process saved)
        pairs = list(itertools.combinations(range(k), 2))
        members = [tuple(v for v in range(k) if m >> v & 1) for m in range(2**k)]
        graphs = []
        for entry in _dga_graphs.GRAPHS[k].split():  # "edges:cliques:separators" as bitmasks
            e, c, s = entry.split(":")
            edges = int(e)
            graphs.append(DecomposableGraph(
                k, tuple(p for j, p in enumerate(pairs) if edges >> j & 1),
                tuple(members[int(m)] for m in c.split(".")), tuple(members[int(m)] for m in s.split(".") if m)))
        return tuple(graphs)
    return _enumerate_graphs(k)


def _enumerate_graphs(k: int) -> tuple[DecomposableGraph, ...]:
    """Enumerate the decomposable graphs on k vertices (see :func:`decomposable_graphs`)."""
    k = int(k)
    pairs = list(itertools.combinations(range(k), 2))
    graphs = []
    for r in range(len(pairs) + 1):
        for edges in itertools.combinations(pairs, r):
            adj: list[set[int]] = [set() for _ in range(k)]
            for a, b in edges:
                adj[a].add(b)
                adj[b].add(a)
            if not _is_chordal(k, adj):
                continue
            cliques, seps = _perfect_sequence(_maximal_cliques(k, adj))
            graphs.append(DecomposableGraph(k, tuple(edges), tuple(cliques), tuple(seps)))
    return tuple(graphs)


@cache
def _coefficients(k: int) -> np.ndarray:
    """Matrix of shape (n_graphs, 2^k): +1 per clique, -1 per separator (columns = subset bitmasks),
    and in column 0 the number of factors Gamma(alpha)/Gamma(N + alpha), #cliques - #separators."""
    graphs = decomposable_graphs(k)
    b = np.zeros((len(graphs), 2**k))
    for g, graph in enumerate(graphs):
        for c in graph.cliques:
            b[g, sum(1 << v for v in c)] += 1
        for s in graph.separators:
            b[g, sum(1 << v for v in s)] -= 1
        b[g, 0] = len(graph.cliques) - len(graph.separators)
    b.setflags(write=False)
    return b


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class DGAResult:
    """Model-averaged posterior of the population size N over decomposable graphs.

    Attributes
    ----------
    n_observed : int
        Persons registered by at least one list (n).
    lists : tuple of str, length k
        The list names; graph labels use them (``graphs["cliques"]``) or 1-based numbers
        (``graphs["dga_cliques"]``, as dga prints them).
    delta : float
        Hyper-Dirichlet prior observations per cell of the full table.
    prior : str
        The prior on N ("1/N", "uniform" or "custom").
    nmissing : ndarray of int64, shape (M,)
        The grid of candidate numbers of unregistered persons.
    widths : ndarray of float, shape (M,)
        How many integers each grid point stands for (1 on an exact grid; the coarse step
        in the far tail of a wide automatic grid; 1 everywhere for a user grid).
    probabilities : ndarray of float, shape (M,)
        Posterior probability of each grid point (sums to 1).
    median, mean : float
        Posterior median (first grid value of N whose cumulative probability reaches 0.5)
        and mean of N.
    ci_low, ci_high : float
        Equal-tailed credible interval of N at `level` (first grid values reaching
        ``(1 - level)/2`` and ``(1 + level)/2``).
    level : float
        Credible level, e.g. 0.95.
    graph_weights : ndarray of float, shape (n_graphs,)
        Posterior probability of every graph, in the order of ``decomposable_graphs(k)``.
    graphs : pandas.DataFrame, shape (n_top, 7)
        The most probable graphs: ``rank``, ``index`` (into ``decomposable_graphs(k)``),
        ``cliques`` (list names), ``dga_cliques`` (1-based), ``weight`` (posterior
        probability) and ``median``/``mean`` of N given that graph.
    grid_limit : int
        Largest ``Nmissing`` on the grid.
    grid_step : int
        Step of the coarse part of the grid (1 when exact throughout).
    edge_mass : float
        Posterior mass of the grid's top 1% (``Nmissing >= 0.99 * grid_limit``).
    widenings : int
        How many times the automatic grid was widened x4 (0 for a user grid).
    warnings : tuple of str
        Problems: mass left at the grid's edge (the posterior is truncated), covariates
        summed over.
    seconds : float
        Wall time of the computation.
    """

    n_observed: int
    lists: tuple[str, ...]
    delta: float
    prior: str
    nmissing: np.ndarray = field(repr=False)
    widths: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    median: float
    mean: float
    ci_low: float
    ci_high: float
    level: float
    graph_weights: np.ndarray = field(repr=False)
    graphs: pd.DataFrame = field(repr=False)
    grid_limit: int
    grid_step: int
    edge_mass: float
    widenings: int
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def k(self) -> int:
        """Number of lists."""
        return len(self.lists)

    @property
    def N(self) -> np.ndarray:
        """Grid of population sizes ``n + nmissing``, ndarray of shape (M,)."""
        return self.n_observed + self.nmissing

    @property
    def interval(self) -> tuple[float, float]:
        """The equal-tailed credible interval ``(ci_low, ci_high)``."""
        return (self.ci_low, self.ci_high)

    def quantile(self, q: float | np.ndarray) -> float | np.ndarray:
        """Posterior quantile(s) of N: the first grid value whose cumulative probability reaches q.

        Parameters
        ----------
        q : float or ndarray of shape (m,), in [0, 1]

        Raises
        ------
        ValueError
            If q is outside [0, 1].
        """
        return _quantile(self.N, np.cumsum(self.probabilities), q)

    def summary(self) -> pd.DataFrame:
        """One-row table: method, N-hat (median), interval, mean, top graph and its weight."""
        top = self.graphs.iloc[0] if len(self.graphs) else None
        return pd.DataFrame(
            {
                "method": ["dga"],
                "nhat": [self.median],
                "lower": [self.ci_low],
                "upper": [self.ci_high],
                "interval": [f"{self.level:.0%} equal-tailed credible"],
                "mean": [self.mean],
                "top_graph": [None if top is None else top["cliques"]],
                "top_weight": [None if top is None else top["weight"]],
                "warnings": ["; ".join(self.warnings)],
            }
        )

    def __str__(self) -> str:
        w = "".join(f"\n  warning: {m}" for m in self.warnings)
        top = self.graphs.iloc[0]
        return (
            f"dga (Madigan & York BMA over {len(self.graph_weights)} decomposable graphs, delta={self.delta:g}, "
            f"prior {self.prior}): N median {self.median:,.0f}, {self.level:.0%} CrI "
            f"[{self.ci_low:,.0f}, {self.ci_high:,.0f}], mean {self.mean:,.1f}; n = {self.n_observed:,}; "
            f"top graph {top['cliques']} ({top['weight']:.3f}){w}"
        )


# ---------------------------------------------------------------------------- computation
def _quantile(values: np.ndarray, cdf: np.ndarray, q):
    q_arr = np.asarray(q, dtype=float)
    if np.any(~np.isfinite(q_arr)) or np.any((q_arr < 0) | (q_arr > 1)):
        raise ValueError(f"quantile levels must be in [0, 1], got {q!r}")
    idx = np.minimum(np.searchsorted(cdf, q_arr, side="left"), len(values) - 1)
    out = values[idx].astype(float)
    return float(out) if out.ndim == 0 else out


def _pattern_counts(h: CaptureHistories) -> np.ndarray:
    """Counts y of shape (2^k,) indexed by the bitmask of the lists (bit j = list j); y[0] = 0."""
    t = h.table
    x = t[list(h.lists)].to_numpy(dtype=np.int64)
    codes = x @ (1 << np.arange(h.k, dtype=np.int64))
    return np.bincount(codes, weights=t["count"].to_numpy(dtype=float), minlength=2**h.k)


class _Model:
    """Graph-independent pieces of the log posterior for counts y (shape (2^k,)) and delta."""

    def __init__(self, y: np.ndarray, k: int, delta: float, log_prior: Callable[[np.ndarray], np.ndarray]):
        self.k, self.delta, self.log_prior = k, delta, log_prior
        self.n = float(y.sum())
        self.alpha = delta * 2**k
        codes = np.arange(2**k)
        # per non-empty subset A (bitmask): constant part of the marginal table's Dirichlet term,
        # the count in its all-zero cell, and its per-cell prior delta_A (MakeCompMatrix/CompLogML)
        self.const = np.zeros(2**k)
        self.zero_cell = np.zeros(2**k)
        self.delta_a = np.full(2**k, self.alpha)
        for a in range(1, 2**k):
            size = bin(a).count("1")
            da = delta * 2 ** (k - size)
            marg = np.bincount(codes & a, weights=y, minlength=2**k)
            cells = [s for s in range(1, 2**k) if s & a == s]  # non-zero sub-masks of A
            self.const[a] = gammaln(marg[cells] + da).sum() - 2**size * gammaln(da)
            self.zero_cell[a] = marg[0]
            self.delta_a[a] = da
        self.log_y_fact = float(gammaln(y[1:] + 1).sum())
        self.coef = _coefficients(k)
        # the subsets by size, for the tabulated log Gamma of `components`
        self._span = max(max(256, 2_000_000 // self.coef.shape[0]), 65_536)
        self._coarse: dict[tuple, np.ndarray] = {}  # components of the last coarse stretch evaluated
        self._by_size = [np.array([a for a in range(1, 2**k) if bin(a).count("1") == r]) for r in range(1, k + 1)]

    def components(self, nm: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Rows of shape (2^k, M): row A = log Dirichlet-multinomial pieces of marginal A, row 0 the
        normalising factor ``log Gamma(alpha) - log Gamma(N + alpha)``. With `rows` (bool, shape
        (2^k,)) only those rows are computed; the others are 0."""
        nm = np.asarray(nm)
        m = nm.shape[0]
        out = np.zeros((2**self.k, m))
        want = np.ones(2**self.k, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
        span = int(nm[-1] - nm[0]) + 1 if m else 0
        for members in self._by_size:
            members = members[want[members]]
            if members.size == 0:
                continue
            z = self.zero_cell[members].astype(np.int64)
            width = span + int(z.max() - z.min())
            if m > 1 and width < members.size * m:
                # the subsets of one size share delta_A and their all-zero cells differ by integers, so
                # log Gamma is tabulated once on the integers their arguments cover (the same arguments,
                # the same values; on the exact part of the grid 2^k rows cost k)
                lo = int(nm[0]) + int(z.min())
                table = gammaln(np.arange(lo, lo + width) + self.delta_a[members[0]])
                out[members] = table[(nm - lo)[None, :] + z[:, None]]
            else:
                out[members] = gammaln(nm[None, :] + self.zero_cell[members, None] + self.delta_a[members, None])
            out[members] += self.const[members, None]
        if want[0]:
            out[0] = gammaln(self.alpha) - gammaln(nm + self.n + self.alpha)
        return out

    def common(self, nm: np.ndarray, widths: np.ndarray) -> np.ndarray:
        """Graph-independent log terms of shape (M,): multinomial coefficient, prior, log(width)."""
        lp = np.asarray(self.log_prior(nm + self.n), dtype=float)
        if lp.shape != nm.shape:
            raise ValueError(f"the prior returned shape {lp.shape}, expected {nm.shape} (one value per N)")
        return gammaln(nm + self.n + 1) - self.log_y_fact - gammaln(nm + 1) + lp + np.log(widths)

    def evaluate(self, nm: np.ndarray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log posterior (unnormalised) summed over the graphs per grid point, shape (M,), and summed
        over the grid per graph, shape (G,)."""
        g = self.coef.shape[0]
        # the graph-independent terms ride in the product as one more component (a column of ones)
        coef = np.hstack([self.coef, np.ones((g, 1))])
        chunk = max(256, 2_000_000 // g)
        span = self._span  # components are computed (tabulated) over spans of this many points
        self._coarse.clear()
        log_pn = np.empty(nm.shape[0])
        log_pg = np.full(g, -np.inf)
        for s0 in range(0, nm.shape[0], span):
            sl = slice(s0, s0 + span)
            part = nm[sl]
            if part.shape[0] > 1 and part[-1] - part[0] != part.shape[0] - 1:
                # a coarse stretch: its log Gamma terms (not tabulated) are kept for the top graphs' rows
                c = self._coarse[_key(part)] = self.components(part)
            else:
                c = self.components(part)
            comp = np.vstack([c, self.common(part, widths[sl])[None, :]])
            for s in range(0, comp.shape[1], chunk):
                w = coef @ comp[:, s : s + chunk]
                colmax = w.max(axis=0)
                colmax[~np.isfinite(colmax)] = 0.0  # a column of -inf (prior zero there) stays -inf
                w -= colmax
                np.exp(w, out=w)
                top = colmax.max()
                with np.errstate(divide="ignore"):
                    log_pn[s0 + s : s0 + s + w.shape[1]] = colmax + np.log(w.sum(axis=0))
                    log_pg = np.logaddexp(log_pg, top + np.log(w @ np.exp(colmax - top)))
        return log_pn, log_pg

    def graph_rows(self, rows: np.ndarray, nm: np.ndarray, widths: np.ndarray) -> np.ndarray:
        """Full log weights (unnormalised) of the graphs `rows`, shape (len(rows), M)."""
        coef = self.coef[rows]
        need = np.any(coef != 0, axis=0)
        m = nm.shape[0]
        p = m if nm[-1] - nm[0] == m - 1 else int(np.argmax(nm != nm[0] + np.arange(m)))  # consecutive prefix
        comp = [self.components(nm[:p], need)] if p else []
        comp += [self._coarse.get(_key(c)) if _key(c) in self._coarse else self.components(c, need)
                 for c in np.split(nm[p:], np.arange(self._span, m - p, self._span))] if p < m else []
        return coef @ np.hstack(comp) + self.common(nm, widths)


def _key(nm: np.ndarray) -> tuple:
    """Identity of a stretch of the grid (for the components kept by ``_Model.evaluate``)."""
    return (nm.shape[0], int(nm[0]), int(nm[-1]), hash(nm.tobytes())) if nm.shape[0] else (0,)


class _GridCache:
    """Sums over the exact (step 1) prefix ``0 .. E-1`` of the grid, reused while the grid widens.

    The per-graph sums are kept at every multiple of `block` points, so when the grid turns
    coarse and its exact prefix shrinks (``max_points / 2`` after ``top`` points), only the
    points since the last kept boundary are summed again (not the whole prefix).
    """

    def __init__(self, model: _Model, block: int = 16_384):
        self.model, self.block = model, block
        self.log_pn = np.empty(0)
        self.marks = {0: np.full(model.coef.shape[0], -np.inf)}  # prefix end -> per-graph log sums

    def _extend(self, nm: np.ndarray, widths: np.ndarray, exact: int) -> None:
        """Sum the exact prefix up to `exact`, in pieces that end at the multiples of `block`."""
        e0 = self.log_pn.shape[0]
        pg = self.marks[e0]
        pns = [self.log_pn]
        while e0 < exact:
            e1 = min(exact, (e0 // self.block + 1) * self.block)
            pn, g = self.model.evaluate(nm[e0:e1], widths[e0:e1])
            pns.append(pn)
            pg = np.logaddexp(pg, g)
            self.marks[e1] = pg
            e0 = e1
        self.log_pn = np.concatenate(pns)

    def evaluate(self, nm: np.ndarray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior over a grid of missing counts for every graph."""
        ok = (nm == np.arange(nm.shape[0])) & (widths == 1)
        exact = nm.shape[0] if ok.all() else int(np.argmin(ok))
        if exact < self.log_pn.shape[0]:  # the exact part shrank (grid turned coarse): back to a kept boundary
            back = max(b for b in self.marks if b <= exact)
            self.log_pn = self.log_pn[:back]
            self.marks = {b: v for b, v in self.marks.items() if b <= back}
        self._extend(nm, widths, exact)
        log_pg = self.marks[exact]
        if exact == nm.shape[0]:
            return self.log_pn.copy(), log_pg.copy()
        pn, pg = self.model.evaluate(nm[exact:], widths[exact:])
        return np.concatenate([self.log_pn, pn]), np.logaddexp(log_pg, pg)


def _auto_grid(top: int, max_points: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Grid 0..top; beyond ``max_points`` points exact on the first half, then a coarse step."""
    if top + 1 <= max_points:
        return np.arange(top + 1, dtype=np.int64), np.ones(top + 1), 1
    half = max_points // 2
    last_exact = half - 1
    step = math.ceil((top - last_exact) / half)
    coarse = last_exact + step * np.arange(1, (top - last_exact) // step + 1, dtype=np.int64)
    nm = np.concatenate([np.arange(half, dtype=np.int64), coarse])
    widths = np.concatenate([np.ones(half), np.full(coarse.shape[0], float(step))])
    return nm, widths, step


def _edge_mass(nm: np.ndarray, prob: np.ndarray) -> float:
    return float(prob[nm >= 0.99 * nm[-1]].sum()) if nm[-1] > 0 else float(prob[-1])


def _log_prior_fn(prior) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
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


@single_threaded
def dga(
    histories: CaptureHistories,
    delta: float | None = None,
    prior: str | Callable[[np.ndarray], np.ndarray] = "1/N",
    nmissing: np.ndarray | list[int] | None = None,
    *,
    level: float = 0.95,
    n_top: int = 10,
    tail_tol: float = 1e-6,
    max_points: int | None = None,
    max_nmissing: float = 1e11,
) -> DGAResult:
    """Bayesian model averaging over decomposable graphical models (dga ``bma.cr``).

    Parameters
    ----------
    histories : CaptureHistories
        Capture histories of 3, 4 or 5 lists. Covariates are summed over (with a warning).
    delta : float, optional
        Hyper-Dirichlet prior observations per cell of the ``2^k`` table. Default ``2^-k``
        (dga's suggestion).
    prior : {"1/N", "uniform"} or callable, default "1/N"
        Prior on N. "1/N" is dga's default ``log prior = -log(N)``; a callable receives the
        ndarray of N values (shape (M,)) and returns the log prior of the same shape (e.g.
        Madigan & York's negative binomial).
    nmissing : array_like of int, shape (M,), optional
        Candidate numbers of unregistered persons, increasing, >= 0 (as dga's ``Nmissing``).
        Default: the automatic grid (module docstring): ``0 .. max(2000, 20 n)``, widened x4
        until the posterior mass in its top 1% is below `tail_tol`. A user grid is used as
        given and only checked.
    level : float, default 0.95
        Level of the equal-tailed credible interval.
    n_top : int, default 10
        Number of graphs in ``result.graphs``.
    tail_tol : float, default 1e-6
        Largest acceptable posterior mass in the top 1% of the grid.
    max_points : int, optional
        Points beyond which the automatic grid turns coarse (exact on its first half).
        Default 40,000 / 400,000 / 1,000,000 for 5 / 4 / 3 lists, the reference runs'.
    max_nmissing : float, default 1e11
        The automatic grid stops widening here; a warning says so if mass is still at
        its edge (a posterior that heavy-tailed is close to improper).

    Returns
    -------
    DGAResult

    Raises
    ------
    TypeError
        If `histories` is not a CaptureHistories.
    ValueError
        Fewer than 3 or more than 5 lists (the message names the alternatives); nobody
        observed; `delta` not positive; unknown `prior`; a `nmissing` grid that is empty,
        negative, fractional or not increasing; a prior returning a wrong shape or no
        finite value; `level`, `tail_tol` or `max_points` out of range.

    Notes
    -----
    Madigan, D. & York, J. C. (1997). Bayesian methods for estimation of the size of a
    closed population. Biometrika 84(1):19-31 (section 3, eq. 3.2 and the hyper-Dirichlet
    prior of Dawid & Lauritzen 1993). Johndrow, J., Lum, K. & Ball, P. dga: Capture-Recapture
    Estimation using Bayesian Model Averaging, R package (``bma.cr``). The per-point log
    weights equal dga's; the normalisation differs only in avoiding underflow.
    """
    t0 = time.perf_counter()
    if not isinstance(histories, CaptureHistories):
        raise TypeError(f"histories must be a CaptureHistories, got {type(histories).__name__}")
    k = histories.k
    if not 3 <= k <= 5:
        raise ValueError(
            f"dga averages over decomposable graphs of 3 to 5 lists; these data have {k} lists "
            f"({', '.join(histories.lists)}). For {'more' if k > 5 else 'fewer'} lists use the log-linear "
            "search (darkfigure.loglinear), LCMCR, or "
            + ("merge or drop lists (CaptureHistories.drop_lists) to reach 5." if k > 5 else "Mt/M0.")
        )
    warns: list[str] = []
    if histories.covariates:
        warns.append(f"covariates {', '.join(histories.covariates)} summed over: dga uses the list table only")
        histories = histories.collapse()
    y = _pattern_counts(histories)
    n = int(round(y.sum()))
    if n <= 0:
        raise ValueError("nobody was observed: the table has no positive count")
    if delta is None:
        delta = 2.0**-k
    if not isinstance(delta, (int, float, np.floating, np.integer)) or not (np.isfinite(delta) and delta > 0):
        raise ValueError(f"delta must be a positive number, got {delta!r}")
    delta = float(delta)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if not 0 < tail_tol < 1:
        raise ValueError(f"tail_tol must be in (0, 1), got {tail_tol!r}")
    if max_points is None:
        max_points = MAX_POINTS[k]
    if int(max_points) < 4:
        raise ValueError(f"max_points must be at least 4, got {max_points!r}")
    log_prior, prior_name = _log_prior_fn(prior)
    model = _Model(y, k, delta, log_prior)

    widenings = 0
    if nmissing is not None:
        nm = np.asarray(nmissing)
        if nm.ndim != 1 or nm.size == 0:
            raise ValueError("nmissing must be a non-empty 1-D array of candidate numbers of unregistered persons")
        if not np.issubdtype(nm.dtype, np.number) or np.any(~np.isfinite(nm)) or np.any(nm != np.round(nm)):
            raise ValueError("nmissing must hold whole numbers")
        if np.any(nm < 0):
            raise ValueError(f"nmissing must be >= 0, got minimum {nm.min()}")
        nm = nm.astype(np.int64)
        if np.any(np.diff(nm) <= 0):
            raise ValueError("nmissing must be strictly increasing")
        widths = np.ones(nm.shape[0])
        step = 1
        log_pn, log_pg = model.evaluate(nm, widths)
    else:
        top = max(2000, 20 * n)
        cache = _GridCache(model)
        while True:
            nm, widths, step = _auto_grid(top, int(max_points))
            log_pn, log_pg = cache.evaluate(nm, widths)
            total = logsumexp(log_pn)
            if not np.isfinite(total):
                break
            if _edge_mass(nm, np.exp(log_pn - total)) < tail_tol or top * 4 > max_nmissing:
                break
            top *= 4
            widenings += 1

    total = logsumexp(log_pn)
    if not np.isfinite(total):
        raise ValueError("the posterior is zero on the whole grid: check the prior (it must be finite somewhere)")
    prob = np.exp(log_pn - total)
    weights = np.exp(log_pg - logsumexp(log_pg))
    edge = _edge_mass(nm, prob)
    if edge >= tail_tol:
        where = "the given nmissing grid" if nmissing is not None else f"the grid (stopped at Nmissing = {nm[-1]:,})"
        warns.append(
            f"posterior mass {edge:.2g} in the top 1% of {where}: the posterior of N is truncated there (it may be "
            "improper: a tail this heavy does not vanish) and its mean and upper quantiles are too low" + ("; widen nmissing" if nmissing is not None else "")
        )
    big = float(prob[0]) if nm[0] == 0 else 0.0
    if big > 0.5 * (1 - level):
        warns.append(
            f"posterior probability {big:.3f} that nobody was missed (N = n): the saturated and near-saturated graphs "
            "fit the data exactly; the lower bound is the observed count"
        )

    N = n + nm
    cdf = np.cumsum(prob)
    lo, med, hi = _quantile(N, cdf, np.array([(1 - level) / 2, 0.5, (1 + level) / 2]))
    mean = float(np.dot(N, prob))

    graphs = decomposable_graphs(k)
    order = np.argsort(-weights, kind="stable")[: max(1, int(n_top))]
    top_w = model.graph_rows(order, nm, widths)
    rows = []
    for r, (g, lw) in enumerate(zip(order, top_w)):
        p = np.exp(lw - logsumexp(lw))
        rows.append(
            {
                "rank": r + 1,
                "index": int(g),
                "cliques": graphs[g].label(histories.lists),
                "dga_cliques": graphs[g].label(),
                "weight": float(weights[g]),
                "median": _quantile(N, np.cumsum(p), 0.5),
                "mean": float(np.dot(N, p)),
            }
        )
    return DGAResult(
        n_observed=n,
        lists=tuple(histories.lists),
        delta=delta,
        prior=prior_name,
        nmissing=nm,
        widths=widths,
        probabilities=prob,
        median=med,
        mean=mean,
        ci_low=lo,
        ci_high=hi,
        level=level,
        graph_weights=weights,
        graphs=pd.DataFrame(rows),
        grid_limit=int(nm[-1]),
        grid_step=int(step),
        edge_mass=edge,
        widenings=widenings,
        warnings=tuple(warns),
        seconds=time.perf_counter() - t0,
    )
