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
    r = dfg.estimate_strata(_two_strata(), by="g", seed=1, reps=30)
    row = r.table.set_index("g").loc["one"]
    assert row["nhat"] == pytest.approx(50) and row["upper"] == pytest.approx(50)
    said = [w for w in r.warnings if "claims nobody was missed" in w]
    assert said and "(one)" in said[0] and "zero-width" in said[0]


@pytest.mark.parametrize("by", [None, 5])
def test_by_that_names_no_column_is_refused(by):
    with pytest.raises((DataError, ValueError), match="by"):
        dfg.estimate_strata(_two_strata(), by=by)
