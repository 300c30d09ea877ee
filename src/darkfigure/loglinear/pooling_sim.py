"""Stratified populations with a known truth for checking partial pooling (:mod:`.pooling`).

Each stratum s has N_s persons (drawn uniformly between two bounds) whose capture
histories follow a log-linear model with stratum-specific list effects,

    P(pattern x | s) ∝ exp( sum_j x_j (theta_j + u_js) + sum_{j<l} gamma_jl x_j x_l ),

the all-zero pattern (never registered) having weight 1. ``theta_j`` is the logit of
list j's capture probability in a typical stratum; ``u_js`` the list x stratum
deviation, drawn from

- ``"normal"``: N(0, tau^2) (the mixed model's own assumption; used to tune), or
- ``"two-point"``: a skewed two-point distribution with mean 0: ``+tau / sqrt(pi (1 - pi) / (1 - pi)^2 ...)``
  scaled so that its standard deviation is tau, with a small share ``pi`` of strata far
  above the rest (a few subgroups much more visible to one list) — a shape the mixed
  model does not assume (used to report, not to tune).

Counts are multinomial(N_s, P(. | s)), so N_s (the truth) is exact for every stratum.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
import pandas as pd

from ..histories import CaptureHistories
from ..io import read_histories

__all__ = ["StratifiedPopulation", "simulate_strata", "EFFECTS"]

EFFECTS = ("normal", "two-point")


@dataclass
class StratifiedPopulation:
    """A simulated stratified population.

    Attributes
    ----------
    histories : CaptureHistories
        Aggregated capture histories; covariate ``stratum`` (levels ``s00``, ``s01``, ...).
    sizes : ndarray of int, shape (n_strata,)
        True N_s per stratum, in the order of the levels.
    effects : ndarray, shape (k, n_strata)
        The list x stratum deviations u_js drawn.
    interactions : list of str
        The list x list interactions in the truth (``"A:B"``), to give the fitted model.
    """

    histories: CaptureHistories
    sizes: np.ndarray
    effects: np.ndarray
    interactions: list[str]

    @property
    def total(self) -> int:
        """True N."""
        return int(self.sizes.sum())


def simulate_strata(
    n_strata: int = 20,
    *,
    size_range: tuple[int, int] = (20, 100),
    capture: tuple[float, ...] = (0.3, 0.35, 0.25),
    tau: float = 0.5,
    effects: str = "normal",
    share_high: float = 0.2,
    gamma: dict[tuple[int, int], float] | None = None,
    seed: int | None = None,
) -> StratifiedPopulation:
    """Draw one stratified population and its capture histories.

    Parameters
    ----------
    n_strata : int
        Number of strata (levels of covariate ``stratum``), at least 2.
    size_range : (int, int)
        N_s uniform on these bounds (inclusive).
    capture : tuple of float
        Capture probability of each list in a typical stratum (k = len(capture) lists
        ``A``, ``B``, ...), each in (0, 1).
    tau : float
        Standard deviation of the list x stratum deviations (logit scale).
    effects : {"normal", "two-point"}
        Distribution of the deviations (see the module docstring).
    share_high : float
        Share of strata at the upper point (``"two-point"``).
    gamma : dict {(j, l): float}, optional
        List x list interactions (log odds ratios) common to all strata.
    seed : int, optional

    Returns
    -------
    StratifiedPopulation

    Raises
    ------
    ValueError
        Bad parameters.
    """
    if n_strata < 2:
        raise ValueError("n_strata must be at least 2")
    if effects not in EFFECTS:
        raise ValueError(f"effects must be one of {EFFECTS}, not {effects!r}")
    p = np.asarray(capture, dtype=float)
    if p.ndim != 1 or len(p) < 2 or np.any((p <= 0) | (p >= 1)):
        raise ValueError("capture must hold at least two probabilities in (0, 1)")
    lo, hi = size_range
    if not 1 <= lo <= hi:
        raise ValueError("size_range must be (low, high) with 1 <= low <= high")
    if not 0 < share_high < 1:
        raise ValueError("share_high must be in (0, 1)")
    rng = np.random.default_rng(seed)
    k = len(p)
    names = [chr(ord("A") + j) for j in range(k)]
    theta = np.log(p / (1 - p))
    if effects == "normal":
        u = rng.normal(0.0, tau, size=(k, n_strata))
    else:
        # two points a > 0 > b with mean 0 and standard deviation tau: a = tau sqrt((1-pi)/pi), b = -tau sqrt(pi/(1-pi))
        high = rng.random((k, n_strata)) < share_high
        a = tau * np.sqrt((1 - share_high) / share_high)
        b = -tau * np.sqrt(share_high / (1 - share_high))
        u = np.where(high, a, b)
    pats = np.array(list(product([0, 1], repeat=k)), dtype=float)  # row 0 is the all-zero pattern
    logw = (pats @ (theta[:, None] + u))  # (2^k, n_strata)
    gamma = gamma or {}
    for (j, m), g in gamma.items():
        logw += g * (pats[:, j] * pats[:, m])[:, None]
    w = np.exp(logw - logw.max(axis=0))
    prob = w / w.sum(axis=0)
    sizes = rng.integers(lo, hi + 1, size=n_strata)
    counts = np.stack([rng.multinomial(int(sizes[s]), prob[:, s]) for s in range(n_strata)], axis=1)
    width = len(str(n_strata - 1))
    levels = [f"s{s:0{max(width, 2)}d}" for s in range(n_strata)]
    rows = []
    for i in range(1, len(pats)):
        for s in range(n_strata):
            if counts[i, s]:
                rows.append([*pats[i].astype(int), levels[s], int(counts[i, s])])
    df = pd.DataFrame(rows, columns=[*names, "stratum", "count"])
    h = read_histories(df, lists=names, covariates=["stratum"], count="count")
    inter = [f"{names[j]}:{names[m]}" for (j, m) in sorted(gamma) if gamma[(j, m)] != 0]
    # strata where nobody was seen vanish from the histories' levels: keep the truth aligned with the levels seen
    seen = [levels.index(str(lv)) for lv in h.levels["stratum"]]
    return StratifiedPopulation(histories=h, sizes=sizes[seen], effects=u[:, seen], interactions=inter)


def all_pairs(k: int) -> list[tuple[int, int]]:
    """Index pairs of k lists (helper for `gamma`)."""
    return list(combinations(range(k), 2))


def evaluate(pop: StratifiedPopulation, *, reps: int = 200, seed: int | None = None, level: float = 0.95,
             components: str = "list") -> pd.DataFrame:
    """Pooled and unpooled N̂ of every stratum of one simulated population against the truth.

    Fits the true list x list interactions (so the comparison isolates pooling): the fully
    stratified fixed-effects model (unpooled) and the mixed-effects model (pooled, with its
    bootstrap interval).

    Parameters
    ----------
    pop : StratifiedPopulation
    reps : int
        Bootstrap replicates of the pooled interval.
    seed : int, optional
    level : float
    components : {"list", "common"}

    Returns
    -------
    DataFrame, one row per stratum
        ``truth, observed, unpooled`` (NaN where the stratified MLE gives no identified N̂),
        ``pooled, lower, upper, covered``, ``max_abs_effect`` (largest |u_js| of the stratum) and
        ``components_at_floor`` (variance components estimated 0 in this population).
    """
    from .design import CompleteTable
    from .pooling import partial_pooling
    from .terms import LogLinearModel, parse_terms

    t = CompleteTable(pop.histories)
    m = LogLinearModel.make(t.variables, parse_terms(pop.interactions))
    r = partial_pooling(t, m, groups=[("stratum",)], reps=reps, seed=seed, level=level, components=components)
    tab = r.table
    out = pd.DataFrame({
        "truth": pop.sizes.astype(float),
        "observed": tab["observed"].to_numpy(dtype=float),
        "unpooled": tab["nhat_stratified"].to_numpy(dtype=float),
        "pooled": tab["nhat_pooled"].to_numpy(dtype=float),
        "lower": tab["lower_pooled"].to_numpy(dtype=float),
        "upper": tab["upper_pooled"].to_numpy(dtype=float),
    })
    out["covered"] = (out["lower"] <= out["truth"]) & (out["truth"] <= out["upper"])
    # for diagnosing where an interval misses: how far the stratum's own list effects lie from the rest, and
    # how many variance components the data put at 0 (complete pooling)
    out["max_abs_effect"] = np.abs(pop.effects).max(axis=0)
    out["components_at_floor"] = int(np.sum(r.fit.variances <= 1.0001e-8))
    return out
