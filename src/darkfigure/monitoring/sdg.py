"""SDG indicator 16.2.2: detected and estimated victims per 100,000 inhabitants.

UNODC's metadata for SDG indicator 16.2.2 ("Number of victims of human
trafficking per 100,000 population, by sex, age and form of exploitation";
UN Statistics Division, SDG Indicators Metadata Repository, indicator 16.2.2,
custodian UNODC; UNODC 2021, *Monitoring Target 16.2 of the United Nations
Sustainable Development Goals: a multiple systems estimation of the numbers of
presumed human trafficking victims*, research briefs on the Netherlands, Serbia,
Ireland, Romania, ...) asks for the number of victims, detected and undetected,
per 100,000 inhabitants. The undetected part comes from multiple systems
estimation: rate = N̂ / population × 100,000, disaggregated by sex, age group and
form of exploitation.

How population rows are matched to groups
-----------------------------------------
The population table is a CSV (or DataFrame) with columns ``year``,
``population`` and any of the data's covariates that describe the resident
population, typically ``sex`` and ``age_group``: ``year,sex,age_group,population``.
For a row of the monitor table (a group of covariate levels in a year):

* the covariates of the group whose *names* equal a column of the population table
  (``sex``, ``age_group``) select population rows with the same level (compared as
  text);
* the population is *summed over* every other population column, and group
  covariates that are not population columns (form of exploitation, nationality)
  leave the denominator at the whole population of the matched rows: the rate of
  sexual exploitation is N̂(sexual) per 100,000 inhabitants;
* the data's year column is matched to the population table's ``year`` column; for
  the rows covering all years together the population is summed over the years, so
  their rate is per 100,000 person-years (the average annual rate).

The interval of the rate is the interval of N̂ divided by the same population
(a fixed constant, so the percentiles of the bootstrap replicates scale exactly).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..histories import DataError
from .tables import MonitorTable

__all__ = ["SDG_DIMENSIONS", "read_population", "population_for", "add_rates"]

PER = 100_000
SDG_DIMENSIONS = ("sex", "age_group")


def read_population(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read and check a population table.

    Parameters
    ----------
    source : path or DataFrame
        CSV with columns ``year``, ``population`` and dimension columns (e.g. ``sex``,
        ``age_group``); header case and surrounding spaces are ignored.

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)
        Dimension columns and ``year`` as text, ``population`` as float.

    Raises
    ------
    DataError
        A missing file, a missing ``year`` or ``population`` column, a population
        that is not a non-negative number.
    """
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise DataError(f"population table {str(p)!r} does not exist")
        from ..io import read_text_cells

        df = read_text_cells(p)  # ";"-separated too, as the data files (tester 15b, L9)
    else:
        df = source.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    for c in ("year", "population"):
        if c not in df.columns:
            raise DataError(
                f"the population table has no {c!r} column; it needs year, population and the dimensions "
                f"(e.g. year,sex,age_group,population); it has {list(df.columns)}"
            )
    from ..io import plain_numbers

    pop = pd.to_numeric(plain_numbers(df["population"], df.attrs.get("separator", ",")), errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"population table row {i + 2}: population {df['population'].iloc[i]!r} is not a non-negative number"
        )
    out = df.drop(columns=["population"]).astype(str).apply(lambda s: s.str.strip())
    out["year"] = out["year"].map(_year_text)
    out["population"] = pop.astype(float).to_numpy()
    return out


def _year_text(v) -> str:
    s = str(v).strip()
    try:
        f = float(s)
        if f == int(f):
            return str(int(f))
    except ValueError:
        pass
    return s


def population_for(
    population: pd.DataFrame,
    levels: dict[str, object],
    year: object | None,
    years: list[object],
) -> float:
    """The population of one group: matching rows summed (see the module notes).

    Parameters
    ----------
    population : DataFrame
        As returned by :func:`read_population`.
    levels : dict covariate -> level
        The group's levels (the year excluded); covariates that are not columns of
        `population` are ignored.
    year : object or None
        The year, or None for all `years` together.
    years : list
        Every year of the data (used when `year` is None).

    Returns
    -------
    float
        NaN for all years together when one of the years has a population of 0 (the
        sum would be a partial denominator).

    Raises
    ------
    DataError
        A year of the data absent from the population table, or a level with no
        population row in a year (the message names the column, level and year).
    """
    want = [year] if year is not None else list(years)
    total = 0.0
    parts = []
    for y in want:
        yt = _year_text(y)
        d = population[population["year"] == yt]
        if d.empty:
            raise DataError(
                f"year {yt} of the data is absent from the population table (its years: "
                f"{sorted(population['year'].unique())})"
            )
        for c, lv in levels.items():
            if c not in population.columns:
                continue
            d = d[d[c] == str(lv).strip()]
            if d.empty:
                raise DataError(
                    f"the population table has no row for {c} = {lv!s} in year {yt} (column {c!r} has "
                    f"{sorted(population.loc[population['year'] == yt, c].unique())})"
                )
        parts.append(float(d["population"].sum()))
        total += parts[-1]
    if len(parts) > 1 and min(parts) <= 0:
        # a year without population would leave the other years' N̂ over a partial denominator (tester 10, F2)
        return float("nan")
    return total


