"""`darkfigure link` given its own output (the folder or a file in it) says it is already linked (tester 11, #9)."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from darkfigure.cli import app


def _fake_link_folder(folder):
    """The two files that make a folder a link output (darkfigure.linkage.link_run.is_link_folder)."""
    folder.mkdir()
    pd.DataFrame({"police": [1, 0], "shelters": [1, 1], "count": [3, 2]}).to_csv(folder / "histories.csv", index=False)
    pd.DataFrame({"record_id": ["a", "b"], "person_id": [1, 1]}).to_csv(folder / "links.csv", index=False)


def test_link_refuses_its_own_output_folder_and_files(tmp_path):
    _fake_link_folder(tmp_path / "lk")
    for given in (tmp_path / "lk", tmp_path / "lk" / "histories.csv", tmp_path / "lk" / "links.csv"):
        r = CliRunner().invoke(app, ["link", str(given), "--out", str(tmp_path / "o")])
        assert r.exit_code == 2, r.output
        text = " ".join(r.output.split())
        assert "already linked" in text and "darkfigure estimate" in text
    assert not (tmp_path / "o").exists()


def test_link_still_reads_registration_files_beside_other_files(tmp_path):
    # a folder with histories.csv but no links.csv is not a link output: the usual reading applies
    (tmp_path / "d").mkdir()
    pd.DataFrame({"police": [1], "count": [1]}).to_csv(tmp_path / "d" / "histories.csv", index=False)
    r = CliRunner().invoke(app, ["link", str(tmp_path / "d" / "histories.csv"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "already linked" not in " ".join(r.output.split())
