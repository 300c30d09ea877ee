"""One headline per run with a linkage correction (tester report 5: H1, H2, M1, M2, L13)."""

import json

import numpy as np
import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.estimation import estimate
from darkfigure.linkage.uncertainty import LinkRun
from synthetic_pairs import true_pairs, write_link_folder


@pytest.fixture(scope="module")
def shaky_run():
    """Registrations whose true pairs have p = 0.9 and random false pairs p = 0.3 (synthetic, no Splink)."""
    tp = true_pairs(5, 3000, 300, sex=lambda s: s.astype(str).str[0].str.lower())
    return LinkRun(tp.records, tp.pairs(0.9, 0.3), 0.5)


def test_averaged_interval_is_corrected_as_one_estimator(shaky_run, tmp_path):
    run = shaky_run
    h = run.histories().collapse(["sex"]).drop_incomplete()
    e = estimate(h, linkage_run=run, ci="averaged", reps=200, seed=1, linkage_draws=6, n_jobs=1, missing="drop")
    assert e.averaged is not None and len(e.averaged.fits) > 1
    lk, t = e.linkage, e.estimates
    # one headline: nhat, interval, estimates.csv and the linkage block agree
    assert e.nhat == pytest.approx(lk.nhat_corrected) == pytest.approx(t.loc[0, "nhat"])
    assert (e.lower, e.upper) == pytest.approx((lk.lower, lk.upper))
    assert (t.loc[0, "lower"], t.loc[0, "upper"]) == pytest.approx((lk.lower, lk.upper))
    # the as-linked columns are the model average's point and interval (one estimator per row)
    assert t.loc[0, "nhat_as_linked"] == pytest.approx(float(e.bootstrap.estimate[0]))
    assert t.loc[0, "lower_as_linked"] <= t.loc[0, "nhat_as_linked"] <= t.loc[0, "upper_as_linked"]
    # subgroups corrected too, and the total is the mean of the draws' averaged N̂
    assert t["nhat"].notna().all() and t["upper"].gt(t["lower"]).all()
    assert lk.nhat_corrected == pytest.approx(min(np.nanmean(lk.draw_nhat), t.loc[0, "nhat_as_linked"]))
    # the interval keeps the model-selection uncertainty: its within-draw spread is the averaged bootstrap's
    width_as_linked = t.loc[0, "upper_as_linked"] - t.loc[0, "lower_as_linked"]
    assert lk.upper - lk.lower > 0.9 * width_as_linked * lk.nhat_corrected / lk.nhat_as_linked
    d = e.to_dict()
    assert d["nhat"] == pytest.approx(lk.nhat_corrected)
    assert d["linkage"]["estimator"] == "model average" and d["linkage"]["conditional_on_chosen_model"] is False
    assert d["interval"]["with_linkage_uncertainty"] is True
    assert d["to_publish"] is not None
    e.write(tmp_path / "o")
    est = pd.read_csv(tmp_path / "o" / "estimates.csv")
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert est.loc[0, "nhat"] == pytest.approx(res["nhat"])
    # per-pair error rates, and both intervals in the report (tester report 5, L4)
    bp = pd.DataFrame(res["linkage"]["by_pair"])
    assert bp["false_links"].sum() == pytest.approx(lk.false_links)
    assert ((bp["false_link_rate"].dropna() >= 0) & (bp["false_link_rate"].dropna() <= 1)).all()
    from darkfigure.report import build_report

    html = build_report(tmp_path / "o").read_text(encoding="utf-8")
    assert "Estimated linkage errors by pair of organisations" in html
    assert "interval as linked (linkage taken as error-free)" in html and "interval with linkage uncertainty" in html
    assert "the model average, refitted on every linkage draw" in html
    # what the figures count, and the persons beside the links (tester report 6, M3)
    assert "count pairs of registrations (among the pairs the linkage compared), not persons" in html
    assert f"{res['linkage']['persons_as_linked']:,} as linked" in html
    assert "persons as linked / on average over the draws" in html


def test_chosen_model_correction_is_flagged_conditional(shaky_run):
    run = shaky_run
    h = run.histories().collapse([])
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=200, seed=2, linkage_draws=4,
                 linkage_reps=20, n_jobs=1)
    d = e.to_dict()["linkage"]
    assert d["estimator"] == "chosen model" and d["conditional_on_chosen_model"] is True
    assert e.nhat == pytest.approx(d["nhat_corrected"])


def test_ci_none_writes_no_linkage_interval(shaky_run):
    run = shaky_run
    h = run.histories().collapse([])
    e = estimate(h, linkage_run=run, search="none", ci="none", seed=2, linkage_draws=3, n_jobs=1)
    assert np.isnan(e.linkage.lower) and np.isnan(e.estimates.loc[0, "upper"])
    assert np.isfinite(e.linkage.nhat_corrected)
    assert e.to_dict()["linkage"]["lower"] is None


