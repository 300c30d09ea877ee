"""Nonparametric bootstrap with model re-selection and BCa, as SparseMSE's estimatepopulation
(``ci="nonparametric-conditional"``: n held fixed, SparseMSE's form).

The jackknife acceleration is deterministic, so it is compared exactly with SparseMSE's `ahat`
(printed to 5 decimals). The BCa bounds are Monte-Carlo results from R's own random numbers, so
they are compared within Monte-Carlo error.
"""

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.estimation import estimate

R_NAMES = datasets.R_NAMES
# the tables whose jackknife (one re-selection per observed cell) takes well under a second
CASES = [
    "UKdat", "UKdat_5", "Western", "HIV", "lesbian", "kosovo_aggregate", "dga_example_3list",
    "dga_example_5list", "NewOrl_5", "Artificial_3", "spina_collapsed", "ScotPWID_collapsed",
]


def _reference_rows():
    from tests.conftest import REFERENCE

    if not REFERENCE.exists():
        return []
    ref = pd.concat([pd.read_csv(REFERENCE / "sparsemse_a.csv"), pd.read_csv(REFERENCE / "sparsemse_b.csv")])
    ref = ref[(ref["function"] == "estimatepopulation") & ref["settings"].str.startswith("default")]
    ref = ref[ref["dataset"].isin(CASES)]
    return [r for _, r in ref.drop_duplicates("dataset").iterrows()]


def _histories(r_name):
    return datasets.load_r(r_name)


@pytest.mark.parametrize("row", _reference_rows(), ids=lambda r: r["dataset"])
def test_jackknife_acceleration_matches_sparsemse(row):
    ahat = float(row["model_chosen"].split("ahat=")[1].split(";")[0])
    res = estimate(_histories(row["dataset"]), search="pvalue", ci="nonparametric-conditional", reps=20, seed=1, n_jobs=1)
    assert res.nhat == pytest.approx(row["estimate"], rel=1e-6)
    assert res.bootstrap.acceleration == pytest.approx(ahat, abs=6e-6)


@pytest.mark.slow  # > 10 s: make test-slow
def test_bca_interval_within_monte_carlo_error_western(reference):
    """Western: SparseMSE 2,483 [1,293, 3,672] with 1,000 replicates (its own random numbers)."""
    from darkfigure.loglinear.bootstrap import bca_interval

    res = estimate("western_us_2019", search="pvalue", ci="nonparametric-conditional", reps=1000, seed=11)
    b = res.bootstrap
    v = b.total[np.isfinite(b.total)]
    rng = np.random.default_rng(0)
    sims = np.array([bca_interval(v[rng.integers(0, len(v), len(v))], res.nhat, b.acceleration, (0.025, 0.975)) for _ in range(200)])
    se = np.nanstd(sims, axis=0)
    assert abs(res.lower - 1293.2) < 4 * np.sqrt(2) * se[0]
    assert abs(res.upper - 3672.0) < 4 * np.sqrt(2) * se[1]
    assert b.status_counts["not identified"] == 0
