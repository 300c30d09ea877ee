"""Monitor tables: observed, N̂, interval and visibility for every group and year.

For the total, each year, each covariate level and each pair of levels (each of
them for all years together and per year) the table gives the observed count, N̂,
its interval, and the *visibility* observed ÷ N̂ (the share of the estimated
population that some list registered) with its interval. This is the layout of
the Dutch monitor of trafficking victims (van der Heijden, Cruyff & van Gils 2015,
*Schatting van het aantal slachtoffers van mensenhandel in Nederland*, UNODC
research brief; Cruyff, van Dijk & van der Heijden 2017, *The challenge of
counting victims of human trafficking*, Chance 30(3):41-49; the 2010-2019 study
of the National Rapporteur, Nationaal Rapporteur Mensenhandel 2021).

Every interval comes from one set of bootstrap replicates (the model-averaged bootstrap
of :func:`~darkfigure.estimation.estimate`'s default, or Cruyff's ``boot_mse``):
each replicate holds the totals of every group cell, so the interval of a group, of
its visibility and of its SDG rate (:mod:`darkfigure.monitoring.sdg`) are the same
percentiles of the same draws. The visibility interval is observed ÷ (upper, lower)
of the N̂ interval: percentile intervals respect monotone transformations, so this is
the percentile interval of observed ÷ N̂*_b (up to the interpolation between order
statistics). With the nonparametric bootstrap the total (all years) has the BCa
interval that :func:`~darkfigure.estimation.estimate` reports; every other row has the
percentile interval (the jackknife acceleration is computed for the total only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from ..group_names import group_name
from ..loglinear.percentiles import quantile_with_inf

__all__ = ["MONITOR_COLUMNS", "MonitorTable", "monitor_table"]

MONITOR_COLUMNS = [
    "group",
    "level",
    "year",
    "observed",
    "nhat",
    "lower",
    "upper",
    "visibility",
    "visibility_lower",
    "visibility_upper",
]


@dataclass
class MonitorTable:
    """The monitor's long table and the bootstrap replicates behind it.

    Attributes
    ----------
    table : DataFrame of shape (n_rows, 10)
        Columns :data:`MONITOR_COLUMNS`. ``group`` is ``total``, a covariate or
        ``A:B`` for a pair; ``level`` is empty for the total and ``a:b`` for a pair;
        ``year`` is empty for all years together.
    replicates : ndarray of shape (B, n_rows) or None
        Bootstrap N̂ of every row (NaN for failed replicates); None without a
        bootstrap.
    groups : list of tuple of str, length n_rows
        The covariates (the year column excluded) of each row.
    levels : list of tuple, length n_rows
        The levels of those covariates for each row.
    year : str
        Name of the year column in the data.
    level : float
        Confidence level of the intervals.
    cells : list of int, length n_rows
        The bootstrap's group cell (column of its ``estimate``) behind each row; -1 for a row without one.
    """

    table: pd.DataFrame
    replicates: np.ndarray | None = field(repr=False)
    groups: list = field(repr=False)
    levels: list = field(repr=False)
    year: str = "year"
    level: float = 0.95
    cells: list = field(default_factory=list, repr=False)


def _group_values(est) -> dict[frozenset, tuple]:
    """For each set of covariates: (order, labels, estimate, observed, replicates, first bootstrap cell)."""
    out: dict = {}
    boot = est.bootstrap
    if boot is not None:
        j = 0
        for g, lab in boot.labels:
            n = len(lab)
            key = frozenset(g)
            if key not in out:
                out[key] = (
                    tuple(g),
                    lab.reset_index(drop=True),
                    boot.estimate[j : j + n],
                    boot.observed[j : j + n],
                    boot.replicates[:, j : j + n],
                    j,
                )
            j += n
    return out


def _point_values(est, g: tuple):
    """As :func:`_group_values` for one set of covariates the bootstrap lacks: the fitted N̂, no replicates."""
    t = est.table
    idx, lab = t.group_index(g)
    n = len(lab)
    obs = np.bincount(idx, weights=t.y, minlength=n)
    avg = getattr(est, "averaged", None)  # the model average's fitted table when N̂ is averaged
    fitted = np.nan_to_num(est.fit.fitted if avg is None else avg.fitted, nan=np.inf)
    nh = np.bincount(idx, weights=fitted, minlength=n)
    return tuple(g), lab.reset_index(drop=True), nh, obs, None, None


def monitor_table(est, year: str, one_year=None) -> MonitorTable:
    """Build the monitor table from an :class:`~darkfigure.estimation.Estimate`.

    Parameters
    ----------
    est : Estimate
        A fit with `year` among its covariates (``estimate(..., year=year)``); its
        bootstrap (parametric or nonparametric) gives the intervals. Without a
        bootstrap the intervals are NaN.
    year : str
        The year column.
    one_year : optional
        The data's only year when they hold one (read without the year column,
        :mod:`darkfigure.monitoring.one_year`): the per-year rows carry it as their label
        and repeat the rows for all years.

    Returns
    -------
    MonitorTable
        ``table`` has one row per group cell: the total, each covariate level and
        each pair of levels, for all years (``year`` empty) and for each year.

    Raises
    ------
    DataError
        If `year` is not a covariate of the estimate's data (no such column, or a list).

    References
    ----------
    Cruyff's ``mse::boot_mse`` tables (total, per year, per level and pair of levels by
    year); Cruyff, van Dijk & van der Heijden (2017), Chance 30(3):41-49.
    """
    h = est.histories
    if one_year is None:  # the message of estimate's --year: no such column, or a list named as the year
        from ..pipeline.reading import require_year

        require_year(h, year)
    others = [c for c in h.covariates if c != year]
    specs = [()] + [(c,) for c in others] + [tuple(p) for p in combinations(others, 2)]
    have = _group_values(est)
    alpha = (1 - est.level) / 2
    rows, reps, groups, levels, cells = [], [], [], [], []
    boot_iv = est.bootstrap
    for rest in specs:
        for with_year in (False, True):
            g = rest + ((year,) if with_year and one_year is None else ())
            vals = have.get(frozenset(g))
            if vals is None:
                vals = _point_values(est, g)
            _, lab, nh, obs, rep, start = vals
            for i in range(len(lab)):
                r = lab.iloc[i]
                yr = ("" if not with_year else str(r[year]) if one_year is None else str(one_year))
                lv = tuple(r[c] for c in rest)
                if rep is not None:
                    lo, hi = _percentiles(rep[:, i], alpha)
                    reps.append(rep[:, i])
                else:
                    lo = hi = np.nan
                if not rest and (not with_year or one_year is not None) and boot_iv is not None:
                    # the total's interval exactly as estimate() reports it (BCa for the nonparametric bootstrap)
                    lo, hi = est.lower, est.upper
                o = float(obs[i])
                n = float(nh[i])
                rows.append(
                    {
                        "group": group_name(rest),
                        "level": ":".join(str(x) for x in lv),
                        "year": yr,
                        "observed": int(round(o)),
                        "nhat": n,
                        "lower": lo,
                        "upper": hi,
                        "visibility": _ratio(o, n),
                        "visibility_lower": _ratio(o, hi),
                        "visibility_upper": _ratio(o, lo),
                    }
                )
                groups.append(rest)
                levels.append(lv)
                cells.append(-1 if start is None else start + i)
    table = pd.DataFrame(rows, columns=MONITOR_COLUMNS)
    table = _truncate(est, table)
    if hasattr(est, "full_strata"):  # a year or level where a list registered everyone (tester 14b, H1)
        from ..pipeline.full_strata import blank_monitor_rows

        table, note = blank_monitor_rows(table, est.full_strata(), year)
        if note and "monitor: " + note not in est.warnings:
            est.warnings.append("monitor: " + note)
    rep_arr = np.column_stack(reps) if reps and len(reps) == len(rows) else None
    return MonitorTable(table, rep_arr, groups, levels, year=year, level=est.level, cells=cells)


def _percentiles(v: np.ndarray, alpha: float) -> tuple[float, float]:
    """Percentile interval of one row's replicates, an unbounded replicate counted as N̂* = +inf.

    As :meth:`~darkfigure.loglinear.bootstrap.BootstrapResult.intervals` (which gives estimates.csv): a
    replicate without a finite N̂ is placed at the top of the ordered replicates, not dropped, so the
    upper end is +inf when more than alpha of them are unbounded (tester report 9, F10: dropping them gave
    the year rows finite limits where estimates.csv of the same run had none). NaN with fewer than 2
    finite replicates. With every replicate finite this is :func:`numpy.quantile` (type 7), as before.
    """
    if np.isfinite(v).sum() < 2:
        return float("nan"), float("nan")
    lo, hi = quantile_with_inf(np.where(np.isfinite(v), v, np.inf), [alpha, 1 - alpha], method="linear")
    return float(lo), float(hi)


def _truncate(est, table: pd.DataFrame) -> pd.DataFrame:
    """No limit below the number observed, hence no visibility above 100% (see ``truncate_at_observed``).

    The note naming the rows changed joins the estimate's warnings (printed, in result.json and the report).
    """
    from ..estimation import truncate_at_observed

    def _label(r) -> str:
        g = "total" if r["group"] == "total" else f"{r['group']}={r['level']}"
        return g + (f" in {r['year']}" if r["year"] else "")

    t, note = truncate_at_observed(table, label=_label)
    if note:
        obs = t["observed"].to_numpy(dtype=float)
        t["visibility_lower"] = [_ratio(o, hi) for o, hi in zip(obs, t["upper"].to_numpy(dtype=float))]
        t["visibility_upper"] = [_ratio(o, lo) for o, lo in zip(obs, t["lower"].to_numpy(dtype=float))]
        # the total's own note (from estimate) names the total; this one names the monitor's rows
        if note not in est.warnings:
            est.warnings.append("monitor: " + note)
    # an interval that excludes its own N̂ (a re-selecting bootstrap on an unstable search) is widened to it and
    # said, never printed silently (pipeline.interval.include_estimate)
    from ..pipeline.interval import _INCLUDE_WHY, include_estimate

    t, wide = include_estimate(t, _INCLUDE_WHY.get(str(getattr(est, "ci_method", "")).rsplit("-", 1)[0], ""),
                               label=_label)
    if wide:
        obs = t["observed"].to_numpy(dtype=float)
        t["visibility_lower"] = [_ratio(o, hi) for o, hi in zip(obs, t["upper"].to_numpy(dtype=float))]
        t["visibility_upper"] = [_ratio(o, lo) for o, lo in zip(obs, t["lower"].to_numpy(dtype=float))]
        est.warnings.append("monitor: " + wide)
    # a visibility is a share of the population: never above 1 (observed counts are rounded to persons)
    for c in ("visibility", "visibility_lower", "visibility_upper"):
        t[c] = np.minimum(t[c].to_numpy(dtype=float), 1.0)
    return t


def _ratio(o: float, n: float) -> float:
    if n is None or np.isnan(n):
        return float("nan")
    if np.isinf(n):
        return 0.0
    if n <= 0:
        return float("nan") if o == 0 else float("inf")
    return o / n
