"""Stratified populations with a known truth, and multiple-imputation replicates of a missing stratum column.

Each stratum (``region`` x ``period``) has its own size N_s and its own capture probability per
list; within a stratum the lists register persons independently and homogeneously, so the
log-linear main-effects model (and LCMCR) are right per stratum. A share of the observed
persons then lose their ``region`` (missing completely at random); :func:`impute_replicates`
fills it M times by proper multiple imputation (Rubin 1987, ch. 3): for every (period, capture
pattern) cell, region shares are drawn from their Dirichlet posterior given the complete cases,
then each missing region from those shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["StratifiedPopulation", "simulate_strata", "impute_replicates"]


@dataclass
class StratifiedPopulation:
    """A simulated stratified population.

    Attributes
    ----------
    persons : DataFrame
        One row per observed person: list columns (0/1), ``region``, ``period`` (the true values).
    truth : DataFrame
        One row per stratum: ``region``, ``period``, ``N`` (true size), ``observed``.
    lists : tuple of str
    """

    persons: pd.DataFrame
    truth: pd.DataFrame
    lists: tuple

    @property
    def total(self) -> int:
        """True population size summed over strata."""
        return int(self.truth["N"].sum())


def simulate_strata(
    regions: int = 10,
    periods: int = 5,
    *,
    lists: int = 3,
    size: tuple[int, int] = (150, 1500),
    capture: tuple[float, float] = (0.15, 0.45),
    seed: int | None = None,
) -> StratifiedPopulation:
    """Draw a stratified population and who of it each list registered.

    Parameters
    ----------
    regions, periods : int
        Strata are every region x period (``regions * periods`` strata).
    lists : int
        Number of lists (>= 2), named A, B, C, ...
    size : (int, int)
        Stratum sizes N_s are drawn log-uniformly between these.
    capture : (float, float)
        Each list's capture probability in each stratum is uniform between these.
    seed : int, optional

    Returns
    -------
    StratifiedPopulation

    Raises
    ------
    ValueError
        Fewer than 2 lists or strata, or probabilities outside (0, 1).
    """
    if lists < 2 or regions < 1 or periods < 1:
        raise ValueError("simulate_strata needs at least 2 lists and 1 region and period")
    if not 0 < capture[0] <= capture[1] < 1:
        raise ValueError(f"capture probabilities must lie in (0, 1), got {capture}")
    rng = np.random.default_rng(seed)
    names = tuple(chr(ord("A") + j) for j in range(lists))
    frames, truth = [], []
    for r in range(regions):
        for p in range(periods):
            N = int(np.exp(rng.uniform(np.log(size[0]), np.log(size[1]))))
            pr = rng.uniform(capture[0], capture[1], size=lists)
            x = (rng.random((N, lists)) < pr).astype(np.int8)
            x = x[x.any(axis=1)]
            f = pd.DataFrame(x, columns=list(names))
            f["region"] = f"r{r:03d}"
            f["period"] = 2000 + p
            frames.append(f)
            truth.append({"region": f"r{r:03d}", "period": 2000 + p, "N": N, "observed": len(x)})
    persons = pd.concat(frames, ignore_index=True)
    return StratifiedPopulation(persons=persons, truth=pd.DataFrame(truth), lists=names)


def impute_replicates(
    persons: pd.DataFrame,
    lists,
    *,
    column: str = "region",
    within: str = "period",
    missing_share: float = 0.2,
    replicates: int = 20,
    seed: int | None = None,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Hide `column` for a random share of persons, then impute it `replicates` times.

    Parameters
    ----------
    persons : DataFrame
        One row per observed person (list columns, `column`, `within`).
    lists : sequence of str
    column : str
        The column made missing and imputed.
    within : str
        Imputation is done within each level of this column and capture pattern.
    missing_share : float
        Share of persons whose `column` is hidden (completely at random).
    replicates : int
    seed : int, optional

    Returns
    -------
    (DataFrame, list of DataFrame)
        The data with missing values (NaN in `column`), and the completed replicates (same rows,
        same order; only the missing cells differ).
    """
    rng = np.random.default_rng(seed)
    data = persons.copy()
    hide = rng.random(len(data)) < missing_share
    data[column] = data[column].astype(object)
    data.loc[hide, column] = np.nan
    levels = np.array(sorted(persons[column].unique()))
    pattern = data[list(lists)].astype(int).astype(str).agg("".join, axis=1)
    cell = pattern + "|" + data[within].astype(str)
    comp = ~hide
    counts = pd.crosstab(cell[comp], data.loc[comp, column]).reindex(columns=levels, fill_value=0)
    miss_idx = np.flatnonzero(hide)
    miss_cells = cell.iloc[miss_idx].to_numpy()
    out = []
    for _ in range(replicates):
        f = data.copy()
        vals = np.empty(len(miss_idx), dtype=object)
        for c in np.unique(miss_cells):
            sel = miss_cells == c
            alpha = 1.0 + (counts.loc[c].to_numpy(dtype=float) if c in counts.index else np.zeros(len(levels)))
            theta = rng.dirichlet(alpha)
            vals[sel] = rng.choice(levels, size=int(sel.sum()), p=theta)
        f.iloc[miss_idx, f.columns.get_loc(column)] = vals
        out.append(f)
    return data, out
