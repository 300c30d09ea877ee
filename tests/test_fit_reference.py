"""Poisson log-linear fits against R's glm (../shared/reference/independence.csv)."""

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.loglinear.design import CompleteTable, orthogonal_polynomial
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.terms import LogLinearModel


def _independence_rows():
    from tests.conftest import REFERENCE

    if not REFERENCE.exists():
        return []
    return [r for _, r in pd.read_csv(REFERENCE / "independence.csv").iterrows()]


@pytest.mark.parametrize("row", _independence_rows(), ids=lambda r: r["dataset"])
def test_independence_model_matches_glm(row):
    h = datasets.load(row["dataset"])
    t = CompleteTable(h)
    f = fit_model(t, LogLinearModel.make(t.variables), check=True)
    assert h.n_observed == row["n_observed"]
    assert f.nhat == pytest.approx(row["nhat_independence"], rel=1e-6)
    assert f.deviance == pytest.approx(row["deviance"], rel=1e-7, abs=1e-6)
    assert f.df_residual == row["df"]
    assert f.aic == pytest.approx(row["aic"], rel=1e-8)
    assert f.status == "ok"


def test_orthogonal_polynomial_matches_r_poly():
    # R: poly(1:4, 2) -> columns below (printed by R to 7 digits)
    z = orthogonal_polynomial(np.arange(1, 5), 2)
    r = np.array([[-0.6708204, 0.5], [-0.2236068, -0.5], [0.2236068, -0.5], [0.6708204, 0.5]])
    np.testing.assert_allclose(z, r, atol=1e-7)


def test_simulated_known_truth_independent_lists():
    """With truly independent lists the independence model recovers N (within 3 SE)."""
    rng = np.random.default_rng(7)
    n_true = 20000
    p = np.array([0.2, 0.15, 0.1, 0.25])
    caught = rng.random((n_true, 4)) < p
    seen = caught.any(axis=1)
    df = pd.DataFrame(caught[seen].astype(int), columns=list("ABCD"))
    from darkfigure import CaptureHistories

    h = CaptureHistories.from_records(df)
    t = CompleteTable(h)
    f = fit_model(t, LogLinearModel.make(t.variables))
    # SE of N-hat is roughly sqrt(N * (1-P)/P) with P the chance of being seen
    pc = 1 - np.prod(1 - p)
    se = np.sqrt(n_true * (1 - pc) / pc)
    assert abs(f.nhat - n_true) < 3 * se
