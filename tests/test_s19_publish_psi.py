"""A plain "Publish N̂" names the identifying assumption's sensitivity range as a condition (tester 18a, M6).

With heterogeneity that every list shares the checks may flag nothing while N̂ and its interval miss N (tester 18a:
4 of 5 mild populations, N̂ 5-15% low, the ψ range holding N in 10 of 10). The verdict keeps the interval; the
sentence now ends with the range over ψ in 1/2-2. Data: a tester's aggregated table (4 independent lists).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from darkfigure.estimation import estimate

DATA = Path(__file__).parent / "data"


def test_publish_says_the_sensitivity_range_as_a_condition():
    e = estimate(pd.read_csv(DATA / "a_indep4_pop025.csv"), count="count", seed=1, n_jobs=1)
    p = e.to_publish()
    assert p["publish_interval"] and p["statement"].startswith("Publish N̂")
    lo, hi = e.identifying.bounds["confidence"]
    low, high = min(lo, e.lower), max(hi, e.upper)
    assert f"within 1/2–2× of what the model assumes, N lies in {low:,.0f}–{high:,.0f}" in p["statement"]
    # the verdict's range is still the interval
    assert p["low"] == pytest.approx(e.lower) and p["high"] == pytest.approx(e.upper)
    # without the sensitivity (assumption_range None) nothing is said
    e0 = estimate(pd.read_csv(DATA / "a_indep4_pop025.csv"), count="count", seed=1, n_jobs=1, assumption_range=None)
    assert "ψ" not in e0.to_publish()["statement"]
