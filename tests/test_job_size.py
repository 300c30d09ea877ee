"""A job that cannot finish is refused before the fit, a long one announced (tester 14b, M1/M2). Synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.estimation import estimate
from darkfigure.pipeline.size import MAX_CELLS, MAX_SEARCH_COLUMNS, job_size


def _persons(k: int, n: int = 400, seed: int = 1) -> pd.DataFrame:
    """`n` persons on `k` lists, each list registering a person with probability 0.2 (everyone on one list)."""
    rng = np.random.default_rng(seed)
    x = (rng.random((n, k)) < 0.2).astype(int)
    x[x.sum(axis=1) == 0, 0] = 1
    return pd.DataFrame(x, columns=[f"L{i}" for i in range(k)])


def test_twenty_lists_one_model_is_refused_at_once():
    with pytest.raises(DataError, match=r"1,048,576 cells.*Merge or drop lists"):
        estimate(_persons(20), search="none", ci="none")


def test_a_covariate_with_hundreds_of_levels_refuses_the_search_not_one_model():
    d = _persons(3, n=1500)
    d["region"] = [f"r{i % 500}" for i in range(len(d))]
    with pytest.raises(DataError, match=r"1,497 design columns.*--search none"):
        estimate(d, covariates=["region"], ci="none")


def test_limits_and_announcements():
    assert job_size(16, 2 ** 16, {}, "none") == (None, job_size(16, 2 ** 16, {}, "none")[1])
    assert job_size(16, 2 ** 16, {}, "none")[1] is not None  # said with the time it takes
    assert job_size(17, 2 ** 17, {}, "none")[0] is not None
    assert job_size(4, 16, {}, "auto") == (None, None)
    cols = MAX_SEARCH_COLUMNS // 3 + 2  # levels: 3 lists x (levels - 1) columns just above the limit
    assert job_size(3, 8 * cols, {"region": cols}, "stratified")[0] is not None
    assert job_size(3, 8 * cols, {"region": cols}, "none")[0] is None
    assert MAX_CELLS == 2 ** 16


def test_a_long_series_with_a_year_polynomial_is_not_refused():
    """240 periods on 4 lists: 956 dummy columns (refused before the fix), 8 as a polynomial of degree 2."""
    periods = 240
    d = _persons(4, n=40 * periods, seed=3)
    d["period"] = np.repeat(np.arange(2000, 2000 + periods), 40)
    with pytest.raises(DataError, match="956 design columns"):  # as dummies the search is still refused
        estimate(d, covariates=["period"], year="period", ci="none")
    r = estimate(d, covariates=["period"], year="period", year_degree=2, ci="none")
    assert np.isfinite(r.nhat) and r.nhat >= len(d)


def test_forty_years_with_a_degree_count_degree_columns_not_levels():
    """The columns rule alone (cells below the cell limit): 40 years beside a 200-level covariate on 4 lists."""
    levels = {"year": 40, "region": 200}
    cells = MAX_CELLS // 2
    assert job_size(4, cells, levels, "stratified")[0] is not None  # 4 x (39 + 199) = 952 columns
    assert job_size(4, cells, levels, "stratified", year="year", year_degree=2)[0] is None  # 4 x (2 + 199)
    said = job_size(4, cells, {"year": 40, "region": 240}, "stratified", year="year", year_degree=2)[0]
    assert said is not None and "a polynomial of degree 2" in said and "964 design columns" in said
