"""Tester report 12, M2: ``--out`` set to the folder of the registration files is refused at the start, and an
organisation's file beside a link output is not taken for one of link's outputs."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage import simulate_registrations


def _write_files(folder):
    """Two small synthetic organisations' files in `folder`; their paths."""
    folder.mkdir()
    files = simulate_registrations("clearing_house", seed=3, scale=0.02).files()
    paths = []
    for name in ("police", "shelters"):
        p = folder / f"{name}.csv"
        files[name].to_csv(p, index=False)
        paths.append(p)
    return paths


def test_out_folder_holding_an_input_is_refused_before_linking(tmp_path):
    paths = _write_files(tmp_path / "regs")
    before = {p.name for p in (tmp_path / "regs").iterdir()}
    r = CliRunner().invoke(app, ["link", *map(str, paths), "--out", str(tmp_path / "regs")])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "holds the registration file" in text and "Pick another folder for --out" in text
    assert {p.name for p in (tmp_path / "regs").iterdir()} == before  # nothing written beside the inputs


def test_an_organisation_file_beside_link_outputs_is_not_an_output(tmp_path):
    paths = _write_files(tmp_path / "regs")
    folder = tmp_path / "regs"
    # what a link run with --out = this folder left behind: its outputs, listed in the manifest, beside the inputs
    pd.DataFrame({"police": [1, 0], "shelters": [1, 1], "count": [3, 2]}).to_csv(folder / "histories.csv", index=False)
    pd.DataFrame({"record_id": ["a", "b"], "person_id": [1, 1]}).to_csv(folder / "links.csv", index=False)
    entry = {"sha256": "0", "written": "2026-12-06T05:13:27+00:00", "command": "link", "run": "r1", "from": []}
    (folder / ".darkfigure-outputs.json").write_text(json.dumps(
        {"files": {"histories.csv": entry, "links.csv": entry}}), encoding="utf-8")
    from darkfigure.cli.linkage import _refuse_link_outputs

    _refuse_link_outputs(paths, tmp_path / "elsewhere")  # the organisations' files pass: no exit
    r = CliRunner().invoke(app, ["link", str(folder / "histories.csv"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "already linked" in " ".join(r.output.split())
