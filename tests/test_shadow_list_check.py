"""A 0/1 covariate taken as a list is spotted from the data: none of its persons is on it alone (tester 12b, L9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure._list_checks import shadow_list_warnings
from darkfigure.io import read_histories

BUNDLED = sorted((Path(dfg.__file__).parent / "datasets" / "data").glob("*.csv"))


def _with_covariate(seed: int = 11, n: int = 3000) -> pd.DataFrame:
    """Person rows: three independent lists and a 0/1 covariate ``nationality_eu`` (its name is no known word)."""
    rng = np.random.default_rng(seed)
    caught = rng.random((n, 3)) < 0.3
    keep = caught.any(axis=1)
    d = pd.DataFrame(caught[keep].astype(int), columns=["police", "ngo", "labour"])
    return d.assign(nationality_eu=(rng.random(keep.sum()) < 0.4).astype(int))


def test_a_01_covariate_taken_as_a_list_is_warned_about():
    d = _with_covariate()
    h = read_histories(d)
    assert "nationality_eu" in h.lists  # what the tester saw: taken as a list
    said = [w for w in h.warnings if "'nationality_eu'" in w]
    assert len(said) == 1 and "--lists" in said[0] and "alone" in said[0]
    res = dfg.estimate(d, ci="none", search="none")
    assert any("'nationality_eu'" in w for w in res.warnings)  # reaches the result's warnings
    # the real lists are not named
    assert not any(f"'{c}'" in " ".join(h.warnings) for c in ("police", "ngo", "labour"))


def test_no_warning_when_the_lists_are_named():
    h = read_histories(_with_covariate(), lists=["police", "ngo", "labour"], covariates=["nationality_eu"])
    assert not any("nationality_eu" in w for w in h.warnings)


def test_few_persons_are_not_enough_to_warn():
    # a list with persons only beside others, but fewer than the minimum: a small table says nothing
    t = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                      "D": [0, 0, 0, 1, 1, 0, 0], "count": [50, 40, 30, 5, 4, 3, 1]})
    assert shadow_list_warnings(t, ["A", "B", "C", "D"]) == []
    t.loc[3:4, "count"] = [15, 10]  # 25 persons on D, none alone: warned
    assert len(shadow_list_warnings(t, ["A", "B", "C", "D"])) == 1


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_no_false_warning_on_the_bundled_datasets(path):
    h = read_histories(str(path))
    assert not any("none of its" in w for w in h.warnings), h.warnings
