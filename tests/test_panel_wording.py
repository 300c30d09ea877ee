"""Wording of the estimate panel and of data messages (tester report 10, F13)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.histories import CaptureHistories
from darkfigure.io import read_histories
from darkfigure.pipeline.reading import require_year


def _flat(text: str) -> str:
    """Output with rich's line wrapping and box borders removed."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


def test_saturated_fit_prints_deviance_zero_and_no_interval_sentence(cli, tmp_path):
    """Two lists that overlap in one person: the saturated main-effects fit (deviance 0 up to rounding) and an N̂
    the house rule does not show: no "-0.0", and no sentence about an interval that is not shown."""
    f = tmp_path / "lp1.csv"
    pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "Freq": [1000, 1000, 1]}).to_csv(f, index=False)
    out = _flat(cli(["estimate", f, "--seed", "1", "--reps", "200"], code=3))
    assert "deviance 0.0 on 0 df" in out and "-0.0" not in out
    assert "not identified by these data" in out
    assert "one model only (the search kept one model)" in out
    assert "parametric bootstrap" not in out


def test_shown_interval_keeps_the_sentence(cli, tmp_path):
    f = tmp_path / "two.csv"
    pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "Freq": [300, 200, 100]}).to_csv(f, index=False)
    out = _flat(cli(["estimate", f, "--seed", "1", "--reps", "200"], code=None))
    assert "one model only (the search kept one model): the interval is that model's parametric bootstrap" in out


def _h() -> CaptureHistories:
    d = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 0], "sex": ["f", "m", "f", "m"], "Freq": [5, 4, 2, 3]})
    return read_histories(d)


def test_year_that_is_no_column():
    with pytest.raises(DataError, match=r"no column 'Q' in the data \(columns: A, B, sex, and the count\)"):
        require_year(_h(), "Q")


def test_year_that_is_a_list():
    with pytest.raises(DataError, match=r"year column 'A' was read as a list"):
        require_year(_h(), "A")
    # a covariate whose values are not years is refused as the year (tester 17a, M5), naming its values
    with pytest.raises(DataError, match=r"year column 'sex' has values that are not years: 'f'"):
        require_year(_h(), "sex")


def test_single_level_is_shown_as_a_plain_number():
    d = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "year": [2021, 2021, 2021], "count": [5, 4, 2]})
    with pytest.raises(DataError, match=r"covariate 'year' has a single level \(2021\) among") as e:
        read_histories(d, covariates=["year"])  # named: refused (a constant column not named is left out)
    assert "np." not in str(e.value)
