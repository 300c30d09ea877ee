"""Tester report 14a, H1 and M1: the rule that makes N̂ corrected never moves against the linkage draws, and
an interval whose draws are shifted from the as-linked N̂ says so and covers as-linked, mean and corrected.

Synthetic registrations only (``synthetic_pairs``); no Splink.
"""

import numpy as np
import pytest

from darkfigure.linkage.combine import SHIFTED, combine_draws, correction_shift, published_interval
from darkfigure.linkage.uncertainty import LinkRun, linkage_uncertainty, loglinear_refit
from synthetic_pairs import true_pairs


def test_draws_below_as_linked_never_raise_the_default_corrected_nhat():
    # two cells: the draws lie below the as-linked N̂ in the first, above it in the second
    rng = np.random.default_rng(5)
    pts = np.c_[rng.normal(900.0, 10.0, 20), rng.normal(110.0, 2.0, 20)]
    reps = pts[:, None, :] + rng.normal(0.0, 30.0, (20, 40, 2))
    a = np.array([1000.0, 100.0])
    m = pts.mean(axis=0)
    c = combine_draws(pts, reps, 0.95, a)
    assert c.rule == "toward"
    assert c.point[0] <= a[0] and c.point[0] == pytest.approx(m[0])  # follows the draws down, not beyond them
    # the side is the total's for every cell (min per cell is not additive): the mean over draws here too
    assert c.point[1] == pytest.approx(m[1])
    # draws above as linked in the total: the as-linked N̂ in every cell (not mirrored below it)
    up = combine_draws(pts[:, ::-1], reps[:, :, ::-1], 0.95, np.array([100.0, 1000.0]))
    assert up.point == pytest.approx([100.0, 1000.0])
    # the interval moves with the point, width unchanged
    plain = combine_draws(pts, reps, 0.95)
    assert (c.upper - c.lower) == pytest.approx(plain.upper - plain.lower)
    assert c.lower - plain.lower == pytest.approx(c.point - plain.point)
    assert c.mean_draws == pytest.approx(m) and c.bias == pytest.approx(m - a)
    assert c.mc_se == pytest.approx(pts.std(axis=0, ddof=1) / np.sqrt(20))
    # the bias correction (the old default) mirrors the draws: above as linked when they lie below
    assert combine_draws(pts, reps, 0.95, a, "bias").point[0] > a[0]


def test_subgroup_rows_add_up_to_the_total_under_every_rule():
    # review: the total's draws below as linked, one row's above: a per-cell min gave rows 969.4 for a total 989.3
    rng = np.random.default_rng(3)
    rows = np.c_[rng.normal(499.8, 5.0, 30), rng.normal(489.4, 5.0, 30)]
    pts = np.c_[rows.sum(axis=1), rows]
    a = np.array([1000.0, 480.0, 520.0])
    for rule in ("toward", "mixed", "bias", "mean"):
        c = combine_draws(pts, None, 0.95, a, rule)
        assert c.point[0] == pytest.approx(c.point[1] + c.point[2]), rule


def test_the_published_interval_contains_the_published_point():
    lo, hi, _, shifted = published_interval([1000.0], [1339.2], [1000.0], [1339.2], [1000.0], [995.0], [1.0],
                                            point=[990.4])
    assert lo[0] <= 990.4 <= hi[0] and not shifted[0]


@pytest.mark.parametrize("a, m", [(100.0, 90.0), (100.0, 110.0), (100.0, 100.0), (100.0, np.nan)])
def test_no_rule_but_bias_contradicts_the_draws(a, m):
    for rule in ("toward", "mean"):
        moved = correction_shift(np.array([m]), np.array([a]), rule)[0] + (m if np.isfinite(m) else a) - a
        if np.isfinite(m):
            assert np.sign(moved) in (0.0, np.sign(m - a))  # never the other side of N̂ as linked from the draws
            assert abs(moved) <= abs(m - a) + 1e-9  # and never beyond them
    with pytest.raises(ValueError, match="correction must be one of"):
        correction_shift(np.array([m]), np.array([a]), "median")


def test_a_shift_beyond_monte_carlo_error_publishes_an_interval_covering_all_three():
    # as-linked 12,143-14,331 around 13,096, draws' mean 10,081 (tester 14a, heavy 201: disjoint intervals)
    lo, hi, wid, shifted = published_interval([9000.0], [11200.0], [12143.0], [14331.0], [13096.0], [10081.0],
                                              [60.0])
    assert shifted[0] and not wid[0]
    assert lo[0] <= 10081.0 and hi[0] >= 14331.0 and lo[0] <= 9000.0
    # a small shift (within half the as-linked half-width) or within Monte-Carlo error: left as it is
    for m, se in ((13150.0, 5.0), (12500.0, 400.0)):
        lo, hi, _, shifted = published_interval([m - 1100], [m + 1100], [12143.0], [14331.0], [13096.0], [m], [se])
        assert not shifted[0] and (lo[0], hi[0]) == pytest.approx((m - 1100, m + 1100))


