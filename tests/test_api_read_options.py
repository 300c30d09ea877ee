"""The Python front doors accept the reading options their own error messages name (tester report 4, M4)."""

import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.errors import DataError


def _table() -> pd.DataFrame:
    return pd.DataFrame({"A": [1, 0, 1, 1, 0, 1, 0], "B": [0, 1, 1, 0, 1, 1, 0], "C": [0, 0, 0, 1, 1, 1, 1],
                         "w": [120, 95, 31, 28, 22, 9, 140]})


def test_estimator_fit_takes_count_as_the_error_message_says():
    with pytest.raises(DataError, match="count='w'"):
        dfg.LogLinear(ci="profile").fit(_table())
    est = dfg.LogLinear(ci="profile").fit(_table(), count="w")
    ref = dfg.estimate(_table(), count="w", ci="profile")
    assert est.n_observed == 445 and est.nhat == pytest.approx(ref.nhat, rel=1e-12)
    het = dfg.Heterogeneity("Mt").fit(_table(), count="w")
    assert het.n_observed == 445
    # a refit without count reads the table afresh: the option is not remembered
    with pytest.raises(DataError, match="count='w'"):
        dfg.Heterogeneity("Mt").fit(_table())


def test_estimator_fit_takes_lists_and_covariates():
    t = _table().assign(sex=["f", "m", "f", "m", "f", "m", "f"])
    est = dfg.LogLinear(ci="none", search="none").fit(t, lists=["A", "B", "C"], covariates=["sex"], count="w")
    assert est.n_observed == 445 and "sex" in est.result.raw.histories.covariates


def test_compare_takes_lists_covariates_and_count():
    t = _table().assign(D=0)  # an all-zero column: not a list once the lists are named
    cmp = dfg.compare(t, ["Mt"], lists=["A", "B", "C"], covariates=[], count="w", validation=False)
    assert cmp.n_observed == 445 and "Mt" in cmp.results
    assert cmp.results["Mt"].nhat == pytest.approx(dfg.Heterogeneity("Mt").fit(_table(), count="w").nhat)
