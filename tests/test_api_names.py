"""Tester report 9, F7 and F17: name arguments read as the CLI reads them; names that break model terms refused.

Synthetic tables only (no personal data).
"""

import re

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure._history_checks import as_names
from darkfigure.errors import DataError
from darkfigure.histories import CaptureHistories


def _table(names=("EXH", "ABA", "OSCE")) -> pd.DataFrame:
    """Three lists by sex, every pattern but the all-zero one (made-up counts)."""
    rows = []
    rng = np.random.default_rng(2)
    for sex in ("f", "m"):
        for p in range(1, 8):
            bits = [(p >> k) & 1 for k in range(3)]
            rows.append(dict(zip(names, bits)) | {"sex": sex, "count": int(rng.integers(5, 60))})
    return pd.DataFrame(rows)


def test_as_names_reads_a_string_as_the_cli_does():
    assert as_names("sex", "covariates") == ["sex"]
    assert as_names("EXH, ABA ,OSCE", "lists") == ["EXH", "ABA", "OSCE"]
    assert as_names(("a", "b"), "lists") == ["a", "b"] and as_names(pd.Index(["a"]), "lists") == ["a"]
    assert as_names(None, "lists") is None
    with pytest.raises(DataError, match=r"lists must be a list of names or a comma-separated string.*not int 5"):
        as_names(5, "lists")
    with pytest.raises(DataError, match=r"covariates=' , ' names no column"):
        as_names(" , ", "covariates")


def test_estimate_and_compare_take_a_comma_separated_string():
    df = _table()
    as_list = dfg.estimate(df, lists=["EXH", "ABA", "OSCE"], covariates=["sex"], ci="none", search="none",
                           assumption_range=None)
    as_text = dfg.estimate(df, lists="EXH,ABA,OSCE", covariates="sex", ci="none", search="none",
                           assumption_range=None)
    assert as_text.nhat == pytest.approx(as_list.nhat)
    assert list(as_text.raw.histories.lists) == ["EXH", "ABA", "OSCE"]
    assert list(as_text.raw.histories.covariates) == ["sex"]
    # a covariate that is not there is named whole, never split into characters
    with pytest.raises(DataError, match=r"unknown covariate column 'age'"):
        dfg.estimate(df, covariates="age", ci="none")
    cmp = dfg.compare(df, methods="loglinear-bic", lists="EXH,ABA,OSCE", covariates="sex", seed=1, reps=20,
                      headline=False)
    assert list(cmp.table["method"]) == ["loglinear-bic"]
    h = CaptureHistories.from_frame(df, "EXH,ABA,OSCE", "sex")
    assert h.lists == ("EXH", "ABA", "OSCE") or list(h.lists) == ["EXH", "ABA", "OSCE"]


def test_numbers_as_column_names_and_non_tables_are_data_errors():
    df = _table()[["EXH", "ABA", "OSCE", "count"]]
    df.columns = [1, 2, 3, "count"]
    with pytest.raises(DataError, match=r"column name\(s\) \[1, 2, 3\] of the data are not text.*df.columns ="):
        dfg.estimate(df, ci="none")
    with pytest.raises(DataError, match=r"not text"):
        dfg.estimate(df.to_numpy(), count=3, ci="none")
    with pytest.raises(DataError, match=r"the data must be a data frame .*not int 5"):
        dfg.estimate(5)
    with pytest.raises(DataError, match=r"the data must be a data frame"):
        dfg.estimate(None)


@pytest.mark.parametrize("name, char", [("A+B", "+"), ("A,B", ","), ("A*B", "*"), ("A~B", "~"), ("A:B", ":")])
def test_a_list_name_that_breaks_model_terms_is_refused(name, char):
    df = _table(("EX", name, "C"))
    with pytest.raises(DataError) as e:
        dfg.estimate(df, ci="none")
    msg = str(e.value)
    assert f"list column name {name!r} contains {char!r}" in msg and "rename the column" in msg
    assert repr(name.replace(char, "_")) in msg


@pytest.mark.parametrize("name", ["Freq", "(Intercept)"])
def test_a_list_named_like_a_formula_word_is_refused(name):
    df = _table(("EX", name, "C"))
    with pytest.raises(DataError, match=re.escape(f"list column name {name!r} is ") + ".*rename the column"):
        dfg.estimate(df, ci="none")


def test_a_covariate_name_that_breaks_model_terms_is_refused():
    df = _table().rename(columns={"sex": "sex+age"})
    with pytest.raises(DataError, match=r"covariate column name 'sex\+age' contains '\+'"):
        dfg.estimate(df, ci="none")
