"""A run on a `darkfigure link` output folder is titled with the folder, not with its histories.csv (tester 20)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.linkage.uncertainty import LinkRun
from synthetic_pairs import true_pairs, write_link_folder


@pytest.fixture(scope="module")
def link_2024(tmp_path_factory) -> Path:
    """A link output folder named link_2024, without Splink (records, pairs, links.csv, histories.csv)."""
    tp = true_pairs(5, 3000, 300, sex=lambda s: s.astype(str).str[0].str.lower())
    return write_link_folder(LinkRun(tp.records, tp.pairs(0.9, 0.3), 0.5), tmp_path_factory.mktemp("t") / "link_2024")


def _run(data, out: Path) -> tuple[str, str, dict]:
    r = CliRunner().invoke(app, ["estimate", str(data), "--linkage", "none", "--covariates", "", "--ci", "none",
                                 "--out", str(out), "--report"])
    assert r.exit_code == 0, r.output
    title = re.search(r"<title>(.*?)</title>", (out / "report.html").read_text(encoding="utf-8")).group(1)
    return " ".join(r.output.split()), title, json.loads((out / "result.json").read_text())


def test_link_folder_names_the_report(link_2024, tmp_path):
    text, title, res = _run(link_2024, tmp_path / "o")
    assert title == "darkfigure report: link_2024"
    assert "data link_2024/histories.csv:" in text
    assert res["data"]["name"] == "histories.csv" and res["settings"]["data_folder"] == "link_2024"


def test_a_file_keeps_its_name(link_2024, tmp_path):
    text, title, res = _run(link_2024 / "histories.csv", tmp_path / "o")
    assert title == "darkfigure report: histories.csv"
    assert "data histories.csv:" in text and "data_folder" not in res["settings"]


def test_api_records_the_folder(link_2024):
    import darkfigure as dfg

    e = dfg.estimate(str(link_2024), linkage="none", covariates=[], ci="none").raw
    assert e.settings["data_folder"] == "link_2024" and e.histories.name == "histories.csv"


def test_public_report_names_the_link_folder(link_2024, tmp_path, monkeypatch):
    """Review s20 L3: the public report's dataset is the folder too, as the technical report's title (the run has no
    interval, so its verdict publishes nothing: the verdict's gate is bypassed to read the name alone)."""
    from darkfigure.report import public
    from darkfigure.report.run import load_run

    out = tmp_path / "o"
    _run(link_2024, out)
    monkeypatch.setattr(public, "_publishable", lambda run: run)
    assert public._context(load_run(out), "en", None)["dataset"] == "link_2024"
