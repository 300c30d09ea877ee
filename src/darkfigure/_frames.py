"""The tables ``to_frame()`` and ``to_polars()`` give: the figures of the CSV the command line writes (tester 12b, L7).

``Result.to_frame()`` lacked the dark-figure columns and the published lower limit that ``estimates.csv`` holds;
a notebook user comparing the two found different numbers. Here:

* :func:`result_frame`: a log-linear result's ``estimates.csv`` as
  :meth:`~darkfigure.pipeline.result.Estimate.estimates_to_write` builds it (no N̂ where it is not an estimate,
  the published lower limit of a total that is not identified, ``dark_figure``, ``dark_figure_lower``,
  ``dark_figure_upper``, ``status``); other methods' rows with the same dark-figure and status columns;
* :func:`with_dark_figure`: those three columns added to any table with ``nhat, lower, upper, observed``;
* :func:`to_polars`: a pandas table as a polars DataFrame, polars imported only here (it is optional).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["result_frame", "with_dark_figure", "to_polars"]


def with_dark_figure(t: pd.DataFrame) -> pd.DataFrame:
    """A copy of `t` with ``dark_figure``, ``dark_figure_lower``, ``dark_figure_upper`` after ``upper``.

    Each is the column of N̂ (``nhat``, ``lower``, ``upper``) minus ``observed``, as ``estimates.csv`` holds them
    (:func:`darkfigure.pipeline.result._with_dark_figure`, reused); a table that has them already, or lacks one of
    ``nhat, lower, upper, observed``, is returned as it is (copied).
    """
    from .pipeline.result import _with_dark_figure

    t = t.copy()
    if "dark_figure" in t.columns:
        return t
    return _with_dark_figure(t)


def result_frame(result: Any) -> pd.DataFrame:
    """The rows of a :class:`~darkfigure.results.Result` with the figures of the CSV its command writes.

    Parameters
    ----------
    result : Result
        Any method's result. A log-linear one (``raw`` an :class:`~darkfigure.pipeline.result.Estimate`) gives
        ``estimates.csv`` exactly (:meth:`~darkfigure.pipeline.result.Estimate.estimates_to_write`); one with
        ``groups`` (strata totals) gives those rows; any other the total alone. Every table has ``dark_figure``,
        ``dark_figure_lower``, ``dark_figure_upper`` (persons) and, where it lacks one, ``status``.

    Returns
    -------
    pandas DataFrame
        One row per group, the total first.
    """
    write = getattr(result.raw, "estimates_to_write", None)
    if callable(write):
        return write()
    if result.groups is not None:
        t = with_dark_figure(result.groups)
    else:
        ci = result.confidence_interval
        # a total that is not identified keeps its interval's lower limit: what may be published then
        t = with_dark_figure(pd.DataFrame([{
            "group": "total", "level": "", "observed": int(result.n_observed), "nhat": float(result.nhat),
            "lower": float(ci.low), "upper": float(ci.high)}]))
    if "status" not in t.columns:
        t["status"] = [result.status] + ["ok" if math.isfinite(float(v)) else "not identified"
                                         for v in t["nhat"].iloc[1:]]
    return t


def to_polars(frame: pd.DataFrame) -> Any:
    """`frame` as a polars DataFrame (``polars.from_pandas``; the same columns and values).

    Raises
    ------
    ImportError
        polars is not installed; the message says how to install it (``pip install 'darkfigure[polars]'``).
    """
    try:
        import polars as pl
    except ImportError as e:  # polars is an optional dependency
        raise ImportError("to_polars() needs polars, which is not installed: pip install 'darkfigure[polars]' "
                          "(or pip install polars); to_frame() gives the same table as a pandas DataFrame") from e
    # object columns (the level names mix numbers and text) as text, which polars takes in one dtype
    f = frame.copy()
    for c in f.columns:
        if f[c].dtype == object:
            f[c] = f[c].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return pl.from_pandas(f)
