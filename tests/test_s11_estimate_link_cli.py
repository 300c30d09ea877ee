"""Commands without the linkage correction on a link folder; --out into a link folder; shares rounded as the
report rounds them (tester report 11, findings 9 and 14)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.cli.estimate import _share
from s11_link_folder import small_folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return small_folder(tmp_path_factory.mktemp("s11cli") / "lk")


@pytest.mark.parametrize("args", [["compare", "{f}", "--covariates", "", "--no-validation"],
                                  ["validate", "{f}", "--covariates", ""],
                                  ["estimate", "{f}", "--method", "dga", "--covariates", ""]])
def test_commands_without_the_linkage_correction_point_to_what_to_give(folder, args):
    r = CliRunner().invoke(app, [a.format(f=folder) for a in args])
    assert r.exit_code == 2, r.output
    flat = " ".join(r.output.split())
    assert "link` output folder" in flat and "does not take the linkage correction" in flat
    assert "histories.csv" in flat and "darkfigure estimate" in flat


def test_estimate_out_into_a_link_folder_is_refused_before_the_work(folder):
    before = sorted(p.name for p in folder.iterdir())
    r = CliRunner().invoke(app, ["estimate", str(folder / "histories.csv"), "--covariates", "", "--linkage", "none",
                                 "--out", str(folder)])
    assert r.exit_code == 2, r.output
    assert "link` output folder" in " ".join(r.output.split())
    assert sorted(p.name for p in folder.iterdir()) == before


def test_share_rounded_as_the_report():
    from darkfigure.report.views import fmt_pct

    for x in (0.004, 0.0, 0.123, 0.9996):
        assert _share(x) == fmt_pct(x)
    assert _share(0.004) == "0.4%"
