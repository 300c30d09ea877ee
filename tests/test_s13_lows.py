"""Low findings of tester report 13b: option errors as DataError (L1), ..."""

from __future__ import annotations

import pytest

import darkfigure as dfg
from darkfigure.errors import DataError


@pytest.mark.parametrize("options", [{"seed": 1.5}, {"level": 95}, {"ci": "bayes"}, {"reps": 5}])
def test_invalid_options_raise_the_documented_data_error(options) -> None:
    """``dfg.estimate``'s docstring promises DataError (a ValueError) for invalid options (L1)."""
    with pytest.raises(DataError):
        dfg.estimate("uk_2013", **options)


@pytest.mark.parametrize("year", [None, "", 3])
def test_monitor_without_a_year_column_name_says_so(year) -> None:
    """``dfg.monitor(f, year=None)`` raised ``KeyError: None`` from deep inside (L2)."""
    with pytest.raises(DataError, match="year must name"):
        dfg.monitor(dfg.load_dataset("cruyff_simdat"), year=year, reps=50, seed=1)


def test_two_list_hint_does_not_call_0_1_columns_not_0_1() -> None:
    """With one list named, the other 0/1 columns are offered as lists, not called "not 0/1" (L3)."""
    with pytest.raises(DataError) as e:
        dfg.estimate("kosovo_1999", lists=["EXH"])
    msg = str(e.value)
    assert "not 0/1" not in msg
    assert "coded 0/1 but not taken as lists" in msg and "'ABA'" in msg


@pytest.mark.parametrize(("key", "said"), [
    ("0123456789abcdef0123456789abcdef", "load_key"), ("key.txt", "load_key"), (None, "no key given"),
    (b"short", "at least 16 bytes, not 5"), (12345, "not int")])
def test_a_key_that_is_not_bytes_is_told_what_a_key_is(key, said) -> None:
    """A hex string, a file name or None got "the key must be at least 16 bytes" (L4)."""
    from darkfigure.linkage.keys import PseudonymisationError

    frame = dfg.datasets.load_frame("uk_2013")  # never read: the key is checked first
    with pytest.raises(PseudonymisationError, match=said):
        dfg.pseudonymise(frame, key)


def test_categorical_covariate_with_unused_categories_raises_no_pandas_warning() -> None:
    """A pandas categorical covariate with an unused category gave pandas' deprecation warning (L8)."""
    import warnings

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    d = pd.DataFrame({c: rng.integers(0, 2, 300) for c in "ABC"})
    d = d[d.sum(axis=1) > 0].copy()
    d["sex"] = pd.Series(rng.choice(["F", "M"], len(d)), index=d.index).astype(pd.CategoricalDtype(["F", "M", "X"]))
    plain = dfg.estimate(d.assign(sex=d["sex"].astype(str)), lists=["A", "B", "C"], covariates=["sex"],
                         search="none", ci="none")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = dfg.estimate(d, lists=["A", "B", "C"], covariates=["sex"], search="none", ci="none")
    assert r.nhat == pytest.approx(plain.nhat, rel=1e-9)


def test_print_shows_the_drawn_seed() -> None:
    """Without a seed, ``print(result)`` says which seed was drawn and how to repeat the run (L9)."""
    r = dfg.estimate("uk_2013", search="none", ci="parametric", reps=50)
    seed = r.raw.settings["seed"]
    assert seed is not None and f"pass seed={seed}" in str(r)
    assert "so one was drawn" not in str(dfg.estimate("uk_2013", search="none", ci="parametric", reps=50, seed=3))
