"""The monitor's rows count unbounded bootstrap replicates as N̂* = +inf, as estimates.csv does (tester report 9,
F10), and its terminal says when the interval is conditional on the chosen model (F8)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from darkfigure.loglinear.percentiles import quantile_with_inf
from darkfigure.monitoring import monitor
from darkfigure.monitoring.core import EM_CONDITIONAL_WARNING
from darkfigure.monitoring.tables import _percentiles
from darkfigure.simulation import simulate

# tester report 9's repro: a sparse 3-list table over 2 years; a quarter of the replicates have no finite N̂
MON_SPARSE = """A,B,C,year,count
1,0,0,2020,40
0,1,0,2020,30
0,0,1,2020,20
1,1,0,2020,1
1,0,1,2020,1
0,1,1,2020,0
1,0,0,2021,45
0,1,0,2021,28
0,0,1,2021,25
1,1,0,2021,1
0,1,1,2021,1
1,0,1,2021,0
"""


@pytest.fixture(scope="module")
def sparse():
    return monitor(pd.read_csv(io.StringIO(MON_SPARSE)), year="year", seed=1, reps=200, n_jobs=1)


def test_percentiles_count_unbounded_replicates_at_the_top():
    rng = np.random.default_rng(5)
    v = rng.gamma(4.0, 100.0, size=200)
    # every replicate finite: numpy's type 7 quantiles, as before the change
    assert np.allclose(_percentiles(v, 0.025), np.quantile(v, [0.025, 0.975]), rtol=0, atol=0)
    w = v.copy()
    w[:30] = np.inf  # 15% unbounded: the upper end is open, the lower end moves up (not the finite replicates' 2.5%)
    w[30:40] = np.nan  # failed replicates count as unbounded too, as BootstrapResult.intervals does
    lo, hi = _percentiles(w, 0.025)
    assert hi == np.inf
    assert lo == pytest.approx(quantile_with_inf(np.where(np.isfinite(w), w, np.inf), [0.025])[0])
    assert lo > np.quantile(v[40:], 0.025)
    w = v.copy()
    w[:4] = np.inf  # 2% unbounded (< 2.5%): still a finite upper end, but above the finite replicates' own 97.5%
    lo, hi = _percentiles(w, 0.025)
    assert np.isfinite(hi) and hi > np.quantile(v[4:], 0.975)
    assert np.isnan(_percentiles(np.array([1.0, np.inf, np.nan]), 0.025)).all()


def test_year_rows_agree_with_estimates_csv(sparse):
    t = sparse.table
    e = sparse.estimate.estimates
    assert np.isinf(sparse.estimate.upper)
    for yr in ("2020", "2021"):
        m = t[(t["group"] == "total") & (t["year"] == yr)].iloc[0]
        r = e[(e["group"] == "year") & (e["level"].astype(str) == yr)].iloc[0]
        assert m["nhat"] == pytest.approx(r["nhat"], rel=1e-12)
        assert m["lower"] == pytest.approx(r["lower"], rel=1e-12)
        assert np.isinf(m["upper"]) and np.isinf(r["upper"])
        # an infinite N̂* gives visibility 0 at the bottom
        assert m["visibility_lower"] == pytest.approx(0.0, abs=1e-12)
        assert m["visibility_upper"] == pytest.approx(m["observed"] / m["lower"])
    p = sparse.published
    assert set(p.loc[p["group"] == "total", "upper"]) == {"inf"}  # as estimates.csv writes it
    assert set(p.loc[p["group"] == "total", "visibility_lower"]) == {"0.000"}


def test_files_and_terminal_agree(sparse, tmp_path, cli):
    files = sparse.write(tmp_path / "w")
    assert {f.name for f in files} >= {"monitor.csv", "estimates.csv", "monitor_published.csv"}
    m = pd.read_csv(tmp_path / "w" / "monitor.csv", dtype=str, keep_default_na=False)
    e = pd.read_csv(tmp_path / "w" / "estimates.csv", dtype=str, keep_default_na=False)
    yrs = m[(m["group"] == "total") & (m["year"] != "")].set_index("year")
    ey = e[e["group"] == "year"].set_index("level")
    for yr in ("2020", "2021"):
        assert yrs.loc[yr, "upper"] == "inf" and float(yrs.loc[yr, "lower"]) == pytest.approx(float(ey.loc[yr, "lower"]))
        assert ey.loc[yr, "upper"] == "inf"
    data = tmp_path / "mon_sparse.csv"
    data.write_text(MON_SPARSE)
    out = cli(["monitor", str(data), "--year", "year", "--seed", "1", "--reps", "200", "--jobs", "1", "--out",
               tmp_path / "o"], code=None)
    flat = " ".join(out.split())
    # each row reads "N̂ (at least L)" (rich may wrap the cell inside the table's borders)
    assert flat.count("(at least") == 3 and "(at least 600)" in flat and "(at least 560)" in flat
    assert "4,808" not in flat and "–∞" not in flat and "the interval has no upper limit" in flat


SCENARIO = {
    "name": "small_monitor_em",
    "years": [2019, 2020],
    "year_column": "year",
    "population": {"size": [1500, 1600]},
    "covariates": {"sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]}},
    "lists": {
        "police": {"baseline": 0.2, "effects": {"sex": {"male": -0.4}}},
        "ngo": {"baseline": 0.15, "effects": {"sex": {"male": 0.5}}},
        "inspect": {"baseline": 0.12},
    },
}


def test_em_monitor_says_the_interval_is_conditional(tmp_path, cli):
    h = simulate(SCENARIO, seed=2).histories
    cols = [c for c in h.columns if c != "count"]
    rec = h.loc[h.index.repeat(h["count"]), cols].reset_index(drop=True)
    rec["sex"] = rec["sex"].astype(object)
    rec.loc[np.random.default_rng(1).random(len(rec)) < 0.1, "sex"] = np.nan
    f = tmp_path / "persons.csv"
    rec.to_csv(f, index=False)
    out = cli(["monitor", str(f), "--year", "year", "--lists", "police,ngo,inspect", "--missing", "em", "--reps",
               "50", "--seed", "1", "--jobs", "1", "--out", tmp_path / "o"], code=None)
    flat = " ".join(out.split())
    assert "parametric bootstrap; conditional on the chosen model" in flat
    assert " ".join(EM_CONDITIONAL_WARNING.split()[:12]) in flat
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert res["interval"]["conditional_on_chosen_model"] is True
    assert EM_CONDITIONAL_WARNING in res["warnings"]


def test_default_interval_says_it_carries_the_selection(tmp_path, cli):
    out = cli(["monitor", "cruyff_simdat", "--year", "Y", "--reps", "20", "--seed", "1", "--jobs", "1", "--out",
               tmp_path / "o"], code=None)
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    cond = res["interval"]["conditional_on_chosen_model"]
    assert ("conditional on the chosen model" if cond else "includes model-selection uncertainty") in " ".join(
        out.split())
    assert EM_CONDITIONAL_WARNING not in res["warnings"]
