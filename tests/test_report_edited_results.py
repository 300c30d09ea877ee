"""`darkfigure report` on a folder whose result.json or estimates.csv was edited by hand (tester report 7, 18)."""

import json
import shutil

import pytest

from darkfigure.report.run import RunFolderError, load_run


@pytest.fixture
def run_dir(cli, tmp_path):
    d = tmp_path / "out"
    cli(["estimate", "uk_2013", "--ci", "profile", "--assumption-range", "off", "--out", d], code=0)
    return d


def test_unedited_run_loads_without_problems_about_its_files(run_dir):
    assert not any("manifest" in p or "changed since" in p for p in load_run(run_dir).problems)


def test_edited_result_json_and_estimates_are_refused(cli, run_dir, tmp_path):
    d = tmp_path / "rep"
    shutil.copytree(run_dir, d)  # the manifest comes along
    res = json.loads((d / "result.json").read_text())
    res["nhat"] = 99999.9
    (d / "result.json").write_text(json.dumps(res))
    (d / "estimates.csv").write_text((d / "estimates.csv").read_text() + "\n")
    with pytest.raises(RunFolderError, match="estimates.csv, result.json in .* changed since darkfigure wrote them"):
        load_run(d)
    cli(["report", d], code=2, says=["estimates.csv, result.json", "changed since darkfigure wrote them"])
    cli(["report", d, "--audience", "public"], code=2, says=["changed since darkfigure wrote them"])
    assert not list(d.glob("report*.html"))
