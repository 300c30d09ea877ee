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
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    else:
        df = source.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    for c in ("year", "population"):
        if c not in df.columns:
            raise DataError(
                f"the population table has no {c!r} column; it needs year, population and the dimensions "
                f"(e.g. year,sex,age_group,population); it has {list(df.columns)}"
            )
    pop = pd.to_numeric(df["population"].astype(str).str.replace(",", "").str.strip(), errors="coerce")
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

    Raises
    ------
    DataError
        A year of the data absent from the population table, or a level with no
        population row in a year (the message names the column, level and year).
    """
    want = [year] if year is not None else list(years)
    total = 0.0
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
        total += float(d["population"].sum())
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

    Returns
    -------
    DataFrame of shape (n_rows, 13)
        The monitor table with the three rate columns; rate = N̂ / population ×
        100,000, interval = N̂ interval / population × 100,000; NaN where the
        population is 0.

    Raises
    ------
    DataError
        As :func:`read_population` and :func:`population_for`; a covariate of the
        data listed in `dimensions` that is not a column of the population table.
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
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(denoms > 0, PER / denoms, np.nan)
    t["rate_per_100k"] = t["nhat"].to_numpy(dtype=float) * scale
    t["rate_lower"] = t["lower"].to_numpy(dtype=float) * scale
    t["rate_upper"] = t["upper"].to_numpy(dtype=float) * scale
    return t
