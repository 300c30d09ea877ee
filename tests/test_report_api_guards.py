"""The Python report API has the command line's output guards (tester 14b, H2): never the run's own files, never a
file darkfigure did not write unless overwrite=True."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.outputs import OutputError
from darkfigure.report.build import build_report


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from darkfigure.estimation import estimate

    d = tmp_path_factory.mktemp("run")
    rows = [(1, 0, 0, 120), (0, 1, 0, 80), (0, 0, 1, 60), (1, 1, 0, 30), (1, 0, 1, 20), (0, 1, 1, 15), (1, 1, 1, 5)]
    estimate(pd.DataFrame(rows, columns=["A", "B", "C", "count"]), ci="none").write(d / "o")
    return d / "o"


def test_refuses_the_runs_own_result(run):
    before = (run / "result.json").read_bytes()
    with pytest.raises(OutputError, match="input of this run"):
        build_report(run, out=run / "result.json")
    with pytest.raises(OutputError, match="input of this run"):
        build_report(run, out=run / "result.json", overwrite=True)
    assert (run / "result.json").read_bytes() == before


def test_refuses_a_users_file_unless_overwrite(run, tmp_path):
    mine = tmp_path / "userdata.csv"
    mine.write_text("a,b\n1,2\n")
    with pytest.raises(OutputError, match="overwrite=True"):
        build_report(run, out=mine)
    assert mine.read_text() == "a,b\n1,2\n"
    assert build_report(run, out=mine, overwrite=True) == mine
    assert mine.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_writes_and_rewrites_its_own_report(run):
    p = build_report(run)
    assert p == run / "report.html" and p.is_file()
    assert build_report(run) == p  # its own file, recorded in the manifest: written again without overwrite
