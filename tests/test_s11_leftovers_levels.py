"""A covariate level holding ':' is refused at every entry point (session 11 leftover 1).

':' joins a pair's covariates (``sex:region``) and their levels (``f:north``) in the output tables,
so a level ``north:east`` would make a pair's level ambiguous. Synthetic data only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure import datasets
from darkfigure.errors import DataError
from darkfigure.histories import CaptureHistories

BAD = "north:east"


def _persons(bad_row: int = 7, n: int = 120, seed: int = 11) -> pd.DataFrame:
    """One row per person: lists A, B, C (each person on at least one), sex, region, year; one bad level."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 2, size=(n, 3))
    cells[cells.sum(axis=1) == 0, 0] = 1
    df = pd.DataFrame(cells, columns=["A", "B", "C"])
    df["sex"] = rng.choice(["f", "m"], size=n)
    df["region"] = rng.choice(["north", "south"], size=n)
    df["year"] = rng.choice([2021, 2022], size=n)
    df.loc[bad_row, "region"] = BAD
    return df


def _says_all(msg: str, row: int) -> None:
    """The message names the column, the level, the row (from 1) and the fix."""
    assert "'region'" in msg and repr(BAD) in msg, msg
    assert f"row {row}" in msg, msg
    assert "'-'" in msg and "north-east" in msg, msg


@pytest.mark.parametrize("bad_row", [0, 7, 50])
def test_from_frame_refuses_a_level_with_a_colon_naming_column_level_and_row(bad_row):
    with pytest.raises(DataError) as e:
        CaptureHistories.from_frame(_persons(bad_row), lists=["A", "B", "C"], covariates=["sex", "region"])
    _says_all(str(e.value), bad_row + 1)


def test_aggregated_table_is_refused_too():
    agg = _persons().groupby(["A", "B", "C", "sex", "region"], as_index=False).size().rename(columns={"size": "n"})
    row = int(np.flatnonzero(agg["region"].to_numpy() == BAD)[0])
    with pytest.raises(DataError) as e:
        CaptureHistories.from_frame(agg, lists=["A", "B", "C"], count="n")
    _says_all(str(e.value), row + 1)


def test_a_level_without_a_colon_still_reads():
    df = _persons()
    df.loc[7, "region"] = "north-east"
    h = CaptureHistories.from_frame(df, lists=["A", "B", "C"], covariates=["sex", "region"])
    assert "north-east" in h.levels["region"]


def test_direct_construction_refuses_it():
    h = CaptureHistories.from_frame(_persons().replace({BAD: "north"}), lists=["A", "B", "C"], covariates=["region"])
    with pytest.raises(DataError, match="north-east"):
        CaptureHistories(lists=h.lists, covariates=h.covariates, levels={"region": ("north", BAD)}, table=h.table)


def test_python_api_refuses_it():
    df = _persons()
    with pytest.raises(DataError, match="north:east"):
        dfg.estimate(df, lists=["A", "B", "C"], covariates=["sex", "region"], ci="none")
    with pytest.raises(DataError, match="north:east"):
        dfg.compare(df, ["M0"], lists=["A", "B", "C"], covariates=["sex", "region"], reps=10, seed=1)
    with pytest.raises(DataError, match="north:east"):
        dfg.monitor(df, year="year", covariates=["sex", "region", "year"], lists=["A", "B", "C"], reps=10, seed=1)
    with pytest.raises(DataError, match="north:east"):
        dfg.LogLinear().fit(df, lists=["A", "B", "C"], covariates=["region"])


@pytest.mark.parametrize("cmd", [
    ["estimate", "{p}", "--lists", "A,B,C", "--covariates", "sex,region"],
    ["compare", "{p}", "--lists", "A,B,C", "--covariates", "sex,region", "--methods", "M0"],
    ["monitor", "{p}", "--year", "year", "--lists", "A,B,C", "--covariates", "sex,region,year"],
    ["strata", "{p}", "--by", "region", "--lists", "A,B,C"],
])
def test_command_line_refuses_it(cli, tmp_path, cmd):
    p = tmp_path / "persons.csv"
    _persons().to_csv(p, index=False)
    args = [str(p) if a == "{p}" else a for a in cmd] + ["--out", str(tmp_path / "out")]
    cli(args, code=2, says=["'region'", repr(BAD), "row 8", "north-east"])


def test_no_bundled_dataset_has_a_level_with_a_colon():
    for name in datasets.names():
        h = datasets.load(name)
        for c in h.covariates:
            assert not any(":" in str(v) for v in h.levels[c]), (name, c)


def test_a_scenario_with_such_a_level_is_refused_before_simulating():
    from darkfigure.scenario import Scenario, ScenarioError

    spec = {
        "years": [2021], "population": 500,
        "covariates": {"region": {"levels": ["north", BAD], "probabilities": [0.5, 0.5]}},
        "lists": {"A": {"baseline": 0.3}, "B": {"baseline": 0.3}},
    }
    with pytest.raises(ScenarioError, match="north-east"):
        Scenario.from_dict(spec)
    spec["covariates"]["region"]["levels"] = ["north", "north-east"]
    assert Scenario.from_dict(spec).covariates[0].levels == ("north", "north-east")
