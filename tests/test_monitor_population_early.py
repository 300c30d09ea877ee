"""`monitor --population` without the data's sex column is refused before any fitting (tester report 7, 30)."""

import pandas as pd
import pytest

from darkfigure import DataError
from darkfigure.monitoring import monitor


def test_population_without_sex_refused_before_the_bootstrap(tmp_path, monkeypatch):
    from darkfigure.simulation import simulate

    sim = simulate("dutch_like", seed=1)
    years = sorted(pd.unique(sim.histories["year"]))
    pop = tmp_path / "pop.csv"
    pd.DataFrame({"year": years, "population": [17_000_000] * len(years)}).to_csv(pop, index=False)

    def no_fit(*a, **k):
        raise AssertionError("estimate() ran before the population table was checked")

    monkeypatch.setattr("darkfigure.estimation.estimate", no_fit)  # imported by monitor() when called
    with pytest.raises(DataError, match=r"the population table has no 'sex' column, needed for the rates by sex .*"
                                        r"its columns are \['year', 'population'\]"):
        monitor(sim.histories, year="year", population=pop, reps=1000, seed=1)
