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