def test_organisations_sharing_nobody_are_all_named(shaky_run):
    run = shaky_run
    orgs = run.records["organisation"].to_numpy()
    lt, r = run.pairs["record_l"].to_numpy(), run.pairs["record_r"].to_numpy()
    a, b = "police", "kmar"
    cut = (np.isin(orgs[lt], [a, b]) | np.isin(orgs[r], [a, b])) & (orgs[lt] != orgs[r])
    lone = LinkRun(run.records, run.pairs[~cut].reset_index(drop=True), 0.5)
    h = lone.histories().collapse([])
    with pytest.raises(DataError) as ei:
        estimate(h, linkage_run=lone, search="none", ci="none", linkage_draws=3)
    msg = str(ei.value)
    assert "police, kmar share no person" in msg and "police & kmar" in msg and "kmar & shelters" in msg


def test_histories_that_are_not_the_runs_are_refused(shaky_run):
    run = shaky_run
    h = run.histories().collapse([])
    t = h.to_frame()
    t["count"] *= 2
    from darkfigure.histories import CaptureHistories

    h2 = CaptureHistories.from_frame(t) if hasattr(CaptureHistories, "from_frame") else None
    if h2 is None:
        pytest.skip("no CaptureHistories.from_frame")
    with pytest.raises(DataError, match="edited, filtered or come from another run"):
        estimate(h2, linkage_run=run, search="none", ci="none", linkage_draws=3)


def test_not_identified_run_writes_no_bare_nhat(tmp_path):
    # tester report 5, H2: three lists of ~1,000 that share 1 person pairwise: N̂ ~ 1e6 is not an estimate
    t = pd.DataFrame({"A": [1, 0, 1, 0, 1, 0], "B": [0, 1, 1, 0, 0, 1], "C": [0, 0, 0, 1, 1, 1],
                      "count": [1000, 1000, 1, 1000, 1, 1]})
    e = estimate(t, lists=["A", "B", "C"], ci="none", assumption_range=None)
    assert e.status == "not identified"
    e.write(tmp_path / "o")
    est = pd.read_csv(tmp_path / "o" / "estimates.csv")
    assert est.loc[0, "status"] == "not identified" and np.isnan(est.loc[0, "nhat"])
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert res["status"] == "not identified" and res["nhat"] is None and res["dark_figure"] is None
    assert res["model"]["nhat"] > 1e5  # the model's own figure stays, labelled as the model's
    # (with all 7 patterns: the 6 above alone fit the unseen cell as 0, N̂ = n, not identified since 12b L2)
    t7 = pd.concat([t, pd.DataFrame({"A": [1], "B": [1], "C": [1], "count": [1]})], ignore_index=True)
    ok = estimate(t7.assign(count=[1000, 1000, 300, 1000, 300, 300, 100]), lists=["A", "B", "C"], ci="none",
                  assumption_range=None)
    assert ok.status == "ok" and (ok.estimates_to_write()["status"] == "ok").all()  # always the column (12b, M6)


def test_few_pooled_replicates_and_a_narrower_interval_are_said(shaky_run):
    run = shaky_run
    h = run.histories().collapse([])
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=200, seed=3, linkage_draws=3,
                 linkage_reps=20, n_jobs=1)
    t = e.estimates
    lk = e.linkage  # the draws' own interval (before the union is published; tester report 9, F19)
    # said unless the as-linked interval sets both published ends (then the pooled replicates set neither; s24 L3)
    moot = (t.loc[0, "lower"], t.loc[0, "upper"]) == (t.loc[0, "lower_as_linked"], t.loc[0, "upper_as_linked"])
    assert any("pools 3 linkage draws x 20 bootstrap replicates = 60" in w for w in e.warnings) != moot
    narrower = lk.upper_draws - lk.lower_draws < t.loc[0, "upper_as_linked"] - t.loc[0, "lower_as_linked"]
    assert narrower == any("is narrower than the interval as linked" in w for w in e.warnings)
    assert narrower == lk.widened


def _link_folder(run, folder):
    """A link output folder without Splink (tests/synthetic_pairs.write_link_folder)."""
    return write_link_folder(run, folder)


def test_edited_histories_in_a_link_folder_are_refused(shaky_run, tmp_path):
    # tester report 5, M1: histories.csv doubled after link -> refused, naming the file and the way out
    f = _link_folder(shaky_run, tmp_path / "lk")
    t = pd.read_csv(f / "histories.csv")
    t["count"] *= 2
    t.to_csv(f / "histories.csv", index=False)
    with pytest.raises(DataError, match="histories.csv changed since `darkfigure link`.*--linkage none"):
        estimate(f, search="none", ci="none", linkage_draws=3)
    e = estimate(f, search="none", ci="none", linkage="none")  # the edited file, as it is, is the user's call
    assert e.linkage is None and e.to_dict()["linkage"]["assumes_error_free_linkage"] is True


