"""A numeric covariate with many levels (90 ages) gets a hint that it looks continuous (tester 12b, L6)."""
import numpy as np
import pandas as pd

from darkfigure.estimation import estimate
from darkfigure.io import read_histories


def _persons(seed: int = 1, n: int = 3000) -> pd.DataFrame:
    """Synthetic persons on 3 independent lists with an age 0-89."""
    rng = np.random.default_rng(seed)
    c = rng.random((n, 3)) < 0.4
    k = c.any(axis=1)
    return pd.DataFrame(c[k].astype(int), columns=list("ABC")).assign(age=rng.integers(0, 90, int(k.sum())))


def test_many_numeric_levels_are_said_to_look_continuous():
    d = _persons()
    h = read_histories(d, covariates=["age"])
    assert len(h.warnings) == 1 and "covariate 'age' has 90 numeric levels (0 to 89): it looks continuous" in \
        h.warnings[0]
    e = estimate(d, covariates=["age"], ci="none", search="none", assumption_range=None)
    assert any("looks continuous" in w for w in e.warnings)
    # bands, and a long series of years, are not
    assert read_histories(d.assign(age=d["age"] // 30), covariates=["age"]).warnings == ()
    assert read_histories(d.assign(year=1990 + d["age"] % 25).drop(columns="age"), covariates=["year"]).warnings == ()
