"""An estimate beyond the input check's limit (more persons than live on Earth) is said and not published
(tester report 12b, L16)."""

from __future__ import annotations

import pandas as pd

import darkfigure as dfg
from darkfigure._history_checks import MAX_TOTAL_COUNT
from darkfigure.publish import implausible_warning


def test_the_rule():
    assert implausible_warning(5e9, 6e9) is None
    assert "more than live on Earth" in implausible_warning(1.2e10, 1.3e10)
    assert implausible_warning(5e9, float("inf")) is None  # an open interval is said elsewhere


def test_huge_counts_are_not_published():
    t = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                      "count": [1_000_000_000, 800_000_000, 600_000_000, 60_000_000, 50_000_000, 40_000_000,
                                5_000_000]})
    assert t["count"].sum() < MAX_TOTAL_COUNT  # accepted by the input check
    res = dfg.estimate(t, seed=1, reps=50, ci="parametric")
    assert res.nhat > MAX_TOTAL_COUNT
    assert any("more than live on Earth" in w for w in res.warnings)
    tp = res.to_publish()
    assert tp["low"] is None and tp["high"] is None and "implausible" in tp["rules"]
