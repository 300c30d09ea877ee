"""No published N̂ lies outside its own interval without a flag (session 13: cruyff_simdat's nonparametric
bootstrap with re-selection gave X1=1 an N̂ of 10,366 above its upper limit 7,532, and the total no BCa interval).

The re-selecting bootstrap's replicates can all fall on one side of N̂ when the search is unstable; the estimate
step then widens the interval to include N̂ (:func:`darkfigure.pipeline.interval.include_estimate`), flags the
row in estimates.csv and result.json, warns, and the publish statement carries the caveat ``interval-widened``.
"""

import numpy as np
import pandas as pd
import pytest

import darkfigure.pipeline.interval as interval_mod
from darkfigure.estimation import estimate
from darkfigure.loglinear.bootstrap import BootstrapResult
from darkfigure.pipeline.interval import include_estimate


def _table(nhat, lower, upper):
    n = len(nhat)
    return pd.DataFrame({"group": ["total"] + ["X"] * (n - 1), "level": [""] + [str(i) for i in range(1, n)],
                         "observed": [10] * n, "nhat": nhat, "lower": lower, "upper": upper})


def test_include_estimate_widens_only_rows_that_exclude_nhat_and_names_them():
    t = _table([100.0, 50.0, 30.0, 40.0, 20.0], [80.0, 60.0, 10.0, np.nan, 25.0],
               [120.0, 90.0, 25.0, np.nan, np.inf])
    out, note = include_estimate(t, "because")
    # X=1 below its lower limit, X=2 above its upper one; X=4's lower limit 25 > N̂ 20 with an infinite upper
    assert sorted(out.attrs["nhat_outside"]) == ["X=1", "X=2", "X=4"]
    assert out.attrs["nhat_outside"]["X=1"] == (60.0, 90.0)
    np.testing.assert_allclose(out["lower"].to_numpy(), [80.0, 50.0, 10.0, np.nan, 20.0])
    np.testing.assert_allclose(out["upper"].to_numpy(), [120.0, 90.0, 30.0, np.nan, np.inf])
    nh, lo, hi = (out[c].to_numpy(float) for c in ("nhat", "lower", "upper"))
    ok = np.isfinite(lo)
    assert ((lo[ok] <= nh[ok]) & (nh[ok] <= hi[ok])).all()
    assert "3 row(s)" in note and "X=1 (N̂ 50, interval 60–90)" in note and "Because" in note
    assert t["lower"].iloc[1] == 60.0  # the input is not changed


def test_include_estimate_leaves_intervals_that_hold_nhat_alone():
    t = _table([100.0, 50.0], [80.0, 50.0 + 1e-9], [120.0, 70.0])  # 1e-9: refit rounding, not an exclusion
    out, note = include_estimate(t)
    assert note is None and out.attrs["nhat_outside"] == {}
    pd.testing.assert_frame_equal(out, t)


def _boot(reps_total: np.ndarray, estimate_total: float) -> BootstrapResult:
    b = len(reps_total)
    return BootstrapResult("nonparametric", "bca", 0.95, np.array([estimate_total]), reps_total[:, None], [],
                           np.array([10.0]), acceleration=0.01, status_counts={"ok": b})


def test_bca_undefined_when_every_replicate_is_below_nhat_gives_the_percentile_interval():
    rng = np.random.default_rng(4)
    v = rng.uniform(100, 200, 50)
    b = _boot(v, 250.0)
    assert b.bca_undefined
    np.testing.assert_allclose(b.intervals()[0], np.quantile(v, [0.025, 0.975]))
    assert "all 50 replicates of the total lie below N̂" in b.describe_failures()
    # one replicate above N̂: BCa is defined again (and differs from the percentile interval)
    v2 = np.append(v, 260.0)
    b2 = _boot(v2, 250.0)
    assert not b2.bca_undefined and np.isfinite(b2.intervals()[0]).all()
    assert not np.allclose(b2.intervals()[0], np.quantile(v2, [0.025, 0.975]))
    assert "BCa interval is undefined" not in (b2.describe_failures() or "")


def test_estimate_flags_the_widened_rows_everywhere(monkeypatch):
    """A re-selecting bootstrap whose replicates all fall below N̂ (as cruyff_simdat's): the rows are widened, said
    in the warnings, estimates.csv's status, result.json and the publish statement."""
    real = interval_mod.nonparametric_bootstrap

    def low_replicates(*args, **kwargs):
        """The real bootstrap, its replicates scaled to 60-80% of the estimate (every one below N̂)."""
        b = real(*args, **kwargs)
        scale = np.random.default_rng(0).uniform(0.6, 0.8, size=(b.replicates.shape[0], 1))
        b.replicates = b.estimate[None, :] * scale
        return b

    monkeypatch.setattr(interval_mod, "nonparametric_bootstrap", low_replicates)
    e = estimate("spina_bifida_ny", ci="nonparametric", reps=20, seed=2, n_jobs=1)
    w = e.estimates_to_write()
    nh, lo, hi, obs = (w[c].to_numpy(float) for c in ("nhat", "lower", "upper", "observed"))
    # a row with a dark figure: every replicate below N̂, so the interval is widened; one whose N̂ is its observed
    # count (eth=other) has its limits raised to that count instead (truncate_at_observed), which holds N̂
    dark = nh > obs + 0.5
    assert dark.sum() >= 2 and w["status"][dark].str.endswith("interval widened to include N̂").all()
    # eth=other: its 2 persons all on S1, N not bounded above there (tester 14b, H1): no N̂, the total a lower bound
    assert (w["status"][~dark] == "not identified").all() and w["status"][0].startswith("lower bound: eth=other")
    np.testing.assert_allclose(hi, nh)  # the upper limit widened to N̂
    assert (lo < nh)[dark].all()
    assert e.upper == pytest.approx(e.nhat)
    d = e.to_dict()
    rows = d["interval"]["widened_to_include_nhat"]
    assert len(rows) == dark.sum() and rows[0]["group"] == "total" and rows[0]["upper"] < rows[0]["nhat"]
    assert any(f"N̂ lies outside its own interval in {dark.sum()} row(s)" in x for x in e.warnings)
    assert any("BCa interval is undefined" in x for x in e.warnings)
    pub = e.to_publish()
    assert "interval-widened" in pub["rules"] and pub["publish_interval"] is False


