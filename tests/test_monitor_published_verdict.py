"""monitor_published.csv flags its rows when the run's verdict withholds the figures (tester 17a, H1)."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from darkfigure.monitoring import monitor


@pytest.fixture(scope="module")
def run():
    """A monitor run on synthetic counts of 3 lists by year (Poisson cells, seeded)."""
    rng = np.random.default_rng(5)
    rows = [(a, b, c, y, int(rng.poisson(200)) + 1)
            for y in (2021, 2022) for a, b, c in product((0, 1), repeat=3) if a + b + c]
    t = pd.DataFrame(rows, columns=["A", "B", "C", "year", "count"])
    return monitor(t, year="year", search="none", ci="parametric", reps=30, seed=1)


def test_withholding_verdict_flags_every_published_row(run, tmp_path, monkeypatch):
    verdict = {"statement": "Do not publish N̂ ...", "rules": ["linkage-first"], "low": None, "high": None}
    monkeypatch.setattr(type(run.estimate), "to_publish", lambda self: verdict)
    run.write(tmp_path / "held")
    pub = pd.read_csv(tmp_path / "held" / "monitor_published.csv")
    assert "to_publish" in pub.columns and pub["to_publish"].str.startswith("N̂ withheld (linkage-first): publish no figure").all()
    cols = pd.read_csv(tmp_path / "held" / "monitor_published_columns.csv")
    assert "do not publish" in cols.set_index("column").loc["to_publish", "description"]


def test_publishable_verdict_leaves_the_table_unflagged(run, tmp_path, monkeypatch):
    monkeypatch.setattr(type(run.estimate), "to_publish", lambda self: {"rules": ["agree"]})
    run.write(tmp_path / "ok")
    assert "to_publish" not in pd.read_csv(tmp_path / "ok" / "monitor_published.csv").columns


def test_floor_verdict_flags_the_rows_with_the_floor(run, tmp_path, monkeypatch):
    """Review s17 (H2): 'below-chao' ("Do not publish N̂ ...; publish Chao's lower bound as a floor") was not flagged."""
    verdict = {"statement": "Do not publish N̂ 5,056 ...", "rules": ["below-chao", "chao-raise"], "low": 5123.4,
               "high": None, "publish_interval": False}
    monkeypatch.setattr(type(run.estimate), "to_publish", lambda self: verdict)
    run.write(tmp_path / "floor")
    pub = pd.read_csv(tmp_path / "floor" / "monitor_published.csv")
    assert pub["to_publish"].eq("N̂ withheld (below-chao): publish at most the lower limit 5,123 for the total, as a "
                                "floor; see result.json to_publish").all()


def test_caveat_only_verdict_is_not_flagged(run, tmp_path, monkeypatch):
    verdict = {"rules": ["heterogeneity"], "low": 100.0, "high": None, "publish_interval": True}
    monkeypatch.setattr(type(run.estimate), "to_publish", lambda self: verdict)
    run.write(tmp_path / "cav")
    assert "to_publish" not in pd.read_csv(tmp_path / "cav" / "monitor_published.csv").columns


def test_report_published_table_shows_the_verdict(run, tmp_path, monkeypatch):
    """Review s17 (M6): the analyst report's published table showed the public rounding of a withheld figure."""
    from darkfigure.report.sections_monitor import _published_view

    verdict = {"rules": ["poor-fit"], "low": None, "high": None, "publish_interval": False}
    monkeypatch.setattr(type(run.estimate), "to_publish", lambda self: verdict)
    run.write(tmp_path / "pf")
    view = _published_view(pd.read_csv(tmp_path / "pf" / "monitor_published.csv", dtype=str))
    assert view["to publish"].str.startswith("N̂ withheld (poor-fit): publish no figure").all()
