"""``darkfigure strata``'s terminal table labels a total over some strata as such (tester report 10, F15 follow-up).

totals.csv's ``covers`` column says "estimated strata only" when strata were left out; the terminal row was
still called ``total``, which read as the population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.cli.strata import _labels


def _persons(rng, n, overlap: bool) -> pd.DataFrame:
    """Synthetic persons on 3 lists: capture probability 0.4 each (overlapping), or each on exactly one list."""
    if overlap:
        x = rng.random((n, 3)) < 0.4
        x = x[x.any(axis=1)]
    else:
        x = np.eye(3, dtype=bool)[rng.integers(0, 3, n)]
    return pd.DataFrame(x.astype(int), columns=["A", "B", "C"])


def _run(tmp_path, data: pd.DataFrame, monkeypatch) -> str:
    """The command's output with whitespace and table borders removed (rich wraps a cell at the console's width,
    which the rest of the test session may have fixed)."""
    p = tmp_path / "persons.csv"
    data.to_csv(p, index=False)
    from darkfigure.cli import common

    monkeypatch.setattr(common.console, "_width", 200)  # wide enough that no cell is cut, whatever set it before
    res = CliRunner().invoke(app, ["strata", str(p), "--by", "g", "--seed", "1", "--reps", "50"])
    assert res.exit_code == 0, res.output
    return "".join(res.output.replace("│", " ").split())


def test_total_row_says_it_covers_the_estimated_strata_only(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    a = _persons(rng, 600, True).assign(g="a")
    b = _persons(rng, 200, False).assign(g="b")  # lists share nobody: not estimable, left out of the total
    out = _run(tmp_path, pd.concat([a, b], ignore_index=True), monkeypatch)
    assert "total(estimatedstrataonly)" in out


def test_total_row_over_all_strata_is_plain(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    a = _persons(rng, 600, True).assign(g=lambda d: rng.choice(["x", "y"], len(d)))
    out = _run(tmp_path, a, monkeypatch)
    assert "total" in out and "(estimated" not in out and "estimatedstrataonly" not in out


@pytest.mark.parametrize(("row", "want"), [
    ({"group": "total", "level": "", "covers": "estimated strata only"}, ("total (estimated strata only)", "")),
    ({"group": "sex", "level": "f", "covers": "estimated strata only"}, ("sex", "f (estimated strata only)")),
    ({"group": "sex", "level": "f", "covers": "all strata"}, ("sex", "f")),
    ({"group": "total", "level": ""}, ("total", "")),  # a totals.csv of an older run, without the column
])
def test_labels(row, want):
    assert _labels(pd.Series(row)) == want