# the bundled datasets whose runs take a few seconds (cruyff_simdat: 80 subgroup rows; its re-selecting
# nonparametric bootstrap, ~1 CPU-s per replicate, is slow)
_FAST = ["artificial_3", "cruyff_simdat", "dga_example_3list", "dga_example_5list", "hiv_rome", "kosovo_1999", "lesbian_allegheny",
         "netherlands_2010_2015", "netherlands_2010_2015_5lists", "new_orleans_2016_5lists", "scotland_pwid_2003",
         "spina_bifida_ny", "uk_2013", "uk_2013_5lists", "western_us_2019"]
_CASES = [(d, ci, 200) for d in _FAST for ci in ("parametric", "profile", "averaged")]
_CASES += [(d, "nonparametric", 100) for d in ("dga_example_3list", "kosovo_1999", "spina_bifida_ny")]
_CASES += [pytest.param("cruyff_simdat", "nonparametric", 20, marks=pytest.mark.slow)]


@pytest.mark.parametrize(("name", "ci", "reps"), _CASES)
def test_no_published_nhat_outside_its_interval_without_a_flag(name, ci, reps):
    e = estimate(name, ci=ci, reps=reps, seed=5, n_jobs=1, bca=ci != "nonparametric" or reps >= 100)
    w = e.estimates_to_write()
    nh, lo, hi = (pd.to_numeric(w[c], errors="coerce").to_numpy(float) for c in ("nhat", "lower", "upper"))
    tol = 1e-7 * np.maximum(np.abs(nh), 1.0)
    with np.errstate(invalid="ignore"):
        outside = np.isfinite(nh) & ((np.isfinite(lo) & (nh < lo - tol)) | (np.isfinite(hi) & (nh > hi + tol)))
    flagged = w["status"].str.contains("interval widened to include N̂", regex=False).to_numpy()
    bad = outside & ~flagged
    assert not bad.any(), w[bad]
    # the total as result.json and the publish statement give it
    if np.isfinite(e.lower) and np.isfinite(e.nhat) and e.status == "ok":
        assert e.lower <= e.nhat * (1 + 1e-7) and e.nhat <= e.upper * (1 + 1e-7) or "total" in e.estimates.attrs.get(
            "nhat_outside", {})


def test_monitor_rows_that_exclude_nhat_are_widened_and_said():
    """The monitor's per-year rows take percentiles of the same replicates: widened and said as estimate's."""
    from darkfigure.monitoring.tables import MONITOR_COLUMNS, _truncate

    class _Est:
        """The two attributes of an Estimate that the monitor's truncation reads."""

        warnings: list = []
        ci_method = "nonparametric-percentile"

    t = pd.DataFrame({"group": ["total", "X"], "level": ["", "1"], "year": ["", "2020"], "observed": [10, 5],
                      "nhat": [100.0, 50.0], "lower": [20.0, 60.0], "upper": [180.0, 90.0]})
    t["visibility"], t["visibility_lower"], t["visibility_upper"] = t.observed / t.nhat, t.observed / t.upper, \
        t.observed / t.lower
    est = _Est()
    out = _truncate(est, t[MONITOR_COLUMNS])
    assert out["lower"].tolist() == [20.0, 50.0] and out["upper"].tolist() == [180.0, 90.0]
    assert out["visibility_upper"].iloc[1] == pytest.approx(5 / 50)  # recomputed from the widened limit
    assert any(w.startswith("monitor: N̂ lies outside its own interval in 1 row(s): X=1 in 2020") for w in est.warnings)
    assert any("redoes the model search" in w for w in est.warnings)


def test_the_flag_is_keyed_by_the_row_and_survives_a_json_round_trip_and_a_reordering():
    """Review: keyed by row position, the flag was lost when attrs went through JSON (keys become strings)."""
    import json

    from darkfigure.pipeline.interval import outside_limits

    t = _table([100.0, 50.0, 30.0], [80.0, 60.0, 10.0], [120.0, 90.0, 25.0])
    out, _ = include_estimate(t, "because")
    back = out.copy()
    back.attrs = json.loads(json.dumps(out.attrs))
    for frame in (out, back):
        assert outside_limits(frame, 0) is None
        assert outside_limits(frame, 1) == (60.0, 90.0) and outside_limits(frame, 2) == (10.0, 25.0)
    flipped = back.iloc[::-1].reset_index(drop=True)
    flipped.attrs = back.attrs
    assert outside_limits(flipped, 0) == (10.0, 25.0) and outside_limits(flipped, 2) is None
