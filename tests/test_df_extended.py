"""Residual df of extended-MLE fits against R's glm on the reduced table (tests/data/glm_reduced.csv,
made by tests/data/glm_reduced.R): cells not forced to 0 minus the rank of the design on them."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from darkfigure import datasets
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.search import exhaustive_search
from darkfigure.loglinear.terms import LogLinearModel, parse_terms

GLM = Path(__file__).parent / "data" / "glm_reduced.csv"
ROWS = [r for _, r in pd.read_csv(GLM, comment="#").iterrows()]


def _fit(row):
    t = CompleteTable(datasets.load(row["dataset"]))
    m = LogLinearModel.make(t.variables, parse_terms(row["model"]))
    return t, fit_model(t, m, check=True)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["dataset"])
def test_extended_fit_matches_glm_on_the_reduced_table(row):
    t, f = _fit(row)
    assert f.status == "extended"
    assert f.existence.n_zero_cells == row["cells_fitted_zero"]
    assert f.df_residual == row["df_residual"]
    assert f.deviance == pytest.approx(row["deviance"], rel=1e-6, abs=1e-6)
    assert f.nhat == pytest.approx(row["nhat"], rel=1e-6)
    # the information criteria keep counting glm's full-table rank (as Cruyff's mse and Rcapture)
    assert f.rank == row["rank_full_table"]
    assert int(t.observable.sum()) - f.rank == row["df_full_table"]


def test_netherlands_goodness_of_fit_uses_the_reduced_df():
    """Issue 10: the chosen Dutch model has 24 df, not 46; its GOF p-value is 0.035, not 0.79."""
    row = next(r for r in ROWS if r["dataset"] == "netherlands_2010_2015")
    _, f = _fit(row)
    assert f.df_residual == 24
    assert stats.chi2.sf(f.deviance, f.df_residual) == pytest.approx(0.035, abs=0.001)


@pytest.mark.parametrize("name", ["western_us_2019", "new_orleans_2016_5lists"])
def test_exhaustive_search_df_equals_the_single_fit(name):
    """The batched exhaustive search reports the same df as fit_model for every identified model."""
    t = CompleteTable(datasets.load(name))
    s = exhaustive_search(t)
    p = s.path
    ext = np.flatnonzero(p["status"].eq("extended").to_numpy())
    assert ext.size > 10
    rng = np.random.default_rng(0)
    for i in rng.choice(ext, 10, replace=False).tolist() + np.flatnonzero(p["status"].eq("ok")).tolist()[:5]:
        f = fit_model(t, s.fits[i].model, check=True)
        assert f.status == p["status"].iloc[i]
        assert p["df"].iloc[i] == s.fits[i].df_residual == f.df_residual


def test_downhill_path_df_equals_the_single_fit():
    """The downhill search's path (New Orleans 5 lists, lists sharing nobody) reports fit_model's df."""
    from darkfigure.loglinear.downhill import downhill_search

    t = CompleteTable(datasets.load("new_orleans_2016_5lists"))
    s = downhill_search(t)
    p = s.path
    ext = np.flatnonzero(p["status"].eq("extended").to_numpy())
    assert ext.size > 0
    for i in list(ext[:8]) + list(np.flatnonzero(p["status"].eq("ok").to_numpy())[:3]):
        f = fit_model(t, s.fits[i].model, check=True)
        assert f.status == p["status"].iloc[i]
        assert p["df"].iloc[i] == f.df_residual
