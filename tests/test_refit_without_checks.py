"""estimate(model_checks=False, assumption_range=None): the linkage draws' lean refit.

Every linkage draw refits the chosen model (linkage.uncertainty.loglinear_refit); the model checks and the
identifying-assumption sensitivity took about 40% of a draw's time with five covariates and nobody reads them there.
Skipping them must not change N̂ or the bootstrap, and an estimate without checks must say so.
"""

import numpy as np

from darkfigure import datasets
from darkfigure.estimation import estimate


def test_skipping_checks_changes_no_number_and_is_said():
    h = datasets.load("cruyff_simdat")
    kw = dict(year="Y", search="none", model=["R1:R2", "R1:X1"], ci="parametric", reps=40, seed=3, n_jobs=1)
    full = estimate(h, **kw)
    lean = estimate(h, **kw, assumption_range=None, model_checks=False)
    assert full.checks, "the default run has model checks"
    assert lean.checks == []
    assert any("model checks were not run" in w for w in lean.warnings)
    assert not any("model checks were not run" in w for w in full.warnings)
    np.testing.assert_allclose(lean.nhat, full.nhat, rtol=1e-12)
    np.testing.assert_allclose(lean.bootstrap.replicates, full.bootstrap.replicates, rtol=1e-12, equal_nan=True)
    assert lean.identifying is None and full.identifying is not None
