"""Steps beside the interval: the linkage correction, partial pooling of subgroup N̂, and the
sensitivity of N̂ to the identifying assumption."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..histories import CaptureHistories, DataError
from ..loglinear.design import CompleteTable
from ..loglinear.fit import LogLinearFit
from .interval import Interval, point_table

__all__ = ["linkage_step", "pooling_step", "identifying_step"]


def linkage_step(
    run: Any,
    h: CaptureHistories,
    fit: LogLinearFit,
    interval: Interval,
    groups: list[tuple[str, ...]],
    *,
    draws: int,
    reps: int,
    seed: int | None,
    level: float,
    year: str | None,
    year_degree: int | None,
    structural_zeros: Any,
    n_jobs: int | None,
    missing: str,
    progress: bool = False,
) -> tuple[Any, pd.DataFrame, list[str]]:
    """N̂ corrected for linkage error, with an interval that carries the linkage's uncertainty.

    The chosen model is refitted on `draws` linkages drawn from the match probabilities, each
    with `reps` parametric bootstrap replicates (:func:`darkfigure.linkage.uncertainty.correct_estimate`).

    Parameters
    ----------
    run : LinkRun
        The linkage run (records and scored pairs) behind `h`.
    h : CaptureHistories
    fit : LogLinearFit
        The chosen model's fit.
    interval : Interval
        The run's interval (:func:`darkfigure.pipeline.interval.interval_step`).
    groups : list of tuple of str
    draws, reps, seed, level, year, year_degree, structural_zeros, n_jobs, missing, progress
        As :func:`darkfigure.estimation.estimate` (``linkage_draws``, ``linkage_reps``, ...).

    Returns
    -------
    (LinkageEstimate, DataFrame, list of str)
        The correction, the estimates table holding the corrected figures (the as-linked ones
        beside them), and the warnings.

    Raises
    ------
    DataError
        An organisation that shares nobody with the others, or lists or covariates the link run
        cannot reproduce (:func:`darkfigure.linkage.uncertainty.correct_estimate`).
    """
    from ..linkage.uncertainty import correct_estimate

    warnings = []
    est, avg = interval.estimates, interval.averaged
    if avg is not None and len(avg.fits) > 1:
        # the draws refit the chosen model: compare them with the chosen model's N̂ as linked, not with the
        # model average, or the difference between the two estimators would pass for a linkage correction
        point = point_table(fit, groups).set_index(["group", "level"])["nhat"]
        est = est.copy()
        est["nhat"] = point.reindex(pd.MultiIndex.from_frame(est[["group", "level"]])).to_numpy()
        warnings.append(
            "the linkage correction refits the chosen model on every linkage draw: N̂ as linked and corrected "
            "are that model's, not the model average (whose interval is shown as linked)"
        )
    link_est, est = correct_estimate(
        run, h, fit, est, interval.bootstrap, draws=draws, reps=reps, seed=seed, level=level,
        year=year, year_degree=year_degree, structural_zeros=structural_zeros, n_jobs=n_jobs, missing=missing,
        progress=progress,
    )
    return link_est, est, warnings + link_est.warnings


def identifying_step(result: Any, range: tuple[float, float], groups: list[tuple[str, ...]]) -> tuple[Any, list[str]]:  # noqa: A002
    """N̂ as the identifying assumption (no k-way list interaction) is relaxed over `range` of psi.

    Sun et al.'s bounds (:func:`darkfigure.sensitivity.identifying_assumption`).

    Parameters
    ----------
    result : Estimate
        The run so far.
    range : (float, float)
        The range of psi.
    groups : list of tuple of str

    Returns
    -------
    (IdentifyingAssumption or None, list of str)
        None, with a warning saying why, when it cannot be computed.
    """
    from ..sensitivity import identifying_assumption

    try:
        return identifying_assumption(result, range=range, groups=groups), []
    except (DataError, ValueError) as e:
        return None, [f"the sensitivity to the identifying assumption could not be computed: {e}"]


def pooling_step(
    table: CompleteTable,
    fit: LogLinearFit,
    est: pd.DataFrame,
    groups: list[tuple[str, ...]],
    reps: int,
    seed: int | None,
    level: float,
    progress: bool = False,
) -> tuple[Any, pd.DataFrame, list[str]]:
    """Pooled (mixed-effects) subgroup N̂ beside the run's (``estimate(pooling="partial")``).

    The mixed-effects log-linear model pools the list x covariate effects across strata
    (Hammond, Smith & van der Heijden 2025; :func:`darkfigure.loglinear.pooling.partial_pooling`),
    keeping `fit`'s list x list terms.

    Parameters
    ----------
    table : CompleteTable
    fit : LogLinearFit
        The chosen model.
    est : DataFrame
        The estimates table (``group, level, ...``).
    groups : list of tuple of str
    reps, seed, level, progress
        Parametric bootstrap of the pooled fit.

    Returns
    -------
    (PoolingResult, DataFrame, list of str)
        The pooling result, `est` with ``nhat_stratified, nhat_pooled, lower_pooled, upper_pooled``, and the
        warnings (variances at the floor, no convergence, failed refits, components from few levels,
        strata the fully stratified fit cannot identify).
    """
    from ..loglinear.pooling import FEW_LEVELS, VARIANCE_FLOOR, partial_pooling

    warnings: list[str] = []
    pool = partial_pooling(table, fit.model, groups, reps=reps, seed=seed, level=level, progress=progress)
    add = pool.table[["group", "level", "nhat_stratified", "nhat_pooled", "lower_pooled", "upper_pooled"]]
    est = est.merge(add, on=["group", "level"], how="left")
    f = pool.fit
    at_floor = [n for n, v in zip(f.design.component_names, f.variances) if v <= VARIANCE_FLOOR * 1.0001]
    if at_floor:
        warnings.append(
            "partial pooling: the data show no stratum-to-stratum variation of " + ", ".join(at_floor)
            + " (variance estimated 0), so those list effects are pooled completely across strata"
        )
    if not f.converged:
        warnings.append("partial pooling: the mixed-effects fit did not converge; read the pooled columns with care")
    if pool.failed:
        warnings.append(f"partial pooling: {pool.failed} of {pool.reps} bootstrap refits did not converge and were "
                        "left out of the pooled interval")
    few = pool.few_levels()
    if few:
        by_n: dict[int, list[str]] = {}
        for name, k in few.items():
            by_n.setdefault(k, []).append(name)
        rest = "; ".join(f"{', '.join(ns)} on {k} level{'s' if k != 1 else ''}" for k, ns in sorted(by_n.items()))
        warnings.append(
            f"partial pooling: variance component(s) estimated from fewer than {FEW_LEVELS} levels ({rest}): a "
            "variance from so few values is crude and often comes out 0 (those list effects then pooled "
            "completely), so the pooled figures and their interval lean on the assumption that those subgroups "
            "are seen alike rather than on the data, and the pooled interval can be much narrower than the "
            "unpooled one; pool over covariates with more levels, or read the unpooled figures beside them"
        )
    bad = pool.strata_not_identified
    if bad or not np.isfinite(pool.table["nhat_stratified"]).all():
        named = "; ".join(bad[:8]) + (f"; and {len(bad) - 8} more" if len(bad) > 8 else "")
        n_strata = int(table.n_strata)
        warnings.append(
            f"partial pooling: the fully stratified fit (every list x stratum term free) identifies no N̂ for "
            f"{len(bad)} of {n_strata} strata ({named}): those strata are too small for their own list effects, "
            "which is what pooling is for; their nhat_stratified is empty, and so is that of every total or "
            "margin that includes one of them (a sum over strata needs all of them); the other strata keep "
            "their own figure"
        )
    return pool, est, warnings
