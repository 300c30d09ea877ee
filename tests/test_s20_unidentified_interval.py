"""A table that cannot identify N has no interval: no warning about its bootstrap replicates (tester 20)."""

import json

from typer.testing import CliRunner

from darkfigure.cli import app

runner = CliRunner()
BEYOND = "bootstrap replicates lie beyond each end"


def test_not_identified_says_nothing_of_replicates(tmp_path):
    f = tmp_path / "apart.csv"
    f.write_text("A,B,C,count\n1,0,0,40\n0,1,0,30\n0,0,1,25\n")  # the lists share nobody
    r = runner.invoke(app, ["estimate", str(f), "--count", "count", "--seed", "1", "--reps", "200",
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 3, r.output
    assert "not identified" in r.output and BEYOND not in r.output
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert res["nhat"] is None and not any(BEYOND in w for w in res["warnings"])


def test_identified_still_warns_of_few_replicates(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("A,B,C,count\n1,0,0,30\n0,1,0,25\n0,0,1,20\n1,1,0,8\n1,0,1,6\n0,1,1,5\n1,1,1,2\n")
    r = runner.invoke(app, ["estimate", str(f), "--count", "count", "--seed", "1", "--reps", "200", "--jobs", "1",
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert any(w.startswith("only 5 of 200 " + BEYOND) for w in res["warnings"])
