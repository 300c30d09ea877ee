"""Tester report 9, F11 and F12: the heterogeneity check's N̂ error when the alternative does not identify N̂ (it
printed a 300-digit percentage), an identifier column taken as a covariate, and a fractional count shown as read."""

import re

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.diagnostics import heterogeneity_check
from darkfigure.errors import DataError
from darkfigure.io import read_histories
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.terms import LogLinearModel
from darkfigure.pipeline.checks import data_warnings

LISTS = ["EXH", "ABA", "OSCE", "HRW"]


def _kosovo_with_id() -> pd.DataFrame:
    d = dfg.load_dataset("kosovo_1999").table.copy()
    d.insert(0, "id", range(1, len(d) + 1))  # one level per aggregated row
    return d


def test_power_error_not_computed_when_the_alternative_does_not_identify_nhat():
    t = CompleteTable(read_histories(_kosovo_with_id(), lists=LISTS, covariates=["id"]))
    fit = fit_model(t, LogLinearModel.make(t.variables, [("EXH", "id"), ("ABA", "id"), ("OSCE", "id")]), check=True)
    assert fit.identified  # the model the search chose on this table (an extended MLE)
    c = heterogeneity_check(fit)
    d = c.details
    assert np.isfinite(d["power_hard_to_reach"])
    assert np.isnan(d["nhat_error_hard_to_reach"])  # was 1.087e+301
    assert d["nhat_error_hard_to_reach_reason"] == "the alternative does not identify N̂"
    assert "could not be computed (the alternative does not identify N̂)" in c.message
    assert not re.search(r"\d{7,}", c.message.replace(",", ""))


def test_power_error_still_given_where_nhat_is_identified():
    t = CompleteTable(dfg.load_dataset("kosovo_1999"))
    fit = fit_model(t, LogLinearModel.make(t.variables, []), check=True)
    c = heterogeneity_check(fit)
    rel = c.details["nhat_error_hard_to_reach"]
    assert np.isfinite(rel) and -1 < rel < 0  # a hard-to-reach group makes the independence N̂ too low
    assert c.details["nhat_error_hard_to_reach_reason"] is None
    assert "too low" in c.message


def test_identifier_column_is_named_with_the_remedy():
    d = _kosovo_with_id()
    h = dfg.CaptureHistories.from_frame(d)
    assert h.covariates == ("id",)
    w = [x for x in data_warnings(h) if "identifier" in x]
    assert len(w) == 1 and "'id'" in w[0] and "--covariates" in w[0] and "15 levels" in w[0]
    # one row per person with a person number: the same
    persons = d.loc[d.index.repeat(2)].drop(columns="count").assign(id=lambda f: range(1, len(f) + 1))
    hp = dfg.CaptureHistories.from_records(persons)
    assert any("'id' looks like an identifier" in x for x in data_warnings(hp))
    # the end to end run says it too (estimate's warnings)
    r = dfg.estimate(d, ci="none")
    assert any("'id' looks like an identifier" in x for x in r.warnings)


@pytest.mark.parametrize("name", ["scotland_pwid_2003", "spina_bifida_ny", "cruyff_simdat"])
def test_genuine_covariates_are_not_called_identifiers(name):
    assert not [x for x in data_warnings(dfg.load_dataset(name)) if "identifier" in x]


def test_many_persons_per_level_are_not_identifiers():
    d = dfg.load_dataset("kosovo_1999").table.copy()
    d = pd.concat([d.assign(region=f"r{i}", count=d["count"] // 10 + 1) for i in range(8)])
    assert not [x for x in data_warnings(dfg.CaptureHistories.from_frame(d)) if "identifier" in x]


@pytest.mark.parametrize("value, shown", [(1131.0000000001, "1131.0000000001"), (2.5, "2.5"), ("7.25", "7.25")])
def test_fractional_count_shown_as_read(value, shown):
    d = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [5, 3, value]})
    with pytest.raises(DataError, match=re.escape(f"row 3 has {shown}, which is not a whole number")):
        dfg.CaptureHistories.from_frame(d)


def test_negative_count_shown_in_full():
    d = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [5, -1234567, 2]})
    with pytest.raises(DataError, match="row 2 has -1234567$"):
        dfg.CaptureHistories.from_frame(d)
