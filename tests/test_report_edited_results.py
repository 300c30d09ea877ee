"""`darkfigure report` on a folder whose result.json or estimates.csv was edited by hand (tester report 7, 18)."""

import json
import shutil

import pytest

from darkfigure.report.run import load_run


@pytest.fixture
def run_dir(cli, tmp_path):
    d = tmp_path / "out"
    cli(["estimate", "uk_2013", "--ci", "profile", "--assumption-range", "off", "--out", d], code=0)
    return d


def test_unedited_run_has_no_such_problem(run_dir):
    assert not any("changed after darkfigure wrote it" in p for p in load_run(run_dir).problems)


def test_edited_result_json_and_estimates_are_said(cli, run_dir, tmp_path):
    d = tmp_path / "rep"
    shutil.copytree(run_dir, d)  # the manifest comes along
    res = json.loads((d / "result.json").read_text())
    res["nhat"] = 99999.9
    (d / "result.json").write_text(json.dumps(res))
    (d / "estimates.csv").write_text((d / "estimates.csv").read_text().replace("\n", "\n", 1) + "\n")
    problems = load_run(d).problems
    assert any(p.startswith("result.json was changed after darkfigure wrote it (its SHA-256 differs") for p in problems)
    assert any(p.startswith("estimates.csv was changed after darkfigure wrote it") for p in problems)
    out = cli(["report", d], code=0, says=["warning: result.json was changed after darkfigure wrote it",
                                          "this report shows the edited figures, not the run's"])
    assert "Wrote" in out
    assert "result.json was changed after darkfigure wrote it" in (d / "report.html").read_text(encoding="utf-8")
