"""Cruyff's model_search path on simdat, step by step (../shared/reference/cruyff_mse)."""

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.search import cruyff_search


@pytest.mark.slow  # > 10 s: make test-slow
@pytest.mark.parametrize("coding", ["degree2", "dummies"])
def test_path_matches_reference(reference, coding):
    ref = pd.read_csv(reference / "cruyff_mse" / f"cruyff_mse_simdat_search_{coding}.csv")
    t = CompleteTable(datasets.load("cruyff_simdat"), year="Y", year_degree=2 if coding == "degree2" else None)
    res = cruyff_search(t)
    path = res.path
    assert len(path) == len(ref)
    # the step labels (which term entered or left), in order
    assert [s.strip() for s in path["step"].fillna("")] == [str(s).strip() if isinstance(s, str) else "" for s in ref["Step"]]
    # R's glm on the full table counts the cells an extended MLE forces to 0 as free: its df equals
    # ours where the MLE exists; elsewhere ours is glm's on the reduced table (facial set; issue 10)
    full = path["status"].eq("ok").to_numpy()
    assert full.sum() >= 10
    np.testing.assert_array_equal(path["df"].to_numpy()[full], ref["Resid..Df"].to_numpy()[full])
    obs = int(t.observable.sum())
    for i in np.flatnonzero(~full):
        f = res.fits[i]
        assert obs - f.rank == ref["Resid..Df"].iloc[i]
        facial = f.existence.facial_set
        x = t.design(f.model)[t.observable][facial]
        assert path["df"].iloc[i] == f.df_residual == facial.sum() - np.linalg.matrix_rank(x)
        assert f.df_residual < ref["Resid..Df"].iloc[i]
    np.testing.assert_allclose(path["deviance"].round(1), ref["Resid..Dev"], atol=0.051)
    # AIC, AICc, BIC are printed relative to their minimum after rounding to 0.1
    for ours, theirs in (("aic", "AIC"), ("aicc", "AICc"), ("bic", "BIC")):
        v = path[ours].round(1)
        np.testing.assert_allclose(v - v.min(), ref[theirs], atol=0.11)
    identified = path["status"].isin(["ok", "extended"]).to_numpy()
    np.testing.assert_allclose(path["nhat"][identified].round(1), ref["Nhat"][identified], atol=0.051)
    # every row where R printed N-hat ~ 1e9 is one we refuse to estimate ...
    huge = (ref["Nhat"] > 1e8).to_numpy()
    assert huge.sum() >= 2
    assert (~identified[huge]).all()
    # ... and the only other row we refuse is the last model of the dummies path, which holds all six
    # list pairs (its MLE does not exist either; R printed a finite-looking 1,456.9 there)
    extra = np.flatnonzero(~identified & ~huge)
    assert len(extra) <= 1
    for i in extra:
        assert i == len(ref) - 1
        assert all(f"{a}:{b}" in ref["formula"].iloc[i] for a, b in [("R1", "R2"), ("R1", "R3"), ("R2", "R3")])


@pytest.mark.slow  # > 10 s: make test-slow
def test_min_bic_model_degree2(reference):
    t = CompleteTable(datasets.load("cruyff_simdat"), year="Y", year_degree=2)
    res = cruyff_search(t)
    assert res.best.nhat == pytest.approx(11406.42, abs=0.01)
    fitted = pd.read_csv(reference / "cruyff_mse" / "cruyff_mse_simdat_minbic_fitted.csv")
    # same cell order: lists fastest, then covariates, as R's table()
    ours = res.best.fitted
    np.testing.assert_allclose(ours, fitted["fitted"].to_numpy(), rtol=1e-5, atol=1e-6)
    assert not np.any(np.isnan(ours))
