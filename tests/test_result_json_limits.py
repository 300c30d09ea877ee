"""result.json's interval: an infinite upper limit is null + ``upper_unbounded``, and older "inf" files still read
(tester report 13a, F6.1)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from darkfigure.estimation import estimate
from darkfigure.report.run import load_run
from darkfigure.result_json import interval_limits, legacy_interval, upper_limit


def test_interval_limits_null_and_flag():
    """+inf -> null with the flag; a finite or missing limit keeps the flag false."""
    assert interval_limits(10.0, math.inf) == {"lower": 10.0, "upper": None, "upper_unbounded": True}
    assert interval_limits(10.0, 20.0) == {"lower": 10.0, "upper": 20.0, "upper_unbounded": False}
    assert interval_limits(math.nan, math.nan) == {"lower": None, "upper": None, "upper_unbounded": False}


def test_readers_take_old_and_new_files():
    """upper_limit reads the new flag, the older "inf" string, numbers and null; legacy_interval gives "inf" back."""
    assert upper_limit({"upper": None, "upper_unbounded": True}) == math.inf
    assert upper_limit({"upper": "inf"}) == math.inf  # a file written before the flag
    assert upper_limit({"upper": 12.5, "upper_unbounded": False}) == 12.5
    assert math.isnan(upper_limit({"upper": None, "upper_unbounded": False}))
    new = {"interval": {"lower": 3.0, "upper": None, "upper_unbounded": True}}
    assert legacy_interval(new)["interval"]["upper"] == "inf" and new["interval"]["upper"] is None
    old = {"interval": {"lower": 3.0, "upper": "inf"}}
    assert legacy_interval(old) is old


def test_result_json_of_an_unbounded_run(tmp_path):
    """A 2-list table that barely overlaps: result.json has no string where a number belongs; the report reads it."""
    t = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [40, 30, 1]})
    e = estimate(t, count="count", ci="averaged", reps=200, seed=1, n_jobs=1)
    assert math.isinf(e.upper)
    e.write(tmp_path / "o")
    iv = json.loads((tmp_path / "o" / "result.json").read_text())["interval"]
    assert iv["upper"] is None and iv["upper_unbounded"] is True
    assert iv["lower"] == pytest.approx(e.lower)
    run = load_run(tmp_path / "o")
    assert run.result["interval"]["upper"] == "inf"  # the report's readers see the form they were written for
