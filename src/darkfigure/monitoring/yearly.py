"""Per-year estimates both ways: one joint model with year as covariate, and one model per year.

The Dutch monitor fits one log-linear model to all years with year as a covariate
(dummies, or an orthogonal polynomial for a smooth trend), which lets years borrow
strength through shared list interactions (van der Heijden, Cruyff & van Gils
2015; Cruyff, van Dijk & van der Heijden 2017, Chance 30(3):41-49). The
alternative fits each year's table on its own (separate model searches), which
assumes nothing shared between years but leaves small years with wide intervals.
:func:`compare_years` runs both and sets them side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..histories import CaptureHistories

__all__ = ["YearlyComparison", "compare_years"]

YEARLY_COLUMNS = [
    "year",
    "observed",
    "joint_nhat",
    "joint_lower",
    "joint_upper",
    "separate_nhat",
    "separate_lower",
    "separate_upper",
    "separate_model",
    "separate_lists",
]


@dataclass
class YearlyComparison:
    """Joint and separate per-year estimates.

    Attributes
    ----------
    joint : Estimate
        One model for all years, year as covariate.
    separate : dict year -> Estimate
        One model per year (its stratum of the data).
    table : DataFrame of shape (n_years, 10)
        Columns ``year, observed, joint_nhat, joint_lower, joint_upper,
        separate_nhat, separate_lower, separate_upper, separate_model,
        separate_lists`` (the lists used in that year's own model).
    notes : list of str
        Lists dropped from a year's model (no records that year).
    """

    joint: Any
    separate: dict = field(repr=False)
    table: pd.DataFrame
    notes: list = field(default_factory=list)


def _year_declarations(sz: pd.DataFrame | None, year: str, lv, stratum: CaptureHistories) -> pd.DataFrame | None:
    if sz is None:
        return None
    d = sz[(sz["covariate"] != year) & sz["list"].isin(stratum.lists)]
    keep = []
    for r in d.itertuples():
        levels = stratum.levels.get(r.covariate, ())
        keep.append(any(str(x) == str(r.level) for x in levels))
    d = d[np.array(keep, dtype=bool)] if len(d) else d
    return d if len(d) else None


def compare_years(
    data,
    year: str,
    *,
    structural_zeros: Any = None,
    seed: int | None = None,
    joint: Any = None,
    **kwargs,
) -> YearlyComparison:
    """Estimate N per year with a joint model and with separate models, side by side.

    Parameters
    ----------
    data : CaptureHistories, DataFrame, path or dataset name
        As :func:`darkfigure.estimation.estimate`.
    year : str
        The year column (a covariate).
    structural_zeros : optional
        As :func:`~darkfigure.estimation.estimate`. In the separate models a list that
        did not exist in a year is left out of that year's model, and declarations on
        other covariates are kept.
    seed : int, optional
        Seed of the joint model's bootstrap; each year's bootstrap gets its own seed
        drawn from it.
    joint : Estimate, optional
        The joint model when already fitted (``estimate(data, year=year, ...)``); it
        is then not refitted.
    **kwargs
        Passed to :func:`~darkfigure.estimation.estimate` (``lists``, ``covariates``,
        ``search``, ``criterion``, ``year_degree`` (joint model only), ``ci``, ``reps``,
        ``n_jobs``, ...).

    Returns
    -------
    YearlyComparison

    Raises
    ------
    DataError
        `year` is not a covariate, bad data or declarations (as ``estimate``).

    References
    ----------
    van der Heijden, Cruyff & van Gils (2015); Cruyff, van Dijk & van der Heijden (2017),
    Chance 30(3):41-49 (year as covariate in one model).
    """
    from ..estimation import estimate
    from ..io import read_histories
    from ..pipeline.reading import require_year

    read_kw = {k: kwargs.pop(k) for k in ("lists", "covariates", "count", "on_empty_list") if k in kwargs}
    h = read_histories(data, **read_kw)
    require_year(h, year)
    sz = None
    if structural_zeros is not None:
        from ..structural import validate_structural_zeros

        sz = validate_structural_zeros(h, structural_zeros)
    from .core import monitor_search

    kwargs.setdefault("search", monitor_search(kwargs.get("ci", "averaged")))  # as monitor()
    if joint is None:
        joint = estimate(h, year=year, structural_zeros=sz, seed=seed, **kwargs)
    sep_kw = {k: v for k, v in kwargs.items() if k != "year_degree"}
    strata = h.stratify(year)
    seeds = np.random.SeedSequence(seed).generate_state(len(strata)) if seed is not None else [None] * len(strata)
    jt = joint.estimates
    separate, rows, notes = {}, [], []
    for (lv, s), sd in zip(strata.items(), seeds):
        empty = [a for a, n in s.list_sizes().items() if n == 0]
        if empty:
            s = s.drop_lists(empty)
            notes.append(f"{year} {lv}: list(s) {', '.join(empty)} registered nobody and are left out of that year's model")
        e = estimate(s, structural_zeros=_year_declarations(sz, year, lv, s), seed=None if sd is None else int(sd), **sep_kw)
        separate[lv] = e
        j = jt[(jt["group"] == year) & (jt["level"] == str(lv))]
        jr = j.iloc[0] if len(j) else None
        rows.append(
            {
                "year": str(lv),
                "observed": s.n_observed,
                "joint_nhat": np.nan if jr is None else float(jr["nhat"]),
                "joint_lower": np.nan if jr is None else float(jr["lower"]),
                "joint_upper": np.nan if jr is None else float(jr["upper"]),
                "separate_nhat": e.nhat if e.fit.identified else np.nan,
                "separate_lower": e.lower,
                "separate_upper": e.upper,
                "separate_model": e.fit.model.label(),
                "separate_lists": ",".join(s.lists),
            }
        )
    return YearlyComparison(joint, separate, pd.DataFrame(rows, columns=YEARLY_COLUMNS), notes)