def test_linkage_none_on_link_histories_says_error_free(shaky_run, tmp_path):
    # tester report 5, M2: --linkage none on the folder, or its histories.csv read directly
    f = _link_folder(shaky_run, tmp_path / "lk")
    for data, kw in ((f, {"linkage": "none"}), (f / "histories.csv", {})):
        e = estimate(data, search="none", ci="none", **kw)
        assert any("taken here as error-free" in w for w in e.warnings), data
        d = e.to_dict()["linkage"]
        assert d["corrected"] is False and d["assumes_error_free_linkage"] is True
    # histories made elsewhere: nothing to say
    other = tmp_path / "h.csv"
    pd.read_csv(f / "histories.csv").to_csv(other, index=False)
    e = estimate(other, search="none", ci="none")
    assert not any("error-free" in w for w in e.warnings) and "linkage" not in e.to_dict()


def test_phases_are_said_when_stderr_is_not_a_terminal(shaky_run, capsys):
    # tester report 5, M3: a log file gets one line per phase, and the linkage correction's cost up front
    run = shaky_run
    h = run.histories().collapse([])
    estimate(h, linkage_run=run, search="cruyff", ci="parametric", reps=40, seed=3, linkage_draws=2,
             linkage_reps=20, n_jobs=1, progress=True, assumption_range=None)
    err = capsys.readouterr().err
    assert "model search (cruyff)…" in err and "model search (cruyff): done in" in err
    assert "parametric bootstrap: 40 to run…" in err or "bootstrap: 40 to run…" in err
    assert "linkage correction: 2 linkage draws x (20 bootstrap replicates + 1) = 42 refits" in err
    assert "linkage draws: done in" in err
    assert "linkage draws: 1 of 2 done, about" in err


def test_help_names_a_link_output_folder():
    from typer.testing import CliRunner

    from darkfigure.cli import app

    r = CliRunner().invoke(app, ["estimate", "--help"], env={"COLUMNS": "300"})
    assert r.exit_code == 0 and "`darkfigure link` output folder" in " ".join(r.output.split())


def test_averaged_refit_reproduces_the_model_average_and_certain_links_change_nothing(shaky_run):
    run = shaky_run
    sure = LinkRun(run.records, run.pairs.assign(match_probability=np.where(run.pairs["match_probability"] > 0.5,
                                                                            1.0, 0.0)), 0.5)
    h = sure.histories().collapse(["sex"]).drop_incomplete()
    e = estimate(h, linkage_run=sure, ci="averaged", reps=200, seed=4, linkage_draws=4, n_jobs=1, missing="drop")
    assert len(e.averaged.fits) > 1
    from darkfigure.pipeline.extras import averaged_refit

    models = [[":".join(t) for t in f.model.terms if len(t) > 1] for f in e.averaged.fits]
    _, pts, _ = averaged_refit(models, ["sex"], criterion=e.averaged.criterion, missing="drop")(sure.histories(), 0)
    # the refit on the as-linked persons is the as-linked model average (same candidates, same weights)
    assert pts[0] == pytest.approx(e.averaged.nhat, rel=1e-6)
    assert pts[0] == pytest.approx(e.estimates.loc[0, "nhat_as_linked"], rel=1e-6)
    # certain links: every draw is the as-linked linkage, so nothing moves
    t = e.estimates
    assert e.linkage.nhat_corrected == pytest.approx(e.linkage.nhat_as_linked, rel=1e-6)
    assert e.linkage.share_linkage == pytest.approx(0.0, abs=1e-9)
    assert (t.loc[0, "lower"], t.loc[0, "upper"]) == pytest.approx((t.loc[0, "lower_as_linked"],
                                                                    t.loc[0, "upper_as_linked"]), rel=1e-6)


def test_linkage_warnings_have_plain_words():
    from darkfigure.report.explain import explain

    for w, key in (
            ("the interval with linkage uncertainty pools 5 linkage draws x 20 bootstrap replicates = 100",
             "linkage-few-replicates"),
            ("the interval with linkage uncertainty (1 – 2) is narrower than the interval as linked (1 – 3)",
             "linkage-narrower"),
            ("the interval with linkage uncertainty refits the chosen model on every linkage draw: it is",
             "linkage-conditional"),
            ("the persons come from a record linkage (lk) taken here as error-free (--linkage none)",
             "linkage-error-free")):
        assert explain(w).key == key, w


