"""The table step: the complete contingency table of the capture histories, with structural zeros."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..histories import CaptureHistories
from ..loglinear.design import CompleteTable

__all__ = ["table_step", "lists_table"]


def table_step(
    h: CaptureHistories, *, year: str | None = None, year_degree: int | None = None, structural_zeros: Any = None
) -> tuple[CompleteTable, pd.DataFrame | None]:
    """The complete table the log-linear models are fitted to.

    Every pattern of the k lists (2^k - 1 observable cells and the unobservable all-zero
    one) crossed with every combination of covariate levels; declared structural zeros
    (a list that cannot register a covariate level, or did not exist in a year) leave the
    likelihood (:func:`darkfigure.structural.complete_table`).

    Parameters
    ----------
    h : CaptureHistories
    year : str, optional
        The year covariate (reported per year).
    year_degree : int, optional
        Code the year as an orthogonal polynomial of this degree instead of dummies.
    structural_zeros : path, DataFrame or iterable of (list, covariate, level), optional

    Returns
    -------
    (CompleteTable, DataFrame or None)
        The table, and the validated declarations (columns ``list, covariate, level``; None
        without declarations).

    Raises
    ------
    DataError
        A declaration naming an unknown list, covariate or level, or a cell with observed persons
        (:func:`darkfigure.structural.validate_structural_zeros`).
    """
    if structural_zeros is None:
        return CompleteTable(h, year=year, year_degree=year_degree), None
    from ..structural import complete_table, validate_structural_zeros

    sz = validate_structural_zeros(h, structural_zeros)
    return complete_table(h, sz, year=year, year_degree=year_degree), sz


def lists_table(h: CaptureHistories) -> CompleteTable:
    """The complete table of the lists alone, covariates summed over (2^k cells, the all-zero one unobservable).

    What the methods without covariates fit (heterogeneity models, the exhaustive BIC and downhill
    searches of MultipleSystemsEstimation, LCMCR, dga).
    """
    return CompleteTable(h.collapse())
