"""A monitor of one year (tester report 10, F7): the year is the label of every row, not a model covariate.

With a single year the year column cannot enter the model (a covariate needs two levels),
so the data are read without it, the model is fitted as ``estimate`` fits it, and the
monitor table labels its per-year rows with that year: they repeat the rows for all years.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..histories import DataError

__all__ = ["ONE_YEAR", "single_year", "one_year_label", "one_year_note", "refuse_one_year_options"]


#: how the one-year note starts (the command line prints that note)
ONE_YEAR = "one year only"


def one_year_label(value) -> object:
    """The year as a plain value: ``np.int64(2021)`` and ``2021.0`` become ``2021``; text stays text."""
    v = value.item() if hasattr(value, "item") else value
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def single_year(data, year: str, sheet=None) -> tuple[pd.DataFrame, object] | None:
    """The table without its year column and that year, when the year column holds one value; else None.

    Parameters
    ----------
    data : path, dataset name, pandas or polars DataFrame
        What the monitor was given. A ``darkfigure link`` folder (or its histories.csv) and
        :class:`~darkfigure.histories.CaptureHistories` give None: their covariates are fixed
        elsewhere.
    year : str
        The year column.
    sheet : str or int, optional
        As :func:`darkfigure.io.read_table`.

    Returns
    -------
    (DataFrame, value) or None
        None when the table cannot be read, has no column `year`, has a blank year in some
        row, or holds two or more years.
    """
    from .. import datasets
    from .._history_checks import _as_pandas
    from ..io import read_table

    try:
        if isinstance(data, (str, Path)):
            p = Path(data)
            if p.is_dir() or p.name == "histories.csv":
                return None
            if str(data) in datasets.DATASETS and not p.exists():
                frame = datasets.load_frame(str(data))
            else:
                frame = read_table(p, sheet=sheet)
        elif isinstance(data, pd.DataFrame) or type(data).__module__.split(".")[0] == "polars":
            frame = _as_pandas(data)
        else:
            return None
    except DataError:
        return None
    if year not in frame.columns:
        return None
    col = frame[year]
    if col.isna().any() or col.astype(str).str.strip().eq("").any():
        return None
    values = pd.unique(col)
    if len(values) != 1:
        return None
    return frame.drop(columns=[year]), one_year_label(values[0])


def one_year_note(year: str, value) -> str:
    """What the monitor says when the data hold one year."""
    return (f"{ONE_YEAR} ({value}): {year!r} is the label of every row, not a covariate of the model; the rows "
            f"for {value} repeat those for all years")


def refuse_one_year_options(value, *, year_degree=None, separate_years: bool = False, linkage_run=None) -> None:
    """Options that need two or more years are refused with a one-year monitor.

    Raises
    ------
    DataError
        ``year_degree`` or ``separate_years`` given, or a linkage run to correct for (its
        draws rebuild the histories with the year column).
    """
    if year_degree is not None:
        raise DataError(f"--year-degree codes a trend over the years, but the data hold one year ({value}): leave "
                        "--year-degree out")
    if separate_years:
        raise DataError(f"--separate-years compares a model per year with the joint model, but the data hold one "
                        f"year ({value}): leave --separate-years out")
    if linkage_run is not None:
        raise DataError(f"the data hold one year ({value}) and come from `darkfigure link`: a one-year monitor cannot "
                        "carry the linkage correction; use `darkfigure estimate` on the link folder")