def test_identifying_assumption_section_says_it_rests_on_the_histories_as_linked(tmp_path):
    # the sensitivity curve is refitted on the as-linked histories; under a corrected headline the report says so
    from darkfigure.report.run import Run
    from darkfigure.report.sections_fit import _assumption_section

    ia = {"grid": [{"psi": 0.5, "nhat": 900.0}, {"psi": 1.0, "nhat": 1000.0}, {"psi": 2.0, "nhat": 1200.0}],
          "range": [0.5, 2.0], "nhat": 1000.0, "low": 900.0, "high": 1200.0, "parameter": "odds ratio"}
    base = {"data": {"observed": 600}, "identifying_assumption": ia}
    plain = _assumption_section(Run(folder=tmp_path, result=dict(base)))
    assert not any(k == "histories used" for k, _ in plain["facts"])
    linked = dict(base, linkage={"nhat_as_linked": 1000.0, "nhat_corrected": 1040.0})
    facts = dict(_assumption_section(Run(folder=tmp_path, result=linked))["facts"])
    assert "as linked (N̂ 1,000)" in facts["histories used"] and "1,040" in facts["histories used"]


def test_narrower_subgroup_intervals_are_counted_and_named():
    """Tester report 6, M2: subgroup rows narrower than as linked are warned about, not only the total."""
    from darkfigure.pipeline.extras import _narrower_subgroups

    est = pd.DataFrame({
        "group": ["total", "sex", "sex", "age", "age"], "level": ["", "f", "m", "adult", "minor"],
        "lower": [90.0, 40.0, 30.0, 50.0, 10.0], "upper": [130.0, 60.0, 60.0, 70.0, np.nan],
        "lower_as_linked": [95.0, 38.0, 35.0, 45.0, 9.0], "upper_as_linked": [120.0, 63.0, 55.0, 80.0, 20.0],
    })
    w = _narrower_subgroups(est, 20, 20)
    assert w is not None and w.startswith("in 2 of 3 subgroup rows of estimates.csv (sex=f, age=adult)")
    assert "--linkage-reps" in w and "--linkage-draws" in w and "20 bootstrap replicates per draw x 20 draws" in w
    wide = est.assign(lower=est["lower_as_linked"] - 1, upper=est["upper_as_linked"] + 1)
    assert _narrower_subgroups(wide, 20, 20) is None
    assert _narrower_subgroups(est.iloc[:1], 20, 20) is None


def test_narrower_subgroup_warning_reaches_the_run(shaky_run, monkeypatch):
    from functools import partial

    import darkfigure.linkage.combine as comb

    # these draws break 10% of the true links, which shifts them beyond the as-linked N̂: that is said by the
    # shift warning (tests/test_correction_rule.py); here the width alone
    monkeypatch.setattr(comb, "published_interval", partial(comb.published_interval, material=np.inf))
    run = shaky_run
    h = run.histories().collapse(["sex"]).drop_incomplete()
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=200, seed=3, linkage_draws=3,
                 linkage_reps=20, n_jobs=1, missing="drop", assumption_range=None)
    t = e.estimates.iloc[1:]
    k = int(((t["upper_draws"] - t["lower_draws"]) < (t["upper_as_linked"] - t["lower_as_linked"])).sum())
    # beyond Monte-Carlo noise a warning naming the rows, within it a note counting them (tester 11, F8)
    said = [w for w in e.warnings if "subgroup rows of estimates.csv" in w]
    noted = [n for n in e.notes if "subgroup rows of estimates.csv" in n]
    assert bool(said or noted) == (k > 0)
    if said:
        assert said[0].startswith("in ") and "Monte-Carlo noise" in said[0]
    if noted:
        assert "Monte-Carlo noise" in noted[0]


def test_linkage_note_says_pairs_not_persons_and_which_way():
    """Tester report 6, M3: the report explains false/missed links (pairs) against the persons drawn."""
    from darkfigure.report.sections_monitor import _linkage_note

    lk = {"persons_as_linked": 5011, "persons_drawn": 5012.0, "nhat_as_linked": 8200.4, "nhat_corrected": 8195.2,
          "false_links": 12.1, "missed_links": 21.3}
    t = _linkage_note(lk)
    assert "count pairs of registrations" in t and "misses 2 pairs" in t and "adds 3 false pairs" in t
    assert "5,012.0 persons on average, more persons than the 5,011 as linked" in t
    assert "N̂ corrected for linkage error is 8,195 against 8,200 as linked" in t
    fewer = _linkage_note({**lk, "persons_drawn": 5001.0})
    assert "fewer persons than the 5,011 as linked" in fewer
    assert "persons on average" not in _linkage_note({})
