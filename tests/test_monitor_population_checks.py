"""SDG rates from an impossible population table are refused or said (tester report 10, F2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.histories import DataError
from darkfigure.monitoring import add_rates, monitor, population_for
from darkfigure.monitoring.sdg import _check_denominators
from darkfigure.simulation import simulate

SCENARIO = {
    "name": "pop_checks",
    "years": [2017, 2018],
    "year_column": "year",
    "population": {"size": [1500, 1600]},
    "covariates": {"form": {"levels": ["sexual", "labour"], "probabilities": [0.6, 0.4]}},
    "lists": {
        "police": {"baseline": 0.3},
        "ngo": {"baseline": 0.25, "effects": {"form": {"labour": -0.5}}},
        "inspect": {"baseline": 0.2, "effects": {"form": {"labour": 1.0}}},
    },
}


@pytest.fixture(scope="module")
def sim():
    return simulate(SCENARIO, seed=5)


@pytest.fixture(scope="module")
def res(sim):
    return monitor(sim.histories, year="year", search="cruyff", ci="parametric", reps=50, seed=1, n_jobs=1)


def _total(t, year):
    return t[(t["group"] == "total") & (t["year"] == year)].iloc[0]


def test_population_below_observed_refused_before_the_fit(sim, monkeypatch):
    import darkfigure.estimation as estimation

    def no_fit(*a, **k):
        raise AssertionError("the model was fitted before the population table was checked")

    monkeypatch.setattr(estimation, "estimate", no_fit)
    pop = pd.DataFrame({"year": [2017, 2018], "population": [100, 1_000_000]})
    with pytest.raises(DataError, match=r"population of total in 2017 is 100, fewer than the [\d,]+ persons observed"):
        monitor(sim.histories, year="year", population=pop, reps=50, n_jobs=1)
    pop = pd.DataFrame({"year": [2017, 2018], "population": [1_000_000, 0]})
    with pytest.raises(DataError, match=r"total in 2018 is 0, fewer than"):
        monitor(sim.histories, year="year", population=pop, reps=50, n_jobs=1)


def test_population_below_nhat_is_a_warning(res):
    t = res.table
    r = _total(t, "2017")
    assert r["nhat"] > r["observed"] + 2
    between = (r["observed"] + r["nhat"]) / 2
    said: list[str] = []
    out = add_rates(res.monitor, pd.DataFrame({"year": [2017, 2018], "population": [between, 1e6]}), warnings=said)
    assert len(said) == 1 and "exceeds the population" in said[0] and "total in 2017" in said[0]
    assert _total(out, "2017")["rate_per_100k"] > 1e5  # published as computed, with the warning
    said = []
    add_rates(res.monitor, pd.DataFrame({"year": [2017, 2018], "population": [1e6, 1e6]}), warnings=said)
    assert said == []
    with pytest.raises(DataError, match="total in 2017"):
        add_rates(res.monitor, pd.DataFrame({"year": [2017, 2018], "population": [r["observed"] - 1, 1e6]}))


def test_all_years_rate_blank_when_a_year_has_no_population():
    pop = pd.DataFrame({"year": ["2021", "2022"], "population": [1_000_000.0, 0.0]})
    assert population_for(pop, {}, 2021, [2021, 2022]) == pytest.approx(1_000_000)
    assert population_for(pop, {}, 2022, [2021, 2022]) == 0
    assert np.isnan(population_for(pop, {}, None, [2021, 2022]))  # never the 2021 population alone
    pop.loc[1, "population"] = 2_000_000.0
    assert population_for(pop, {}, None, [2021, 2022]) == pytest.approx(3_000_000)


def test_rows_without_population_are_named():
    t = pd.DataFrame({"group": ["total", "total", "sex"], "level": ["", "", "female"], "year": ["", "2022", "2022"],
                      "observed": [5, 0, 0], "nhat": [9.0, 0.0, 0.0], "upper": [12.0, 0.0, np.inf]})
    said = _check_denominators(t, np.array([np.nan, 0.0, 0.0]))
    assert len(said) == 1
    assert "3 row(s) have no population (total (all years), total in 2022, sex=female in 2022)" in said[0]
    assert "left blank" in said[0]
