"""A CaptureHistories built directly (not through from_table/from_records) checks its invariants (tester 9, F23)."""

from __future__ import annotations

import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.errors import DataError
from darkfigure.histories import CaptureHistories


def _kosovo() -> pd.DataFrame:
    return dfg.load_dataset("kosovo_1999").table.copy()


def test_direct_construction_of_valid_table_gives_the_from_table_estimate():
    t = _kosovo()
    lists = tuple(c for c in t.columns if c != "count")
    direct = CaptureHistories(lists=lists, covariates=(), levels={}, table=t)
    built = CaptureHistories.from_table(t)
    assert direct.table["count"].sum() == built.table["count"].sum()


def test_all_zero_pattern_with_persons_is_refused():
    t = _kosovo()[["EXH", "ABA", "count"]]  # two of four lists: rows seen by neither remain, with counts
    with pytest.raises(DataError, match="all-zero pattern"):
        CaptureHistories(lists=("EXH", "ABA"), covariates=(), levels={}, table=t)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lists": "EXH"}, "tuple of column names"),
        ({"lists": ("EXH", "XXX")}, "no column"),
        ({"covariates": ("sex",)}, "entry for every covariate"),
        ({"table": "not a frame"}, "DataFrame"),
    ],
)
def test_wrong_arguments_name_the_problem(kwargs, match):
    t = _kosovo()
    base = {"lists": ("EXH", "ABA", "OSCE", "HRW"), "covariates": (), "levels": {}, "table": t}
    base.update(kwargs)
    with pytest.raises(DataError, match=match):
        CaptureHistories(**base)


def test_negative_count_and_values_other_than_0_1_are_refused():
    t = _kosovo()
    lists = ("EXH", "ABA", "OSCE", "HRW")
    neg = t.copy()
    neg.loc[0, "count"] = -3
    with pytest.raises(DataError, match="row 0 has -3"):
        CaptureHistories(lists=lists, covariates=(), levels={}, table=neg)
    two = t.copy()
    two.loc[1, "ABA"] = 2
    with pytest.raises(DataError, match="ABA"):
        CaptureHistories(lists=lists, covariates=(), levels={}, table=two)
