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


def _strings_inf(x, path="") -> list[str]:
    """Paths of every "inf"/"-inf"/"nan" string in a parsed JSON document."""
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in _strings_inf(v, f"{path}.{k}")]
    if isinstance(x, list):
        return [p for i, v in enumerate(x) for p in _strings_inf(v, f"{path}[{i}]")]
    return [path] if isinstance(x, str) and x.strip().lower() in ("inf", "-inf", "+inf", "nan") else []


def test_jsonable_writes_null_and_flags_an_infinity_beside_it():
    """Every JSON-ish output: numbers or null, never "inf"; the flag says which nulls are infinite (review of 13a)."""
    from darkfigure.result_json import _jsonable, _num

    assert _num(math.inf) is None and _num(-math.inf) is None and _num(math.nan) is None and _num(2) == 2.0
    frame = pd.DataFrame({"group": ["total", "x"], "lower": [5.0, 1.0], "upper": [math.inf, 9.0]})
    d = _jsonable({"rows": frame, "confidence": [5.0, math.inf], "low": -math.inf, "gone": math.nan})
    assert d["rows"][0] == {"group": "total", "lower": 5.0, "upper": None, "upper_unbounded": True}
    assert d["rows"][1] == {"group": "x", "lower": 1.0, "upper": 9.0}
    assert d["confidence"] == [5.0, None] and d["confidence_unbounded"] == [False, True]
    assert d["low"] is None and d["low_unbounded_below"] is True
    assert d["gone"] is None and "gone_unbounded" not in d  # a missing figure is a plain null
    back = legacy_interval(d)  # the report's readers: "inf" where the flag says so, the input untouched
    assert back["rows"][0]["upper"] == "inf" and back["confidence"] == [5.0, "inf"] and back["low"] == "-inf"
    assert d["confidence"] == [5.0, None]


def test_result_to_dict_of_an_unbounded_run_has_no_inf_string():
    """Result.to_dict() (the API's) wrote the interval's high as "inf"; now null with high_unbounded."""
    import darkfigure as dfg

    t = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [40, 30, 1]})
    r = dfg.estimate(t, count="count", ci="averaged", reps=200, seed=1, n_jobs=1)
    assert math.isinf(r.confidence_interval.high)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert _strings_inf(d) == []
    ci = d["confidence_interval"]
    assert ci["high"] is None and ci["high_unbounded"] is True and ci["low"] == pytest.approx(r.confidence_interval.low)
    assert d["details"]["interval"]["upper_unbounded"] is True
