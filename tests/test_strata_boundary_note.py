"""strata: a stratum whose model claims nobody was missed is named at run level (tester 9, F15); `by` as the API takes names."""

from __future__ import annotations

import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.errors import DataError


def _two_strata() -> pd.DataFrame:
    k = dfg.load_dataset("kosovo_1999").table.copy()
    k["g"] = "a"
    # EXH holds all 50; 30 are on every list: the main-effects MLE puts nobody in the unseen cell
    b = pd.DataFrame({"EXH": [1, 1], "ABA": [1, 0], "OSCE": [1, 0], "HRW": [1, 0], "count": [30, 20], "g": "one"})
    return pd.concat([k, b], ignore_index=True)


def test_boundary_stratum_is_named_in_the_run_warnings():
    """Stratum 'one' has EXH holding all 50: its N̂ = 50 (50-50) was reported with a run-level note; since tester
    14b, H1 a list with everyone in a stratum leaves N unbounded there, so the stratum is not estimable, named with
    the reason, and the totals cover the other stratum only."""
    r = dfg.estimate_strata(_two_strata(), by="g", seed=1, reps=30)
    row = r.table.set_index("g").loc["one"]
    assert row["status"] == "not estimable" and "'EXH' registered every one of the 50" in row["reason"]
    assert r.totals.iloc[0]["covers"] != "all strata"


@pytest.mark.parametrize("by", [None, 5])
def test_by_that_names_no_column_is_refused(by):
    with pytest.raises((DataError, ValueError), match="by"):
        dfg.estimate_strata(_two_strata(), by=by)