@pytest.fixture(scope="module")
def below_run():
    """A run whose draws join more than the as-linked persons: a third of the true pairs scored just below the
    threshold (the namesakes under the threshold of tester 14a), the rest well above it."""
    tp = true_pairs(3, 2500, 300)
    pairs = tp.pairs(0.95, 0.02)
    n = tp.left.size
    low = np.random.default_rng(1).random(n) < 1 / 3
    pairs.loc[np.flatnonzero(low), "match_probability"] = 0.45
    return LinkRun(tp.records, pairs, 0.5)


def test_linkage_uncertainty_with_draws_below_as_linked(below_run):
    h = below_run.histories().collapse([])
    refit = loglinear_refit([], [], reps=0)
    le = linkage_uncertainty(below_run, refit, draws=6, seed=2, n_jobs=1)
    m = float(np.nanmean(le.draw_nhat))
    assert le.persons_drawn < h.n_observed and m < le.nhat_as_linked  # the draws join the sub-threshold pairs
    assert le.correction == "toward"
    assert le.nhat_corrected <= le.nhat_as_linked
    assert le.nhat_corrected == pytest.approx(m)
    assert le.estimates["nhat_mean_draws"].iloc[0] == pytest.approx(m)
    assert "mean over the linkage draws" in le.to_dict()["method"]


def test_the_pipeline_says_the_linkage_decides_and_result_json_keeps_the_mean(below_run, tmp_path):
    from darkfigure.estimation import estimate

    h = below_run.histories().collapse([])
    e = estimate(h, linkage_run=below_run, search="none", ci="parametric", reps=100, seed=3, linkage_draws=4,
                 linkage_reps=20, n_jobs=1, assumption_range=None)
    lk, t = e.linkage, e.estimates
    m = float(np.nanmean(lk.draw_nhat))
    assert lk.nhat_corrected <= lk.nhat_as_linked and lk.shifted
    lo0, hi0 = t.loc[0, "lower_as_linked"], t.loc[0, "upper_as_linked"]
    for x in (lk.nhat_as_linked, m, lk.nhat_corrected, lo0, hi0):
        assert lk.lower - 1e-6 <= x <= lk.upper + 1e-6
    said = [w for w in e.warnings if "the linkage decides the answer" in w]
    assert said and f"{m:,.0f}" in said[0] and f"{lk.nhat_as_linked:,.0f}" in said[0]
    assert not any("Monte-Carlo error of the draws and replicates" in w for w in e.warnings)
    blk = e.to_dict()["linkage"]
    assert blk["nhat_mean_draws"] == pytest.approx(m) and blk["correction"] == "toward"
    assert blk["interval_shifted"] is True and SHIFTED in blk["interval_note"]
    assert bool(t.loc[0, "interval_shifted"])
    # the published interval reaches the as-linked limits: the JSON says it was widened (tester 21a L3)
    assert blk["widened_to_as_linked"] is True and e.to_dict()["interval"]["widened_to_as_linked"] is True


@pytest.mark.parametrize("rule", ["bias", "toward"])
def test_the_averaged_interval_applies_the_rule_once(below_run, monkeypatch, rule):
    # until 2026-12-06 the averaged path combined draws already moved by linkage_uncertainty, so the bias
    # correction came out as the plain mean over draws there
    from functools import partial

    import darkfigure.linkage.uncertainty as unc
    from darkfigure.estimation import estimate

    monkeypatch.setattr(unc, "linkage_uncertainty", partial(unc.linkage_uncertainty, correction=rule))
    h = below_run.histories().collapse(["sex"]).drop_incomplete()
    e = estimate(h, linkage_run=below_run, ci="averaged", reps=100, seed=1, linkage_draws=4, n_jobs=1,
                 missing="drop", assumption_range=None)
    assert e.averaged is not None and len(e.averaged.fits) > 1
    lk = e.linkage
    a, m = lk.nhat_as_linked, float(np.nanmean(lk.draw_nhat))
    assert m < a and lk.correction == rule
    assert lk.nhat_corrected == pytest.approx(a - (m - a) if rule == "bias" else m)
    assert e.estimates.loc[0, "nhat_mean_draws"] == pytest.approx(m)


def test_rows_shifted_while_the_total_is_not_are_warned_and_named():
    import pandas as pd

    from darkfigure.linkage.combine import shifted_rows_warning

    est = pd.DataFrame({"group": ["total", "year", "year"], "level": ["", 2021, 2022],
                        "nhat_as_linked": [2000.0, 1092.0, 908.5], "nhat_mean_draws": [1990.0, 1150.0, 840.0],
                        "interval_shifted": [False, False, True]})
    w = shifted_rows_warning(est)
    assert w is not None and "year = 2022" in w and "year = 2021" not in w and "908" in w
    assert shifted_rows_warning(est.assign(interval_shifted=False)) is None


def test_no_shift_is_claimed_without_a_monte_carlo_error():
    # review: one finite draw gives no Monte-Carlo error (NaN); it was read as 0, so any gap counted as a shift
    _, _, _, shifted = published_interval([900.0], [1100.0], [950.0], [1050.0], [1000.0], [900.0], [np.nan])
    assert not shifted[0]
