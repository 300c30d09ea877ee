"""A table where nobody is on exactly one list is called not identified before any bootstrap (tester 12b, L2)."""

from __future__ import annotations

import darkfigure as dfg

NOSINGLE = "A,B,C,count\n1,1,0,20\n1,0,1,20\n0,1,1,20\n1,1,1,20\n"
#: the same overlaps with a few persons on one list: N is identified and the bootstrap runs
SOME_SINGLES = "A,B,C,count\n1,0,0,15\n0,1,0,12\n0,0,1,9\n1,1,0,20\n1,0,1,20\n0,1,1,20\n1,1,1,20\n"


def test_nobody_on_one_list_runs_no_bootstrap(tmp_path):
    data = tmp_path / "nosingle.csv"
    data.write_text(NOSINGLE)
    res = dfg.estimate(str(data), seed=1, reps=200)
    assert res.status == "not identified"
    assert res.raw.bootstrap is None  # detected before the bootstrap, not after 200 replicates
    said = " ".join(res.warnings)
    assert "no room above it" in said
    statement = res.to_publish()["statement"]
    assert "at least 80 persons" in statement and "no uncertainty" not in statement


def test_a_table_with_persons_on_one_list_is_still_bootstrapped(tmp_path):
    data = tmp_path / "some.csv"
    data.write_text(SOME_SINGLES)
    res = dfg.estimate(str(data), seed=1, reps=50)
    assert res.raw.bootstrap is not None
