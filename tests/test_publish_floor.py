"""'Publish at most a lower limit': one floor for estimate and compare, written to estimates.csv (tester 12b, M6).

The blowup2 table (761 persons, the chosen 0-df model N̂ 5,000,761) gave "at least 20,891" in estimate and "at
least 14,160" in compare; estimates.csv left the lower limit empty and gained a `status` column only then.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from darkfigure.publish_floor import unbounded_floor

BLOWUP2 = "A,B,C,count\n1,0,0,300\n0,1,0,200\n0,0,1,250\n1,1,0,2\n1,0,1,3\n0,1,1,2\n1,1,1,4\n"


def test_floor_rule():
    chao = {"nhat": 300.0, "low": 200.0}
    assert unbounded_floor(100, {"m": 250.0}, chao) == (200.0, "Chao's lower bound")  # the smaller claim
    assert unbounded_floor(100, {"m": 150.0}, chao) == (150.0, "m")
    assert unbounded_floor(100, {"m": 150.0}, chao, heterogeneity=True)[0] == 200.0  # N above the bound
    assert unbounded_floor(100, {"m": 150.0}, chao, heterogeneity=True, negative_dependence=True)[0] == 150.0
    assert unbounded_floor(100, {"m": np.nan}, None) == (100.0, "the persons registered")
    assert unbounded_floor(100, {"m": 90.0}, None)[0] == 100.0  # never below the persons registered


def test_estimate_and_compare_agree_and_the_csv_holds_it(tmp_path, cli):
    data = tmp_path / "blowup2.csv"
    data.write_text(BLOWUP2)
    cli(["estimate", data, "--seed", "1", "--reps", "300", "--jobs", "1", "--out", tmp_path / "e"], code=None)
    res = json.loads((tmp_path / "e" / "result.json").read_text())
    low = res["to_publish"]["low"]
    assert res["to_publish"]["high"] is None and low > 761
    est = pd.read_csv(tmp_path / "e" / "estimates.csv")
    assert list(est.columns)[-1] == "status" and est.loc[0, "status"] == "not identified"
    assert np.isnan(est.loc[0, "nhat"]) and est.loc[0, "lower"] == pytest.approx(low)
    assert est.loc[0, "dark_figure_lower"] == pytest.approx(low - 761)
    cli(["compare", data, "--seed", "1", "--out", tmp_path / "c"], code=None)
    hl = json.loads((tmp_path / "c" / "compare.json").read_text())["headline"]
    assert hl["high"] is None and hl["low"] == pytest.approx(low, rel=1e-9)
