"""Steps beside the interval: partial pooling of subgroup N̂."""

from __future__ import annotations

import numpy as np


def _partial_pooling(table, fit, est, groups, reps, seed, level, warnings, progress=False):
    """Pooled (mixed-effects) subgroup N̂ beside the run's (``estimate(pooling="partial")``)."""
    from ..loglinear.pooling import FEW_LEVELS, VARIANCE_FLOOR, partial_pooling

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
    return pool, est
