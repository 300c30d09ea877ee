"""Checking tools of :mod:`darkfigure.sensitivity`: the k-way contrast that defines psi, and populations
with a known violation of the identifying assumption (:func:`simulate_kway`), for tests and benchmarks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

# ----------------------------------------------------------------------------------------
# checking tools: the contrast that defines psi, and populations with a known violation


def kway_contrast(m: np.ndarray, k: int) -> np.ndarray:
    """The k-way list interaction ``sum_w (-1)^(k - |w|) log m_w`` of complete tables.

    Parameters
    ----------
    m : ndarray of shape (..., 2^k)
        Expected (or fitted) counts of the 2^k capture patterns, pattern index
        ``sum_j x_j 2^j`` (the first list varying fastest, as :class:`CompleteTable`).
    k : int

    Returns
    -------
    ndarray of shape (...)
        lambda_1..k (corner-point coding); psi = exp((-1)^k lambda).
    """
    m = np.asarray(m, dtype=float)
    if m.shape[-1] != 2**k:
        raise ValueError(f"the last axis must have 2^k = {2**k} patterns, got {m.shape[-1]}")
    bits = np.array([bin(i).count("1") for i in np.arange(2**k)])
    sign = np.where((k - bits) % 2 == 0, 1.0, -1.0)
    with np.errstate(divide="ignore"):
        return np.log(m) @ sign


def simulate_kway(
    n_population: int | Sequence[int],
    capture: Sequence[float] | np.ndarray,
    *,
    pairwise: float | np.ndarray = 0.0,
    psi: float = 1.0,
    seed: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """A closed population on k lists whose k-way interaction is known (a violation of size psi).

    Each person's capture history is drawn from the log-linear distribution

        log p_w = const + sum_j a_j x_j + sum_{i<j} b_ij x_i x_j + (-1)^k log(psi) x_1 ... x_k,

    with the main effects set so that list j alone (everyone else absent) would have
    odds ``capture_j / (1 - capture_j)``. Every stratum has its own main effects and
    pairwise terms but the same psi (the definition of the module docstring).

    Parameters
    ----------
    n_population : int or sequence of int
        Persons per stratum (one stratum for an int; strata get a covariate ``stratum``).
    capture : array of shape (k,) or (n_strata, k)
        Baseline capture probabilities in (0, 1).
    pairwise : float or array of shape (k, k) or (n_strata, k, k)
        Two-list interactions b_ij (upper triangle used); a float is the same for all pairs.
    psi : float
        The violation (1: the usual assumption holds).
    seed : int, optional

    Returns
    -------
    (DataFrame, int)
        The observed aggregated table (list columns ``L1..Lk``, ``stratum`` when several,
        ``count``), and the true population size (the number drawn).
    """
    rng = np.random.default_rng(seed)
    sizes = np.atleast_1d(np.asarray(n_population, dtype=np.int64))
    cap = np.atleast_2d(np.asarray(capture, dtype=float))
    s, k = len(sizes), cap.shape[1]
    if cap.shape[0] == 1 and s > 1:
        cap = np.repeat(cap, s, axis=0)
    if np.any(cap <= 0) or np.any(cap >= 1):
        raise ValueError("capture probabilities must lie in (0, 1)")
    if psi <= 0:
        raise ValueError("psi must be positive")
    pw = np.asarray(pairwise, dtype=float)
    if pw.ndim == 0:
        pw = np.full((s, k, k), float(pw))
    elif pw.ndim == 2:
        pw = np.repeat(pw[None], s, axis=0)
    pats = ((np.arange(2**k)[:, None] >> np.arange(k)[None, :]) & 1).astype(float)  # (2^k, k), list 1 fastest
    rows = []
    for i in np.arange(s):
        a = np.log(cap[i] / (1 - cap[i]))
        eta = pats @ a
        for p in np.arange(k):
            for q in np.arange(p + 1, k):
                eta = eta + pw[i, p, q] * pats[:, p] * pats[:, q]
        eta = eta + ((-1) ** k) * math.log(psi) * pats.prod(axis=1)
        prob = np.exp(eta - eta.max())
        prob /= prob.sum()
        counts = rng.multinomial(int(sizes[i]), prob)
        for j in np.arange(1, 2**k):
            if counts[j]:
                r = {f"L{c + 1}": int(pats[j, c]) for c in np.arange(k)}
                if s > 1:
                    r["stratum"] = f"s{i + 1}"
                r["count"] = int(counts[j])
                rows.append(r)
    return pd.DataFrame(rows), int(sizes.sum())
