"""dfg.compare and dfg.monitor draw a seed when none is given, keep it and say how to repeat the run (12b, M5)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

import darkfigure as dfg


def _synthetic(seed: int = 5, n: int = 900) -> pd.DataFrame:
    """Person rows: three independent lists, a sex covariate and two years."""
    rng = np.random.default_rng(seed)
    caught = rng.random((n, 3)) < 0.35
    keep = caught.any(axis=1)
    return pd.DataFrame(caught[keep].astype(int), columns=list("ABC")).assign(
        sex=rng.choice(["f", "m"], keep.sum()), year=rng.choice([2020, 2021], keep.sum()))


def test_compare_without_a_seed_draws_one_that_repeats_the_run():
    c = dfg.compare("kosovo_1999", methods=["loglinear-bic"], reps=60, headline=False)
    assert isinstance(c.seed, int)
    said = " ".join(c.notes)
    assert f"seed={c.seed}" in said and f"seed={c.seed}" in str(c)
    again = dfg.compare("kosovo_1999", methods=["loglinear-bic"], reps=60, headline=False, seed=c.seed)
    assert again.notes == () and again.seed == c.seed
    np.testing.assert_allclose(again.table[["lower", "upper"]].to_numpy(float), c.table[["lower", "upper"]].to_numpy(float))


def test_monitor_without_a_seed_draws_one_that_repeats_the_run():
    d = _synthetic()
    kw = dict(lists="A,B,C", covariates="sex", year="year", reps=30, progress=False, search="none", ci="parametric",
              n_jobs=1)
    m = dfg.monitor(d, **kw)
    seed = m.estimate.settings["seed"]
    assert isinstance(seed, int) and m.estimate.settings.get("seed_drawn") is True
    assert any(re.search(rf"seed={seed}\b", n) for n in m.estimate.notes)
    again = dfg.monitor(d, seed=seed, **kw)
    assert "seed_drawn" not in again.estimate.settings
    np.testing.assert_allclose(again.table[["lower", "upper"]].to_numpy(float), m.table[["lower", "upper"]].to_numpy(float))
