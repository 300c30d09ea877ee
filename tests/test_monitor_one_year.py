"""A monitor of one year works: the year labels every row and is no model covariate (tester report 10, F7)."""

from __future__ import annotations

import json
from itertools import product

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import darkfigure as dfg
from darkfigure.cli import app
from darkfigure.histories import DataError
from darkfigure.monitoring import monitor

FAST = {"search": "cruyff", "ci": "parametric", "reps": 50, "seed": 1, "n_jobs": 1}


@pytest.fixture(scope="module")
def table():
    """Synthetic counts of 3 lists by region in the one year 2021 (Poisson cells, seeded)."""
    rng = np.random.default_rng(7)
    rows = []
    for region, scale in (("north", 1.0), ("south", 0.7)):
        for a, b, c in product((0, 1), repeat=3):
            if a + b + c:
                p = (0.3 if a else 0.7) * (0.25 if b else 0.75) * (0.2 if c else 0.8)
                rows.append((a, b, c, region, 2021, int(rng.poisson(2000 * scale * p)) + 1))
    return pd.DataFrame(rows, columns=["A", "B", "C", "region", "year", "count"])


def test_one_year_monitor_labels_the_rows_with_the_year(table):
    res = monitor(table, year="year", **FAST)
    t = res.table
    assert set(t["year"]) == {"", "2021"}
    every, one = t[t["year"] == ""].reset_index(drop=True), t[t["year"] == "2021"].reset_index(drop=True)
    cols = ["group", "level", "observed", "nhat", "lower", "upper"]
    pd.testing.assert_frame_equal(every[cols], one[cols])
    assert "year" not in res.estimate.histories.covariates
    assert res.estimate.histories.covariates == ("region",)
    assert any(n.startswith("one year only (2021)") for n in res.estimate.notes)
    # the same model as estimate() on the table without its year column
    est = dfg.estimate(table.drop(columns="year"), **FAST)
    assert every.loc[0, "nhat"] == pytest.approx(est.nhat, rel=1e-9)


def test_one_year_options_that_need_years_are_refused(table):
    with pytest.raises(DataError, match=r"--separate-years .*one year \(2021\)"):
        monitor(table, year="year", separate_years=True, **FAST)
    with pytest.raises(DataError, match=r"--year-degree .*one year \(2021\)"):
        monitor(table, year="year", year_degree=1, **FAST)


def test_one_year_cli_with_population(table, tmp_path):
    data, pop, out = tmp_path / "oneyear.csv", tmp_path / "pop.csv", tmp_path / "out"
    table.to_csv(data, index=False)
    pd.DataFrame({"year": [2021], "population": [2_000_000]}).to_csv(pop, index=False)
    r = CliRunner().invoke(app, ["monitor", str(data), "--year", "year", "--covariates", "region,year",
                                 "--population", str(pop), "--search", "cruyff", "--ci", "parametric",
                                 "--reps", "50", "--seed", "1", "--jobs", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "one year only (2021)" in r.output
    t = pd.read_csv(out / "monitor.csv", dtype={"year": str}, keep_default_na=False)
    tot = t[t["group"] == "total"]
    assert tot["year"].tolist() == ["", "2021"]
    assert np.allclose(tot["rate_per_100k"], tot["nhat"] / 2_000_000 * 1e5)
    info = json.loads((out / "result.json").read_text())["monitor"]
    assert info["year"] == "year" and any("one year only" in n for n in info["years_notes"])


def test_two_years_are_still_a_covariate(table):
    two = table.copy()
    two.loc[two.index % 2 == 0, "year"] = 2022
    res = monitor(two, year="year", **FAST)
    assert "year" in res.estimate.histories.covariates
    assert set(res.table["year"]) == {"", "2021", "2022"}
