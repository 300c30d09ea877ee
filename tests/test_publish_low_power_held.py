"""A weak heterogeneity check no longer costs the interval where the interval already holds its error (s15).

The low-power statement (tester report 13a, F1) published the sensitivity range instead of N̂'s interval on every
table whose heterogeneity check has little power, easy ones too (the range about 4 times the interval). Now the
range is given only when the check's reference alternative (30% hard to reach, N̂ e too low) would carry N above the
interval's upper limit: ``hi (1 + e) < N̂``. Data: the tester's synthetic populations (their generator, aggregated
tables): a_indep4 population 25 (4 independent lists, everyone alike, N = 2,000) and c1 population 8 (30% hard to
reach on every list, N = 2,000; the interval missed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from darkfigure.diagnostics import Check
from darkfigure.estimation import estimate
from darkfigure.publish import LOW_POWER, _held_by_interval

DATA = Path(__file__).parent / "data"


def _het(e) -> Check:
    """The run's heterogeneity check."""
    return next(c for c in e.checks if c.name == "heterogeneity")


def test_easy_table_with_a_wide_interval_publishes_the_interval_alone():
    e = estimate(pd.read_csv(DATA / "a_indep4_pop025.csv"), count="count", seed=1, n_jobs=1)
    het = _het(e)
    assert not het.flagged and het.details["power_hard_to_reach"] < LOW_POWER  # the check is weak here
    err = het.details["nhat_error_hard_to_reach"]
    assert e.upper * (1 + err) >= e.nhat  # the interval reaches where N would be under that alternative
    p = e.to_publish()
    assert p["rules"] == ["agree", "heterogeneity-held-by-interval"] and p["publish_interval"]
    assert p["low"] == pytest.approx(e.lower) and p["high"] == pytest.approx(e.upper)
    assert p["statement"].startswith(f"Publish N̂ {e.nhat:,.0f} with its interval {e.lower:,.0f}–{e.upper:,.0f}:")
    assert f"reaches the {e.nhat / (1 + err):,.0f} N would then be" in p["statement"]
    assert "stronger heterogeneity the check cannot see would not be covered" in p["statement"]


def test_table_whose_interval_misses_keeps_the_range():
    e = estimate(pd.read_csv(DATA / "c1_twoclass5_pop008.csv"), count="count", seed=1008, n_jobs=1)
    err = _het(e).details["nhat_error_hard_to_reach"]
    assert e.upper < 2000 and e.upper * (1 + err) < e.nhat  # missed N = 2,000; the rule sees the alternative miss
    p = e.to_publish()
    assert "heterogeneity-held-by-interval" not in p["rules"] and "sensitivity-range" in p["rules"]
    assert p["low"] <= 2000 <= p["high"]


@pytest.mark.parametrize(("err", "hi", "held"), [(-0.16, 1200.0, True), (-0.16, 1180.0, False),
                                                 (np.nan, 5000.0, False), (0.05, 5000.0, False)])
def test_held_only_when_the_upper_limit_reaches_n_hat_over_one_plus_error(err, hi, held):
    """N̂ 1,000: the alternative's N is 1,000 / 0.84 = 1,190; an unknown or upward error is never held."""
    chk = Check("heterogeneity", 0.1, False, "", details={"power_hard_to_reach": 0.1, "nhat_error_hard_to_reach": err})
    got = _held_by_interval([chk], 1000.0, hi)
    assert (got is not None) == held
    if held:
        assert "1,190 N would then be" in got
