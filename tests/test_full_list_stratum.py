"""A stratum (covariate level or year) where one list registered everyone seen there is not bounded above: no N̂
for it, the total a lower bound only, in every output (tester 14b, H1). Synthetic tables only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from darkfigure.estimation import estimate

# region=north: an ordinary 3-list table; region=south: every person on list A
_ROWS = [(1, 0, 0, "north", 120), (0, 1, 0, "north", 80), (0, 0, 1, "north", 60), (1, 1, 0, "north", 30),
         (1, 0, 1, "north", 20), (0, 1, 1, "north", 15), (1, 1, 1, "north", 5),
         (1, 0, 0, "south", 90), (1, 1, 0, "south", 25), (1, 0, 1, "south", 20), (1, 1, 1, "south", 6)]


@pytest.fixture
def stratum_all_a(tmp_path):
    f = tmp_path / "stratum_all_a.csv"
    pd.DataFrame(_ROWS, columns=["A", "B", "C", "region", "count"]).to_csv(f, index=False)
    return f


def persons_all_a_year(seed: int = 1) -> pd.DataFrame:
    """Persons on lists A, B, C by year and sex; in the last year only persons on A were registered."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in (2019, 2020, 2021, 2022):
        for _ in range(800):
            caught = rng.random(3) < (0.35, 0.3, 0.25)
            if year == 2022:
                caught[0] = True  # list A registered every person seen in 2022
            if caught.any():
                rows.append((*caught.astype(int), year, rng.choice(["f", "m"])))
    return pd.DataFrame(rows, columns=["A", "B", "C", "year", "sex"])


def test_estimate_marks_the_stratum_and_the_total(stratum_all_a):
    e = estimate(stratum_all_a, ci="none")
    t = e.estimates_to_write().set_index(["group", "level"])
    assert t.loc[("region", "south"), "status"] == "not identified"
    assert np.isnan(t.loc[("region", "south"), "nhat"])
    assert t.loc[("region", "north"), "status"] == "ok" and t.loc[("region", "north"), "nhat"] > 330
    total = t.iloc[0]
    assert total["status"].startswith("lower bound: region=south")
    tp = e.to_publish()
    assert "region=south" in tp["statement"] and not tp["statement"].startswith("Publish")
    assert tp["high"] is None and "unbounded-stratum" in tp["rules"]
    assert any("region=south" in w and "not bounded above" in w for w in e.warnings)
    # the extended-MLE note would say the unobserved cell is identified: false for south
    assert not any("is still identified" in w for w in e.warnings)
    assert e.to_dict()["to_publish"]["high"] is None


def test_estimate_cli_names_the_stratum(cli, stratum_all_a, tmp_path):
    out = cli(["estimate", stratum_all_a, "--ci", "none", "--out", tmp_path / "o"], code=0,
              says=["a lower bound", "region=south", "to publish: Do not publish N̂"])
    assert "still identified" not in out
    t = pd.read_csv(tmp_path / "o" / "estimates.csv", keep_default_na=False)
    assert t.loc[t["level"] == "south", "status"].item() == "not identified"
    assert t.loc[t["level"] == "south", "nhat"].item() == ""
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert res["to_publish"]["high"] is None and any("region=south" in w for w in res["warnings"])
    assert res["nhat_lower_bound"] is True  # the total counts south at its registered persons (review)
    assert [(s["covariate"], str(s["level"])) for s in res["strata_not_bounded"]] == [("region", "south")]


def test_estimate_by_year_keeps_the_other_years():
    e = estimate(persons_all_a_year(), year="year", ci="none")
    t = e.estimates_to_write()
    by = {(str(g), str(lv)): r for g, lv, r in zip(t["group"], t["level"], t.to_dict("records"))}
    assert by[("year", "2022")]["status"] == "not identified"
    assert by[("year", "2019")]["status"] == "ok" and np.isfinite(by[("year", "2019")]["nhat"])
    assert by[("sex", "f")]["status"].startswith("lower bound")  # holds 2022's persons
    assert by[("year:sex", "2019:f")]["status"] == "ok" and by[("year:sex", "2022:m")]["status"] == "not identified"


def test_ordinary_strata_are_untouched(tmp_path):
    rows = [r for r in _ROWS if r[3] == "north"] + [(*r[:3], "south", r[4]) for r in _ROWS if r[3] == "north"]
    f = tmp_path / "two.csv"
    pd.DataFrame(rows, columns=["A", "B", "C", "region", "count"]).to_csv(f, index=False)
    e = estimate(f, ci="none")
    assert e.status == "ok" and (e.estimates_to_write()["status"] == "ok").all()
    assert e.to_dict()["nhat_lower_bound"] is False and e.to_dict()["strata_not_bounded"] == []


def test_monitor_leaves_the_year_without_an_estimate():
    from darkfigure.monitoring import monitor

    res = monitor(persons_all_a_year(), year="year", ci="parametric", reps=50, seed=1)
    t = res.table
    y22 = t[(t["group"] == "total") & (t["year"] == "2022")].iloc[0]
    assert np.isnan(y22["nhat"]) and np.isnan(y22["upper"])
    assert any("monitor: " in w and "year=2022" in w for w in res.estimate.warnings)
    y19 = t[(t["group"] == "total") & (t["year"] == "2019")].iloc[0]
    assert np.isfinite(y19["nhat"]) and np.isfinite(y19["upper"])
    m22 = t[(t["group"] == "sex") & (t["level"] == "m") & (t["year"] == "2022")].iloc[0]
    assert np.isnan(m22["nhat"])
    p = res.published
    assert (p[(p["group"] == "total") & (p["year"] == "2022")]["nhat"] == "").all()
    assert not res.estimate.to_publish()["statement"].startswith("Publish")


def test_strata_marks_the_stratum_not_estimable():
    from darkfigure.strata import estimate_strata

    d = persons_all_a_year()
    r = estimate_strata(d, by="year", lists=["A", "B", "C"], reps=50, seed=1)
    row = r.table[r.table["year"].astype(str) == "2022"].iloc[0]
    assert row["status"] != "estimated" and "registered every one" in row["reason"]
    tot = r.totals[r.totals["group"] == "total"].iloc[0]
    assert tot["covers"] != "all strata" and tot["strata"] == 3


def test_a_small_stratum_under_main_effects_is_not_forced(tmp_path):
    """A stratum of 2 persons, all on A, under a model with no A x stratum term: its dark figure is small, not 0,
    an estimate through the other strata's parameters; it is not flagged."""
    # north: three lists with capture probability 0.7 each (dark figure about 3% of those seen)
    north = [(1, 0, 0, 63), (0, 1, 0, 63), (0, 0, 1, 63), (1, 1, 0, 147), (1, 0, 1, 147), (0, 1, 1, 147),
             (1, 1, 1, 343)]
    rows = [(*r[:3], "north", r[3]) for r in north] + [(1, 0, 0, "tiny", 1), (1, 1, 0, "tiny", 1)]
    f = tmp_path / "tiny.csv"
    pd.DataFrame(rows, columns=["A", "B", "C", "region", "count"]).to_csv(f, index=False)
    e = estimate(f, search="none", ci="none")
    assert e.full_strata() == [] and (e.estimates_to_write()["status"] == "ok").all()
