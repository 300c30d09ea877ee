"""API options given as strings: level='95%' gets a clear message, monitor(covariates="sex") one name (tester 12b)."""
import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg

T = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                  "count": [50, 40, 30, 5, 4, 3, 1]})


@pytest.mark.parametrize("level", ["95%", "0.95", None])
def test_level_that_is_no_number_is_refused_clearly(level):
    # L5: it was a raw "'<' not supported between instances of 'int' and 'str'"
    with pytest.raises(ValueError, match=r"level \(--level\) must be a number between 0 and 1, such as 0\.95"):
        dfg.estimate(T, level=level, ci="none")


def test_monitor_takes_one_covariate_name_as_a_string():
    # L12: covariates="sex" was split into 's', 'e', 'x'; synthetic person rows, two years, two sexes
    rng = np.random.default_rng(3)
    n = 1200
    caught = rng.random((n, 3)) < 0.35
    keep = caught.any(axis=1)
    d = pd.DataFrame(caught[keep].astype(int), columns=list("ABC")).assign(
        sex=rng.choice(["f", "m"], keep.sum()), year=rng.choice([2020, 2021], keep.sum()))
    m = dfg.monitor(d, lists="A,B,C", covariates="sex", year="year", seed=1, reps=20, progress=False,
                    search="none", ci="parametric")
    assert "sex" in set(m.table["group"])