def check_population(pop: pd.DataFrame, covariate_levels: dict[str, list], year: str,
                     dimensions: tuple[str, ...] = SDG_DIMENSIONS) -> None:
    """Check a population table against the data before any fitting (tester 7, 30: refused after the bootstrap).

    Parameters
    ----------
    pop : DataFrame
        As returned by :func:`read_population`.
    covariate_levels : dict covariate -> list of levels
        The data's covariates and their levels (`year` among them).
    year : str
        The data's year covariate.
    dimensions : tuple of str
        As :func:`add_rates`.

    Raises
    ------
    DataError
        As :func:`add_rates` would raise later: a covariate of `dimensions` with no column in
        the table, a year of the data absent, or a year without a row for a level (or a
        combination of levels of the matched columns).
    """
    for c in dimensions:
        if c in covariate_levels and c not in pop.columns:
            raise DataError(
                f"the population table has no {c!r} column, needed for the rates by {c} (the data has a "
                f"covariate {c!r}); its columns are {list(pop.columns)}. Add the population by {c}, or leave "
                "--population out"
            )
    matched = [c for c in covariate_levels if c != year and c in pop.columns]
    years = list(covariate_levels[year])
    for y in years:
        population_for(pop, {}, y, years)
        for c in matched:
            for lv in covariate_levels[c]:
                population_for(pop, {c: lv}, y, years)


def add_rates(
    mt: MonitorTable,
    population: str | Path | pd.DataFrame,
    years: list[object] | None = None,
    dimensions: tuple[str, ...] = SDG_DIMENSIONS,
    warnings: list[str] | None = None,
) -> pd.DataFrame:
    """Add ``rate_per_100k``, ``rate_lower``, ``rate_upper`` (SDG 16.2.2) to a monitor table.

    Parameters
    ----------
    mt : MonitorTable
        From :func:`~darkfigure.monitoring.tables.monitor_table`.
    population : path or DataFrame
        Population table, see :func:`read_population` and the module notes on matching.
    years : list, optional
        The years of the data (default: the non-empty ``year`` values of the table).
    dimensions : tuple of str
        Population dimensions (default ``sex``, ``age_group``): each of them that is a
        covariate of the data must be a column of the population table, so that a
        rate by sex is never divided by the population of both sexes.
    warnings : list of str, optional
        Receives what the user must know (tester 10, F2): rows left blank for want of a
        population (0 in a year, or one year of several without one), and populations
        smaller than N̂ or its upper limit (a rate above 100,000 per 100,000).

    Returns
    -------
    DataFrame of shape (n_rows, 13)
        The monitor table with the three rate columns; rate = N̂ / population ×
        100,000, interval = N̂ interval / population × 100,000; NaN where the
        population is 0 and for all years together when a year's population is 0.

    Raises
    ------
    DataError
        As :func:`read_population` and :func:`population_for`; a covariate of the
        data listed in `dimensions` that is not a column of the population table; a
        population smaller than the persons observed in its row (impossible: the
        message names the row).
    """
    pop = read_population(population)
    covs = {c for g in mt.groups for c in g}
    for c in dimensions:
        if c in covs and c not in pop.columns:
            raise DataError(
                f"the population table has no {c!r} column, needed for the rates by {c} (the data has a "
                f"covariate {c!r}); its columns are {list(pop.columns)}"
            )
    t = mt.table.copy()
    if years is None:
        years = [y for y in dict.fromkeys(t["year"]) if y != ""]
    denoms = np.empty(len(t))
    for i, (g, lv, y) in enumerate(zip(mt.groups, mt.levels, t["year"])):
        denoms[i] = population_for(pop, dict(zip(g, lv)), y if y != "" else None, years)
    said = _check_denominators(t, denoms)
    if warnings is not None:
        warnings.extend(w for w in said if w not in warnings)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(denoms > 0, PER / denoms, np.nan)
    t["rate_per_100k"] = t["nhat"].to_numpy(dtype=float) * scale
    t["rate_lower"] = t["lower"].to_numpy(dtype=float) * scale
    t["rate_upper"] = t["upper"].to_numpy(dtype=float) * scale
    return t


