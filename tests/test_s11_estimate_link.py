"""estimate/monitor on a link folder repeat what `darkfigure link` warned (tester report 11, finding 3)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage.link_warnings import LINK_PREFIX, link_warnings
from s11_link_folder import WARNING, small_folder

QUICK = ["--covariates", "", "--search", "cruyff", "--ci", "parametric", "--reps", "100", "--linkage-draws", "3",
         "--linkage-reps", "0", "--seed", "1", "--jobs", "1"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return small_folder(tmp_path_factory.mktemp("s11") / "lk")


def test_link_warnings_read_from_the_folder_and_its_histories(folder, tmp_path):
    assert link_warnings(folder) == [LINK_PREFIX + WARNING]
    assert link_warnings(folder / "histories.csv") == [LINK_PREFIX + WARNING]
    other = tmp_path / "histories.csv"
    other.write_text("a,b,count\n1,0,3\n")
    assert link_warnings(other) == [] and link_warnings(tmp_path) == []


def test_estimate_on_a_link_folder_repeats_links_warnings(folder, tmp_path):
    out = tmp_path / "est"
    r = CliRunner().invoke(app, ["estimate", str(folder), *QUICK, "--out", str(out)])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert "link: organisation 'police'" in flat
    said = json.loads((out / "result.json").read_text())["warnings"]
    assert said.count(LINK_PREFIX + WARNING) == 1
    # "to publish" carries it as a caveat
    pub = flat.split("to publish:")[1]
    assert "record linkage behind these persons warned" in pub and "'police'" in pub


def test_monitor_on_a_link_folder_repeats_links_warnings(folder, tmp_path):
    out = tmp_path / "mon"
    r = CliRunner().invoke(app, ["monitor", str(folder), "--year", "year", "--covariates", "year", "--ci",
                                 "parametric", "--reps", "100", "--linkage-draws", "3", "--linkage-reps", "0",
                                 "--seed", "1", "--jobs", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "link: organisation 'police'" in " ".join(r.output.split())
    said = json.loads((out / "result.json").read_text())["warnings"]
    assert said.count(LINK_PREFIX + WARNING) == 1


def test_profile_interval_with_the_linkage_correction_refused_at_the_start(folder):
    """--ci profile cannot pool over the linkage draws: refused before the search, naming what to use (F5)."""
    r = CliRunner().invoke(app, ["estimate", str(folder), "--covariates", "", "--ci", "profile",
                                 "--linkage-draws", "3"])
    assert r.exit_code == 2, r.output
    flat = " ".join(r.output.split())
    assert "--ci parametric" in flat and "--linkage none" in flat
    assert "model search" not in flat  # before the work
    # with --linkage none the profile interval of the histories as linked is given
    r = CliRunner().invoke(app, ["estimate", str(folder), "--covariates", "", "--ci", "profile", "--linkage", "none"])
    assert r.exit_code == 0, r.output
    assert "profile-likelihood interval" in " ".join(r.output.split())
