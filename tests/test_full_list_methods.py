"""A list that registered every observed person leaves N unbounded for every method (tester 14b, H3).

The log-linear path exits 3; dga and LCMCR printed a posterior median at the number registered and the Mt/M0
models kept a forced interval. Synthetic table: list A holds all 175 persons.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.errors import DataError
from darkfigure.lcmcr_rules import unidentified_reason


def _table() -> pd.DataFrame:
    return pd.DataFrame({"A": [1, 1, 1, 1], "B": [0, 1, 0, 1], "C": [0, 0, 1, 1], "count": [120, 30, 20, 5]})


def test_dga_not_identified():
    r = dfg.DGA().fit(_table())
    assert r.result.status == "not identified"
    assert math.isnan(r.nhat)
    assert "registered every observed person" in r.warnings[0]


def test_lcmcr_rule_sees_the_full_list_before_sampling():
    t = _table()
    why = unidentified_reason(t[["A", "B", "C"]].to_numpy(), t["count"].to_numpy(), ["A", "B", "C"], None)
    assert why is not None and "'A'" in why and "not bounded above" in why
    # a list that misses somebody is no reason
    t.loc[0, "A"] = 0
    assert unidentified_reason(t[["A", "B", "C"]].to_numpy(), t["count"].to_numpy(), ["A", "B", "C"], None) is None


@pytest.mark.parametrize("model", ["Mt", "M0"])
def test_heterogeneity_models_give_no_forced_interval(model):
    r = dfg.Heterogeneity(model).fit(_table())
    assert math.isnan(r.nhat)
    assert not np.isfinite([r.confidence_interval.low, r.confidence_interval.high]).any()


def test_bic_exhaustive_says_why():
    with pytest.raises(DataError, match="registered every observed person"):
        dfg.BICExhaustive(reps=20, seed=1).fit(_table())


@pytest.mark.parametrize("out", [False, True])
def test_cli_dga_exits_3(tmp_path, out):
    f = tmp_path / "allones.csv"
    _table().to_csv(f, index=False)
    cmd = [sys.executable, "-m", "darkfigure.cli", "estimate", str(f), "--method", "dga"]
    if out:
        cmd += ["--out", str(tmp_path / "o")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "not identified" in p.stdout and "Publish" not in p.stdout


def test_compare_says_not_identified_for_the_searches_too():
    # review: bic-exhaustive and downhill came out "failed" (no admissible model) beside "not identified" elsewhere
    c = dfg.compare(_table(), ["bic-exhaustive", "downhill", "dga"], reps=20, seed=1)
    st = dict(zip(c.table["method"], c.table["status"]))
    assert st == {"bic-exhaustive": "not identified", "downhill": "not identified", "dga": "not identified"}, st
