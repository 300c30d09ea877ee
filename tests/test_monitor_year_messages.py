"""A year column that does not exist is named as such by monitor and its tables (tester report 10, F13 follow-up).

They said "year column 'Q' is not among the covariates [...]" where ``estimate`` now says "no column 'Q' in the
data (columns: ...)" (:func:`darkfigure.pipeline.reading.require_year`, reused).
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from darkfigure.estimation import estimate
from darkfigure.histories import DataError
from darkfigure.monitoring import monitor
from darkfigure.monitoring.tables import monitor_table


@pytest.fixture(scope="module")
def table():
    """Synthetic counts of 3 lists by year (2021, 2022), Poisson cells, seeded."""
    rng = np.random.default_rng(11)
    rows = [(a, b, c, y, int(rng.poisson(300)) + 1)
            for y in (2021, 2022) for a, b, c in product((0, 1), repeat=3) if a + b + c]
    return pd.DataFrame(rows, columns=["A", "B", "C", "year", "count"])


def test_monitor_names_a_year_column_that_does_not_exist(table):
    with pytest.raises(DataError, match=r"no column 'Q' in the data \(columns: A, B, C, year, and the count\)") as e:
        monitor(table, year="Q", search="none", ci="none")
    assert "not among the covariates" not in str(e.value)


def test_monitor_table_names_a_missing_column_and_a_list():
    t = pd.DataFrame({"A": [1, 0, 1, 1, 0, 1], "B": [0, 1, 1, 0, 1, 1], "sex": list("ffmmmf"),
                      "count": [30, 20, 8, 25, 18, 6]})
    est = estimate(t, search="none", ci="none")
    with pytest.raises(DataError, match=r"no column 'Q' in the data \(columns: A, B, sex, and the count\)"):
        monitor_table(est, "Q")
    with pytest.raises(DataError, match=r"year column 'A' was read as a list"):
        monitor_table(est, "A")


@pytest.mark.parametrize("bad", ["unknown", "2023 (provisional)", "2021/22"])
def test_year_values_that_are_not_years_are_refused_by_monitor_and_estimate(table, bad):
    """Tester 17a (M5): text in the year column was taken as a year of its own ('unknown' got a trend row)."""
    t = table.copy()
    t["year"] = t["year"].astype(object)
    t.loc[t.index[:3], "year"] = bad
    for run in (lambda: monitor(t, year="year", search="none", ci="none"),
                lambda: estimate(t, year="year", search="none", ci="none")):
        with pytest.raises(DataError, match=r"year column 'year' has values that are not years: '") as e:
            run()
        assert repr(bad) in str(e.value) and "persons)" in str(e.value) and "--missing em" in str(e.value)


def test_years_as_text_or_floats_are_years(table):
    """'2021' as text and 2021.0 are years: the check refuses only what is not a whole number."""
    for conv in (lambda s: s.astype(str), lambda s: s.astype(float)):
        t = table.assign(year=conv(table["year"]))
        e = estimate(t, year="year", search="none", ci="none")
        years = e.estimates.loc[e.estimates["group"] == "year", "level"].astype(str).tolist()
        assert len(years) == 2 and all(y.startswith(("2021", "2022")) for y in years)


def test_years_numbered_from_one_are_years(table):
    """Years coded 1, 2 (as R mse's simdat codes Y 1-4) are whole numbers: not refused."""
    t = table.assign(year=table["year"] - 2020)
    e = estimate(t, year="year", search="none", ci="none")
    assert sorted(e.estimates.loc[e.estimates["group"] == "year", "level"].astype(str)) == ["1", "2"]
