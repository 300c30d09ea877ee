"""Tester report 14a, M1 in the monitor: a row whose linkage draws are shifted from N̂ as linked beyond their
Monte-Carlo error publishes the interval estimate's row publishes (covering as linked, mean over the draws and
N̂ corrected) and says per year that the linkage decides the answer.

Synthetic registrations only (``synthetic_pairs``); no Splink.
"""

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.combine import SHIFTED
from darkfigure.linkage.uncertainty import LinkRun
from synthetic_pairs import true_pairs


@pytest.fixture(scope="module")
def shifted_monitor():
    """The monitor of a run whose draws join more than the as-linked persons (a third of the true pairs scored
    just below the threshold, as tests/test_correction_rule.py's ``below_run``)."""
    from darkfigure.monitoring import monitor

    tp = true_pairs(3, 2500, 300)
    pairs = tp.pairs(0.95, 0.02)
    low = np.random.default_rng(1).random(tp.left.size) < 1 / 3
    pairs.loc[np.flatnonzero(low), "match_probability"] = 0.45
    run = LinkRun(tp.records, pairs, 0.5)
    h = run.histories().collapse(["year"])
    return monitor(h, year="year", linkage_run=run, search="none", ci="parametric", reps=100, seed=3,
                   linkage_draws=4, linkage_reps=20, n_jobs=1)


def test_year_rows_publish_estimates_interval_and_say_the_linkage_decides(shifted_monitor, tmp_path):
    res = shifted_monitor
    e, tab = res.estimate, res.table
    est = e.estimates
    years = est[est["group"] == "year"]
    assert years["interval_shifted"].astype(bool).any()  # estimate found the year cells shifted
    for _, r in years.iterrows():
        row = tab[(tab["group"] == "total") & (tab["year"] == str(r["level"]))].iloc[0]
        # the monitor's year row publishes estimates.csv's interval for that year
        assert (row["lower"], row["upper"]) == pytest.approx((r["lower"], r["upper"]), rel=1e-6)
        said = [w for w in e.warnings if w.startswith(f"monitor: the linkage decides the answer in {r['level']}:")]
        if bool(r["interval_shifted"]):
            for x in (r["nhat_as_linked"], r["nhat_mean_draws"], row["nhat"], r["lower_as_linked"],
                      r["upper_as_linked"]):
                assert row["lower"] - 1e-6 <= x <= row["upper"] + 1e-6
            # each limit over the persons of its own linkage (tester 16a, finding 4; s19: the as-linked limits over
            # the persons as linked, the draws' over the persons corrected, and the points between)
            pc, obs = row["observed_corrected"], row["observed"]
            low_vis = min(pc / row["upper_draws"], obs / row["upper_as_linked"], obs / row["nhat_as_linked"],
                          pc / row["nhat_mean_draws"], pc / row["nhat"])
            high_vis = max(pc / row["lower_draws"], obs / row["lower_as_linked"], obs / row["nhat_as_linked"],
                           pc / row["nhat_mean_draws"], pc / row["nhat"])
            assert row["visibility_lower"] == pytest.approx(min(low_vis, 1.0))
            assert row["visibility_upper"] == pytest.approx(min(high_vis, 1.0))
            assert row["visibility_lower"] <= row["visibility"] <= row["visibility_upper"]
            if pc != obs:  # the mixed-scale limit of before differs from it
                assert row["visibility_lower"] != pytest.approx(pc / row["upper"]) or row["upper"] == row[
                    "upper_draws"]
            assert len(said) == 1 and f"{r['nhat_mean_draws']:,.0f}" in said[0] and SHIFTED in said[0]
            assert f"{r['nhat_as_linked']:,.0f}" in said[0]
        else:
            assert not said
    # a shifted row is no Monte-Carlo narrowing
    shifted_years = set(years.loc[years["interval_shifted"].astype(bool), "level"].astype(str))
    for w in e.warnings:
        if w.startswith("monitor: in ") and "narrower" in w:
            assert not any(f"total in {y}" in w for y in shifted_years)
    # the monitor's estimates.csv carries the columns estimate writes
    res.write(tmp_path / "m")
    csv = pd.read_csv(tmp_path / "m" / "estimates.csv")
    assert {"nhat_mean_draws", "interval_shifted"} <= set(csv.columns)


def test_interval_widened_in_the_monitor_is_estimates_csv_flag_also_on_shifted_rows(shifted_monitor):
    # review s15-rv2: estimates.csv (pipeline/extras._widen) writes published_interval's `widened` unmasked, a shifted
    # row keeping its own interval_shifted beside it; monitor.csv writes the same flag for the same year rows
    from darkfigure.linkage.combine import widen_to_as_linked

    res = shifted_monitor
    est, tab = res.estimate.estimates, res.table
    years = est[est["group"] == "year"]
    assert years["interval_shifted"].astype(bool).any()
    for _, r in years.iterrows():
        row = tab[(tab["group"] == "total") & (tab["year"] == str(r["level"]))].iloc[0]
        assert bool(row["interval_widened"]) == bool(r["interval_widened"])
        assert bool(row["interval_shifted"]) == bool(r["interval_shifted"])
    _, _, wid = widen_to_as_linked(tab["lower_draws"].to_numpy(float), tab["upper_draws"].to_numpy(float),
                                   tab["lower_as_linked"].to_numpy(float), tab["upper_as_linked"].to_numpy(float))
    assert np.array_equal(tab["interval_widened"].to_numpy(bool), np.asarray(wid, bool))
