"""Linkage draws x bootstrap: the combination, the draws, the front doors and the refusals."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from darkfigure.estimation import estimate
from darkfigure.histories import DataError
from darkfigure.linkage import simulate_registrations
from darkfigure.linkage.link import persons_from_links
from darkfigure.linkage.uncertainty import (
    LinkRun,
    calibration_table,
    combine_draws,
    draw_links,
    expected_link_errors_total,
    resolve_linkage,
)
from synthetic_pairs import true_pairs


# ----------------------------------------------------------------------------- pure statistics
def test_combine_draws_splits_variance_by_the_law_of_total_variance():
    # between draws sd 1, within draws sd 2: share 1/5, pooled interval +-1.96*sqrt(5)
    rng = np.random.default_rng(1)
    d, b = 400, 400
    pts = 100 + rng.normal(0, 1, (d, 1))
    reps = pts[:, None, :] + rng.normal(0, 2, (d, b, 1))
    c = combine_draws(pts, reps, 0.95)
    assert c.share_linkage[0] == pytest.approx(0.2, abs=0.03)
    half = 1.959964 * np.sqrt(5)
    assert c.lower[0] == pytest.approx(100 - half, abs=0.2)
    assert c.upper[0] == pytest.approx(100 + half, abs=0.2)
    assert c.point[0] == pytest.approx(100, abs=0.15)
    assert c.n_draws == d


def test_combine_draws_bias_correction_takes_the_draws_bias_off_the_as_linked_estimate():
    # draws centred 5 above the as-linked N̂ (per cell): the point is 5 below it, the interval moves by -10
    rng = np.random.default_rng(2)
    pts = np.c_[105 + rng.normal(0, 1, 300), 55 + rng.normal(0, 1, 300)]
    reps = pts[:, None, :] + rng.normal(0, 2, (300, 200, 2))
    plain = combine_draws(pts, reps, 0.95)
    c = combine_draws(pts, reps, 0.95, as_linked=np.array([100.0, np.nan]), rule="bias")
    assert c.bias[0] == pytest.approx(plain.point[0] - 100) and c.bias[1] == 0.0
    assert c.point[0] == pytest.approx(100 - c.bias[0]) and c.point[0] == pytest.approx(95, abs=0.2)
    assert c.lower[0] == pytest.approx(plain.lower[0] - 2 * c.bias[0])
    assert c.upper[0] - c.lower[0] == pytest.approx(plain.upper[0] - plain.lower[0])
    # a cell without an as-linked N̂ keeps the mean over draws
    assert c.point[1] == plain.point[1] and c.share_linkage[0] == plain.share_linkage[0]
    with pytest.raises(ValueError, match="one N̂ per group cell"):
        combine_draws(pts, reps, 0.95, as_linked=np.array([100.0]))


def test_combine_draws_leaves_out_failed_draws_and_refuses_too_few():
    pts = np.array([[1.0], [np.nan], [3.0]])
    c = combine_draws(pts, None)
    assert c.n_draws == 2 and c.point[0] == 2.0
    with pytest.raises(ValueError, match="fewer than 2"):
        combine_draws(np.array([[1.0], [np.nan]]), None)
    with pytest.raises(ValueError, match="shape"):
        combine_draws(np.ones((3, 2)), np.ones((3, 5, 1)))


def test_draw_links_frequencies_and_seed():
    p = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    m = draw_links(p, 20000, seed=3)
    np.testing.assert_allclose(m.mean(axis=0), p, atol=0.01)
    assert m[:, 0].sum() == 0 and m[:, 4].all()
    np.testing.assert_array_equal(m, draw_links(p, 20000, seed=3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        draw_links(np.array([0.5, 1.2]), 3, 0)
    with pytest.raises(ValueError, match="at least 1"):
        draw_links(p, 0, 0)


def test_draw_partitions_samples_the_product_of_pair_odds():
    from darkfigure.linkage.uncertainty import draw_partitions

    # a lone pair (records 3, 4) joins with its probability; the triangle a-b-c (0, 1, 2) with
    # p_ab = p_bc = 0.9 and p_ac = 0.01 follows pi(partition) ~ product of the odds of its within-person pairs
    left, right = np.array([0, 1, 0, 3]), np.array([1, 2, 2, 4])
    p = np.array([0.9, 0.9, 0.01, 0.3])
    lab = draw_partitions(5, left, right, p, 40000, seed=1, burn=50, thin=1)
    assert (lab[:, 3] == lab[:, 4]).mean() == pytest.approx(0.3, abs=0.015)
    o = p / (1 - p)
    w = {"abc": o[0] * o[1] * o[2], "ab": o[0], "bc": o[1], "ac": o[2], "none": 1.0}
    z = sum(w.values())
    ab, bc, ac = lab[:, 0] == lab[:, 1], lab[:, 1] == lab[:, 2], lab[:, 0] == lab[:, 2]
    assert (ab & bc).mean() == pytest.approx(w["abc"] / z, abs=0.01)
    assert (ab & ~bc).mean() == pytest.approx(w["ab"] / z, abs=0.015)
    assert (~ab & ~bc & ~ac).mean() == pytest.approx(w["none"] / z, abs=0.01)
    # independent pair draws closed transitively would join a and c far more often (chaining)
    assert (ab & bc).mean() < 0.06
    np.testing.assert_array_equal(lab[:100], draw_partitions(5, left, right, p, 40000, seed=1, burn=50, thin=1)[:100])


def test_draw_partitions_max_rule_joins_at_the_largest_pair_probability():
    from darkfigure.linkage.partition_draws import draw_partitions

    # a person of two registrations (0, 1; p = 1 - 1e-9) and a lone registration 2 with pairs at 0.6 and 0.05 with
    # its members: two states (2 alone or joined), so the target is exact. "max": 2 joins with probability 0.6;
    # "product": odds 1.5 * 0.05 / 0.95, probability 0.073. Registration 3 (dated) has one pair at 0.95 with the
    # undated 4, which has one at 0.7 with 0: with `dated`, 3 ignores its pair with 4 and never reaches the person
    # of 0 and 1 through it; 4 weighs all its pairs: with 0 at odds 7/3 against 19 with 3 and 1 alone.
    left, right = np.array([0, 0, 1, 3, 4]), np.array([1, 2, 2, 4, 0])
    p = np.array([1 - 1e-9, 0.6, 0.05, 0.95, 0.7])
    dated = np.array([True, True, True, True, False])
    start = np.array([0, 0, 2, 3, 0])
    n = 40000  # Monte-Carlo s.e. of a share near 0.6 with autocorrelated sweeps: below 0.005; tolerance 0.015
    lab = draw_partitions(5, left, right, p, n, seed=2, start=start, burn=50, thin=1, rule="max", dated=dated)
    assert (lab[:, 0] == lab[:, 1]).all()
    assert (lab[:, 2] == lab[:, 0]).mean() == pytest.approx(0.6, abs=0.015)
    assert (lab[:, 3] != lab[:, 0]).all()
    assert (lab[:, 4] == lab[:, 0]).mean() == pytest.approx((7 / 3) / (1 + 7 / 3 + 19), abs=0.01)
    old = draw_partitions(5, left, right, p, n, seed=2, start=start, burn=50, thin=1, dated=dated)
    o = 1.5 * 0.05 / 0.95
    assert (old[:, 2] == old[:, 0]).mean() == pytest.approx(o / (1 + o), abs=0.01)
    assert (old[:, 3] == old[:, 4]).mean() > 0.5  # the product rule weighs every pair (dated is ignored)
    with pytest.raises(ValueError, match="rule must be one of"):
        draw_partitions(5, left, right, p, 2, seed=2, rule="mean")
    with pytest.raises(ValueError, match="dated"):
        draw_partitions(5, left, right, p, 2, seed=2, rule="max", dated=dated[:3])


def test_draw_partitions_positive_rule_multiplies_agreeing_pairs_only():
    from darkfigure.linkage.partition_draws import DRAW_RULE, draw_partitions

    # as above, two exact two-state targets: registration 2 with pairs 0.6 and 0.05 with a sure person (0, 1) joins at
    # 0.6 (the pair below 0.5 is not multiplied in); registration 5 with pairs 0.6 and 0.7 with a sure person (3, 4)
    # joins at odds 1.5 * 7/3 = 3.5, 0.778 (agreeing pairs multiply, as in the product); "max" would give 0.7
    left, right = np.array([0, 0, 1, 3, 3, 4]), np.array([1, 2, 2, 4, 5, 5])
    p = np.array([1 - 1e-9, 0.6, 0.05, 1 - 1e-9, 0.6, 0.7])
    start = np.array([0, 0, 2, 3, 3, 5])
    lab = draw_partitions(6, left, right, p, 40000, seed=4, start=start, burn=50, thin=1, rule="positive")
    assert (lab[:, 2] == lab[:, 0]).mean() == pytest.approx(0.6, abs=0.015)
    assert (lab[:, 5] == lab[:, 3]).mean() == pytest.approx(3.5 / 4.5, abs=0.015)
    mx = draw_partitions(6, left, right, p, 40000, seed=4, start=start, burn=50, thin=1, rule="max")
    assert (mx[:, 5] == mx[:, 3]).mean() == pytest.approx(0.7, abs=0.015)
    assert DRAW_RULE == "positive"


def test_calibration_table_bins():
    p = np.array([0.005, 0.3, 0.3, 0.97, 0.999])
    y = np.array([False, True, False, True, True])
    t = calibration_table(p, y)
    assert t["pairs"].sum() == 5
    row = t[t["bin"] == "[0.2, 0.5)"].iloc[0]
    assert row["share_matches"] == 0.5 and row["mean_probability"] == pytest.approx(0.3)


# ----------------------------------------------------------------------------- a run without Splink
@pytest.fixture(scope="module")
def known_run():
    """Registrations with their true links as scored pairs: p = 1 for every true pair, and false pairs."""
    tp = true_pairs(5, 3000, 300)
    regs = tp.regs
    plain = regs.drop(columns=["first_name", "surname", "date_of_birth"])
    _, ht = persons_from_links(plain, regs["true_person_id"], covariates=["sex"])
    return tp.records, tp.left, tp.right, tp.false_l, tp.false_r, ht


def _run(known_run, p_true, p_false):
    records, left, right, fl, fr, _ = known_run
    pairs = pd.DataFrame({"record_l": np.r_[left, fl], "record_r": np.r_[right, fr],
                          "match_probability": np.r_[np.full(left.size, p_true), np.full(fl.size, p_false)]})
    return LinkRun(records, pairs, 0.5)


def test_certain_links_give_the_as_linked_estimate_without_linkage_variance(known_run, tmp_path):
    run = _run(known_run, 1.0, 0.0)
    h = run.histories().collapse(["year"])
    assert h.n_observed == known_run[5].n_observed  # re-clustering the true pairs gives the true persons
    e = estimate(h, year="year", search="none", ci="parametric", reps=200, seed=1, linkage_run=run,
                 linkage_draws=6, linkage_reps=20, n_jobs=1)
    lk = e.linkage
    assert lk.nhat_corrected == pytest.approx(lk.nhat_as_linked, rel=1e-9)
    assert lk.share_linkage == pytest.approx(0.0, abs=1e-12)
    assert lk.false_links == 0 and lk.missed_links == 0
    assert lk.lower < lk.nhat_corrected < lk.upper
    d = e.to_dict()["linkage"]
    for k in ("nhat_as_linked", "nhat_corrected", "lower", "upper", "false_links", "missed_links", "draws"):
        assert k in d
    assert d["draws"] == 6
    # estimates hold the corrected figures; the as-linked ones beside them
    assert {"nhat_as_linked", "lower_as_linked", "share_linkage"} <= set(e.estimates.columns)
    assert e.estimates.loc[0, "nhat"] == pytest.approx(lk.nhat_corrected)
    # written and reported
    from darkfigure.report import build_report

    e.write(tmp_path / "est")
    assert json.loads((tmp_path / "est" / "result.json").read_text())["linkage"]["draws"] == 6
    html = build_report(tmp_path / "est").read_text(encoding="utf-8")
    assert "N̂ corrected for linkage error" in html and "interval with linkage uncertainty" in html


def test_uncertain_links_widen_the_interval_and_false_links_lower_nhat(known_run):
    sure = _run(known_run, 1.0, 0.0)
    shaky = _run(known_run, 1.0, 0.4)
    h = sure.histories().collapse([])
    kw = dict(search="none", ci="parametric", reps=200, seed=2, linkage_draws=12, linkage_reps=20, n_jobs=1)
    a = estimate(h, linkage_run=sure, **kw).linkage
    b = estimate(h, linkage_run=shaky, **kw).linkage
    # false pairs drawn as links: persons merge, overlaps grow, N̂ falls in the draws (the default rule follows
    # them down; the bias correction would mirror them above: test_bias_correction_mirrors_the_draws_around_...)
    assert np.nanmean(b.draw_nhat) < np.nanmean(a.draw_nhat)
    assert b.nhat_corrected == pytest.approx(np.nanmean(b.draw_nhat)) and b.nhat_corrected <= b.nhat_as_linked
    assert b.persons_drawn < a.persons_drawn
    assert b.share_linkage > 0.05
    fl, ml = expected_link_errors_total(shaky)
    # below the threshold (0.5) they are not linked: no expected false links, 0.4 missed link each
    assert fl == pytest.approx(0.0, abs=1e-9) and ml == pytest.approx(0.4 * known_run[3].size)


def test_bias_correction_mirrors_the_draws_around_the_as_linked_estimate(known_run):
    from darkfigure.linkage.uncertainty import linkage_uncertainty, loglinear_refit

    shaky = _run(known_run, 1.0, 0.4)
    refit = loglinear_refit([], [], reps=0)
    kw = dict(draws=6, seed=3, n_jobs=1)
    mean = linkage_uncertainty(shaky, refit, correction="mean", **kw)
    bias = linkage_uncertainty(shaky, refit, correction="bias", **kw)
    toward = linkage_uncertainty(shaky, refit, **kw)
    assert mean.correction == "mean" and bias.to_dict()["correction"] == "bias"
    assert toward.correction == "toward"  # the default (tester report 14a, H1)
    np.testing.assert_allclose(bias.draw_nhat, mean.draw_nhat)  # same draws, only the combination differs
    # the draws lie below as linked: the default follows them, never mirrors them above
    assert toward.nhat_corrected == pytest.approx(mean.nhat_corrected)
    # the drawn false links lower N̂: the mean over draws falls below the as-linked N̂, the bias correction rises above
    assert mean.nhat_corrected < mean.nhat_as_linked < bias.nhat_corrected
    assert bias.nhat_corrected == pytest.approx(2 * bias.nhat_as_linked - mean.nhat_corrected)
    assert bias.upper - bias.lower == pytest.approx(mean.upper - mean.lower)
    with pytest.raises(ValueError, match="correction"):
        linkage_uncertainty(shaky, refit, correction="median", **kw)


def test_refusals(known_run, tmp_path):
    h = _run(known_run, 1.0, 0.0).histories().collapse([])
    f = tmp_path / "histories.csv"
    h.to_frame().to_csv(f, index=False)
    with pytest.raises(DataError, match="--linkage none"):
        estimate(f, linkage="correct", ci="none")
    with pytest.raises(ValueError, match="linkage must be one of"):
        resolve_linkage(f, None, "maybe")
    with pytest.raises(DataError, match="not the output of `darkfigure link`"):
        estimate(tmp_path, ci="none")
    # histories made elsewhere: --linkage none (or the default) estimates from them as they are
    assert estimate(f, ci="none").linkage is None


def test_cli_refuses_linkage_correct_without_match_probabilities(known_run, tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app

    h = _run(known_run, 1.0, 0.0).histories().collapse([])
    f = tmp_path / "histories.csv"
    h.to_frame().to_csv(f, index=False)
    r = CliRunner().invoke(app, ["estimate", str(f), "--linkage", "correct", "--ci", "none"])
    assert r.exit_code == 2
    assert "cannot be corrected for linkage error" in " ".join(r.output.split())
    assert "N̂ corrected" not in r.output
    r = CliRunner().invoke(app, ["estimate", str(f), "--ci", "none"])
    assert r.exit_code == 0 and "N̂ corrected" not in r.output


def test_organisation_that_shares_nobody_is_said_not_estimated(known_run):
    records, left, right, fl, fr, _ = known_run
    orgs = records["organisation"].to_numpy()
    lone = orgs[0]
    # drop every pair that joins the first organisation to another one
    keep = ~((orgs[left] == lone) ^ (orgs[right] == lone))
    run = LinkRun(records, pd.DataFrame({"record_l": left[keep], "record_r": right[keep],
                                         "match_probability": 1.0}), 0.5)
    h = run.histories().collapse([])
    with pytest.raises(DataError, match=f"{lone}.*share no person"):
        estimate(h, linkage_run=run, search="none", ci="none", linkage_draws=3)


def test_monitor_tables_carry_the_correction(known_run):
    from darkfigure.monitoring import monitor

    run = _run(known_run, 1.0, 0.3)
    h = run.histories().collapse(["year"])
    res = monitor(h, year="year", linkage_run=run, search="none", reps=200, seed=4, n_jobs=1, linkage_draws=8,
                  linkage_reps=20)
    lk = res.estimate.linkage
    tot = res.table[(res.table["group"] == "total") & (res.table["year"] == "")].iloc[0]
    assert tot["nhat"] == pytest.approx(lk.nhat_corrected)
    assert (tot["lower"], tot["upper"]) == pytest.approx((lk.lower, lk.upper))
    years = res.table[(res.table["group"] == "total") & (res.table["year"] != "")]
    assert len(years) == 3 and years["upper"].gt(years["nhat"]).all()


# ----------------------------------------------------------------------------- with Splink
@pytest.mark.slow
def test_cli_estimate_on_a_link_folder(tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app
    from darkfigure.linkage import link

    rs = simulate_registrations("clearing_house", seed=11, population=2500)
    res = link(rs.registrations, seed=1, threads=2)
    res.write(tmp_path / "lk", plot=False)
    out = tmp_path / "est"
    r = CliRunner().invoke(app, ["estimate", str(tmp_path / "lk"), "--covariates", "year", "--missing", "em",
                                 "--reps", "200", "--seed", "1", "--linkage-draws", "10", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "N̂ corrected" in r.output
    d = json.loads((out / "result.json").read_text())["linkage"]
    assert d["draws"] == 10 and d["lower"] < d["nhat_corrected"] < d["upper"]
    est = pd.read_csv(out / "estimates.csv")
    assert est.loc[0, "nhat"] == pytest.approx(d["nhat_corrected"])
    # --linkage none: the as-linked estimate only
    r = CliRunner().invoke(app, ["estimate", str(tmp_path / "lk"), "--covariates", "year", "--missing", "em",
                                 "--ci", "none", "--linkage", "none"])
    assert r.exit_code == 0 and "N̂ corrected" not in r.output


@pytest.mark.slow
def test_small_study_corrected_nhat_near_the_true_links():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from linkage_uncertainty_study import one_population

    rows = pd.DataFrame([one_population(s, 7, draws=20, reps=20) for s in ("standard", "no_dob")])
    rel = (rows["nhat_corrected"] - rows["nhat_true"]) / rows["nhat_true"]
    assert rel.abs().max() < 0.05
    assert ((rows["lower"] <= rows["nhat_true"]) & (rows["nhat_true"] <= rows["upper"])).all()
    assert Counter(rows["setting"]) == Counter({"standard": 1, "no_dob": 1})
