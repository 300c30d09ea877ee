"""Tester report 15a, H2 and L1: replicates with no upper limit never make the interval with linkage uncertainty end
at N̂, and its share of variance from linkage is "not computed", not 100%.

Arrays only (no linkage run): the run of the report (88 of 200 as-linked replicates unbounded) gave a pooled upper
end of NaN (the 97.5% quantile interpolated inf - inf), which the published interval then replaced by N̂.
"""

import numpy as np
import pytest

from darkfigure.linkage.combine import combine_draws, published_interval, widen_to_as_linked
from darkfigure.linkage.uncertainty import LinkageEstimate


def _draws(seed: int, unbounded_share: float):
    """5 linkage draws x 200 replicates of one cell, `unbounded_share` of the replicates +inf."""
    rng = np.random.default_rng(seed)
    points = rng.normal(1000.0, 20.0, size=(5, 1))
    reps = rng.normal(1000.0, 60.0, size=(5, 200, 1))
    reps[rng.random((5, 200, 1)) < unbounded_share] = np.inf
    return points, reps


@pytest.mark.parametrize("share", [0.3, 0.45])
def test_pooled_upper_end_is_unbounded_when_many_replicates_are(share):
    points, reps = _draws(1, share)
    comb = combine_draws(points, reps, as_linked=np.array([1010.0]))
    assert np.isposinf(comb.upper[0])
    assert np.isfinite(comb.lower[0]) and comb.lower[0] < comb.point[0]
    assert np.isnan(comb.share_linkage[0])  # the variance of unbounded replicates is not defined


def test_few_unbounded_replicates_leave_a_finite_upper_end():
    points, reps = _draws(2, 0.0)
    reps[0, :2, 0] = np.inf  # 2 of 1,000 replicates: below the 2.5% tail
    comb = combine_draws(points, reps)
    assert np.isfinite(comb.upper[0]) and comb.upper[0] > comb.point[0]


def test_published_upper_end_never_collapses_to_nhat():
    # the report's total: draws' upper end missing, as-linked upper end unbounded, N̂ corrected 12,597
    lo, hi, wid, _shifted = published_interval([10548.0], [np.nan], [11068.0], [np.inf], [12597.0], [12600.0],
                                               [30.0], point=[12597.0])
    assert np.isposinf(hi[0]) and hi[0] != pytest.approx(12597.0)
    assert lo[0] == pytest.approx(10548.0) and bool(wid[0])
    # a missing upper end with a finite as-linked one stays missing (never N̂ itself)
    lo, hi, _w, _s = published_interval([10548.0], [np.nan], [11068.0], [15000.0], [12597.0], [12600.0], [30.0],
                                        point=[12597.0])
    assert np.isnan(hi[0])
    # an interval that excludes its N̂ is still widened to it
    lo, hi, _w, _s = published_interval([100.0], [120.0], [98.0], [140.0], [125.0], [110.0], [1.0], point=[125.0])
    assert hi[0] >= 125.0


def test_widen_to_as_linked_opens_a_missing_upper_end_when_as_linked_is_unbounded():
    lo, hi, wid = widen_to_as_linked([10.0, 10.0], [np.nan, np.nan], [12.0, 12.0], [np.inf, 30.0])
    assert np.isposinf(hi[0]) and bool(wid[0])
    assert np.isnan(hi[1]) and not bool(wid[1])


def test_width_share_is_not_computed_when_the_variance_share_is_not():
    lk = LinkageEstimate.__new__(LinkageEstimate)
    object.__setattr__(lk, "share_linkage", float("nan"))
    assert np.isnan(lk.width_share_linkage)
    object.__setattr__(lk, "share_linkage", 0.19)
    assert lk.width_share_linkage == pytest.approx(1 - np.sqrt(0.81))
