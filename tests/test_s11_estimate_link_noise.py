"""A narrower interval with linkage uncertainty within Monte-Carlo noise is a note, not a warning (tester 11, F8)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.combine import WIDENED, narrower_tolerance, shortfall
from darkfigure.monitoring.linkage_rows import widen_rows as _widen_rows
from darkfigure.pipeline.extras import _narrower_note, _narrower_subgroups


def test_tolerance_is_two_standard_errors_of_the_width_difference():
    # the relative standard error of a 95% percentile interval's width from B normal replicates, simulated
    rng = np.random.default_rng(1)
    B = 1000
    x = rng.standard_normal((600, B))
    w = np.quantile(x, 0.975, axis=1) - np.quantile(x, 0.025, axis=1)
    rel_se = w.std() / w.mean()
    tol = narrower_tolerance(B, B, 0.95, floor=0.0)
    assert tol == pytest.approx(2 * np.sqrt(2) * rel_se, rel=0.2)
    assert narrower_tolerance(B, B) >= 0.05 and narrower_tolerance(50, B) > narrower_tolerance(5000, B)
    assert narrower_tolerance(10**7, 10**7) == pytest.approx(0.05)  # the floor


def test_shortfall_and_the_subgroup_warning_or_note():
    assert shortfall([90.0], [108.0], [90.0], [110.0])[0] == pytest.approx(0.1)
    assert shortfall([90.0], [110.0], [90.0], [np.inf])[0] == 1.0
    est = pd.DataFrame({"group": ["total", "sex", "sex"], "level": ["", "f", "m"], "lower": [90.0, 40, 40],
                        "upper": [110.0, 59.5, 50], "lower_as_linked": [90.0, 40, 40],
                        "upper_as_linked": [110.0, 60, 60]})
    tol = 0.08
    w = _narrower_subgroups(est, 50, 20, tol)  # m: 50% narrower, beyond; f: 2.5%, within
    assert w is not None and w.startswith("in 1 of 2 subgroup rows") and "(sex=m)" in w and "8%" in w
    n = _narrower_note(est, tol)
    assert n is not None and n.startswith("1 of 2 subgroup rows") and "Monte-Carlo noise" in n
    assert _narrower_note(est.assign(upper=[110.0, 60, 50]), tol) is None


def test_monitor_says_narrower_rows_once():
    table = pd.DataFrame({"group": ["total", "total", "sex"], "level": ["", "", "f"], "year": ["", "2020", ""],
                          "nhat": [100.0, 45, 50], "lower": [90.0, 40, 40], "upper": [109.0, 50, 60],
                          "visibility_lower": [0.5] * 3, "visibility_upper": [0.6] * 3})
    as_linked = table.assign(lower=[90.0, 40, 40], upper=[110.0, 60, 60.5])
    est = SimpleNamespace(
        warnings=["in 3 of 9 subgroup rows of estimates.csv (sex=f) the interval ...", "other"],
        notes=["2 of 9 subgroup rows of estimates.csv came out narrower ..."],
        linkage=SimpleNamespace(replicates=np.zeros((1000, 3)), draws=50, level=0.95),
        bootstrap=SimpleNamespace(n_replicates=1000))
    _widen_rows(SimpleNamespace(table=table), as_linked, est)
    said = [w for w in est.warnings if "narrower" in w]
    assert len(said) == 1 and said[0].startswith("monitor: in 1 of 3 rows (total in 2020)")
    assert "other" in est.warnings
    assert len(est.notes) == 1 and est.notes[0].startswith("monitor: 2 of 3 rows came out narrower")
    # what was done, in words; the label of the widening is the linkage panel's alone (s24, as estimate's)
    assert all("union of the two" in x and WIDENED not in x for x in (said[0], est.notes[0]))
