"""Decomposable (chordal) graphs on k labelled lists, with their cliques and separators (for dga).

:func:`decomposable_graphs` serves the shipped lists of :mod:`._dga_graphs` for 3-5 lists and enumerates
otherwise (:func:`_enumerate_graphs`, which also regenerates the shipped lists: ``scripts/dga_graphs.py``).
Moved out of :mod:`darkfigure.bayes.dga`, which re-exports the public names.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np

from . import _dga_graphs

__all__ = ["DecomposableGraph", "decomposable_graphs"]


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
