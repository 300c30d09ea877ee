"""N̂ = n with no room above it exits 3 like a list that registered everyone; that case runs no bootstrap and does
not also say the unobserved cell is identified (tester report 12b, L2 and L3)."""

from __future__ import annotations

import pandas as pd

import darkfigure as dfg

NOSINGLE = "A,B,C,count\n1,1,0,20\n1,0,1,20\n0,1,1,20\n1,1,1,20\n"
ALL1 = "A,B,C,count\n1,0,0,10\n1,1,0,12\n1,0,1,15\n1,1,1,16\n"


def test_nobody_on_one_list_exits_3_without_an_nhat(tmp_path, cli):
    data = tmp_path / "nosingle.csv"
    data.write_text(NOSINGLE)
    out = cli(["estimate", data, "--seed", "1", "--reps", "200", "--jobs", "1", "--out", tmp_path / "o"], code=3)
    assert "not identified by these data" in " ".join(out.split())
    est = pd.read_csv(tmp_path / "o" / "estimates.csv")
    assert est.loc[0, "status"] == "not identified" and pd.isna(est.loc[0, "nhat"])
    assert est.loc[0, "lower"] == 80  # at least the persons registered
    assert "still identified" not in out


def test_a_list_with_everyone_runs_no_bootstrap_and_no_contradiction(tmp_path):
    data = tmp_path / "all1.csv"
    data.write_text(ALL1)
    res = dfg.estimate(str(data), seed=1, reps=200)
    assert res.status == "not identified"
    assert res.raw.bootstrap is None
    said = " ".join(res.warnings)
    assert "still identified" not in said and "registered every observed person" in said
    assert "no uncertainty" not in res.to_publish()["statement"]