def _row_label(r) -> str:
    """``total in 2021``, ``sex=female (all years)``: a monitor row as the messages name it."""
    g = "total" if r["group"] == "total" else f"{r['group']}={r['level']}"
    return g + (f" in {r['year']}" if r["year"] != "" else " (all years)")


def _check_denominators(t: pd.DataFrame, denoms: np.ndarray) -> list[str]:
    """Refuse a population below the persons observed in its row; say which rates are blank or above N̂'s population.

    Parameters
    ----------
    t : DataFrame
        The monitor table (``group``, ``level``, ``year``, ``observed``, ``nhat``, ``upper``).
    denoms : ndarray of shape (n_rows,)
        Each row's population (NaN: all years together with a year lacking a population).

    Returns
    -------
    list of str
        Warnings (tester 10, F2): rows without population (rate blank), rows whose
        population is smaller than N̂ or its upper limit.

    Raises
    ------
    DataError
        A population smaller than the observed count of its row (the row, the population
        and the count named).
    """
    obs = t["observed"].to_numpy(dtype=float)
    nhat = t["nhat"].to_numpy(dtype=float)
    upper = t["upper"].to_numpy(dtype=float)
    rows = [r for _, r in t.iterrows()]
    bad = np.flatnonzero(np.isfinite(denoms) & (denoms < obs))
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"population table: the population of {_row_label(rows[i])} is {denoms[i]:,.0f}, fewer than the "
            f"{obs[i]:,.0f} persons observed there: impossible. The population column must hold the number of "
            "inhabitants (not thousands, not a share); correct the table, or leave --population out"
        )
    out = []
    none = [i for i in range(len(t)) if not denoms[i] > 0]
    if none:
        names = [_row_label(rows[i]) for i in none]
        out.append(
            f"SDG rates: {len(none):,} row(s) have no population ({', '.join(names[:4])}"
            f"{', ...' if len(names) > 4 else ''}): a population of 0 in the population table, or, for all years "
            "together, a year with population 0 (the other years' population alone would be a partial "
            "denominator). Their rates are left blank; give every year's population to have them"
        )
    # an open upper end (inf, "at least") says nothing about the population
    above = [i for i in range(len(t))
             if denoms[i] > 0 and (nhat[i] > denoms[i] or (np.isfinite(upper[i]) and upper[i] > denoms[i]))]
    if above:
        i = above[0]
        what = "N̂" if nhat[i] > denoms[i] else "the upper limit of N̂"
        out.append(
            f"SDG rates: in {len(above):,} row(s) {what} exceeds the population (e.g. {_row_label(rows[i])}: "
            f"N̂ {nhat[i]:,.0f}, upper limit {upper[i]:,.0f}, population {denoms[i]:,.0f}): a rate above 100,000 "
            "per 100,000 means more victims than inhabitants. Check the population table (the number of "
            "inhabitants, not thousands) before publishing these rates"
        )
    return out


def check_observed(pop: pd.DataFrame, h, year: str, one_year=None) -> None:
    """Refuse, before any fitting, a population smaller than the persons observed in its cell (tester 10, F2).

    The cells are those of the monitor's rows that the population can tell apart: each
    year and all years together, by each population column that is a covariate of the data
    and by each pair of them (other covariates leave the denominator at the whole population).

    Parameters
    ----------
    pop : DataFrame
        As returned by :func:`read_population` (checked by :func:`check_population`).
    h : CaptureHistories
        The data (persons with unknown covariate values are not counted here).
    year : str
        The year covariate of `h`.
    one_year : optional
        The data's only year when `h` was read without its year column.

    Raises
    ------
    DataError
        As :func:`_check_denominators`: the first such cell named.
    """
    from itertools import combinations

    t = h.table if one_year is None else h.table.assign(**{year: one_year})
    years = list(h.levels[year]) if one_year is None else [one_year]
    matched = [c for c in h.covariates if c != year and c in pop.columns]
    rows, denoms = [], []
    for g in [()] + [(c,) for c in matched] + [tuple(p) for p in combinations(matched, 2)]:
        for with_year in (True, False):  # a year's row first: the population table's own row
            key = list(g) + ([year] if with_year else [])
            cells = t.groupby(key, observed=True)["count"].sum() if key else pd.Series({(): t["count"].sum()})
            for lv, n in cells.items():
                lv = lv if isinstance(lv, tuple) else (lv,)
                y = lv[-1] if with_year else None
                levels = dict(zip(g, lv))
                rows.append({"group": ":".join(g) or "total", "level": ":".join(map(str, lv[:len(g)])),
                             "year": "" if y is None else _year_text(y), "observed": n, "nhat": np.nan,
                             "upper": np.nan})
                denoms.append(population_for(pop, levels, y, years))
    if rows:
        _check_denominators(pd.DataFrame(rows), np.asarray(denoms, dtype=float))
