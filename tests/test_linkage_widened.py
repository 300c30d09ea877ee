"""Tester report 9, F19: an interval with linkage uncertainty narrower than as linked is published as the union.

Synthetic registrations only (``synthetic_pairs``); no Splink. The narrower case is made certain by
shrinking every linkage draw's bootstrap replicates towards its point (what few draws x replicates do
by chance), so the test does not rest on a lucky seed.
"""

import json

import numpy as np
import pandas as pd
import pytest

from darkfigure.estimation import estimate
from darkfigure.linkage.combine import WIDENED, widen_to_as_linked
from darkfigure.linkage.uncertainty import LinkRun, loglinear_refit
from synthetic_pairs import true_pairs


def test_widen_to_as_linked_takes_the_union_only_where_narrower():
    lo, hi, wid = widen_to_as_linked([90.0, 40.0, 50.0, np.nan, 10.0], [130.0, 60.0, 70.0, 5.0, 30.0],
                                     [95.0, 38.0, 45.0, 1.0, 12.0], [120.0, 63.0, 80.0, 9.0, 35.0])
    # row 0 wider (kept, even though shifted); rows 1, 2 narrower (union); row 3 not finite (kept);
    # row 4 narrower and shifted down: the union reaches the as-linked upper end
    assert wid.tolist() == [False, True, True, False, True]
    assert lo.tolist()[:3] == [90.0, 38.0, 45.0] and hi.tolist()[:3] == [130.0, 63.0, 80.0]
    assert np.isnan(lo[3]) and hi[3] == pytest.approx(5.0)
    assert (lo[4], hi[4]) == (10.0, 35.0)
    # never narrower than either interval where it was widened
    assert (hi - lo)[wid].min() >= 20.0


def _shrink(monkeypatch, factor=0.3):
    """Every draw's bootstrap replicates pulled towards its point: a pooled interval narrower than as linked."""
    real = loglinear_refit.__call__

    def shrunk(self, h, seed):
        labels, pts, reps = real(self, h, seed)
        if reps is not None:
            reps = pts[None, :] + factor * (reps - pts[None, :])
        return labels, pts, reps

    monkeypatch.setattr(loglinear_refit, "__call__", shrunk)


def _no_shift(monkeypatch):
    """The shift of the draws' mean from N̂ as linked left out of the published interval: these draws break 10%
    of the true links, which moves their mean ~6% above N̂ as linked (tests/test_correction_rule.py covers that)."""
    from functools import partial

    import darkfigure.linkage.combine as comb

    monkeypatch.setattr(comb, "published_interval", partial(comb.published_interval, material=np.inf))


@pytest.fixture(scope="module")
def run():
    tp = true_pairs(5, 3000, 300, sex=lambda s: s.astype(str).str[0].str.lower())
    return LinkRun(tp.records, tp.pairs(0.9, 0.3), 0.5)


def test_a_narrower_interval_is_published_as_the_union_everywhere(run, monkeypatch, tmp_path):
    _no_shift(monkeypatch)
    _shrink(monkeypatch)
    h = run.histories().collapse(["sex"]).drop_incomplete()
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=200, seed=3, linkage_draws=3,
                 linkage_reps=20, n_jobs=1, missing="drop", assumption_range=None)
    lk, t = e.linkage, e.estimates
    # the draws' own interval came out narrower than as linked ...
    assert lk.upper_draws - lk.lower_draws < t.loc[0, "upper_as_linked"] - t.loc[0, "lower_as_linked"]
    # ... so the union is published: headline, linkage block, estimates table
    union = (min(lk.lower_draws, t.loc[0, "lower_as_linked"]), max(lk.upper_draws, t.loc[0, "upper_as_linked"]))
    assert lk.widened and (e.lower, e.upper) == pytest.approx(union)
    assert (lk.lower, lk.upper) == pytest.approx(union)
    assert (t.loc[0, "lower"], t.loc[0, "upper"]) == pytest.approx(union)
    assert bool(t.loc[0, "interval_widened"])
    # subgroup rows: the same rule, row by row
    w = (t["upper_draws"] - t["lower_draws"]) < (t["upper_as_linked"] - t["lower_as_linked"])
    assert (t["interval_widened"] == w).all() and w.iloc[1:].any()
    assert (t["lower"] <= t["lower_draws"] + 1e-9).all() and (t["upper"] >= t["upper_draws"] - 1e-9).all()
    assert (t.loc[w, "upper"] - t.loc[w, "lower"] >= t.loc[w, "upper_as_linked"] - t.loc[w, "lower_as_linked"]
            - 1e-9).all()
    # the warning says what was done instead of asking the reader; no reason quoting 0.0%
    said = [x for x in e.warnings if "is narrower than the interval as linked" in x]
    assert said and "union of the two" in said[0] and f"{union[0]:,.0f} – {union[1]:,.0f}" in said[0]
    assert not any("Read the wider" in x or "0.0%" in x for x in e.warnings)
    assert any("subgroup rows of estimates.csv" in x and "union" in x for x in e.warnings)
    # result.json keeps both raw intervals; estimates.csv and to_publish carry the union
    d = e.to_dict()
    assert d["interval"]["widened_to_as_linked"] is True
    assert (d["interval"]["lower"], d["interval"]["upper"]) == pytest.approx(union)
    blk = d["linkage"]
    assert (blk["lower_draws"], blk["upper_draws"]) == pytest.approx((lk.lower_draws, lk.upper_draws))
    assert (blk["lower_as_linked"], blk["upper_as_linked"]) == pytest.approx(
        (t.loc[0, "lower_as_linked"], t.loc[0, "upper_as_linked"]))
    assert blk["widened_to_as_linked"] is True and WIDENED in blk["interval_note"]
    e.write(tmp_path / "o")
    csv = pd.read_csv(tmp_path / "o" / "estimates.csv")
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert (csv.loc[0, "lower"], csv.loc[0, "upper"]) == pytest.approx((res["interval"]["lower"],
                                                                         res["interval"]["upper"]))
    assert {"lower_draws", "upper_draws", "interval_widened"} <= set(csv.columns)
    statement = str(e.to_publish().get("statement") or "")
    assert f"{union[0]:,.0f}" in statement and f"{union[1]:,.0f}" in statement
    # the report labels the headline interval so
    from darkfigure.report import build_report

    html = build_report(tmp_path / "o").read_text(encoding="utf-8")
    assert WIDENED.replace("'", "&#39;") in html or WIDENED in html
    assert "the union is published" in html  # the linkage section beside both raw intervals


def test_the_terminal_says_the_widening_once(run, monkeypatch):
    """s23 new user, finding 6: the label was printed up to five times (panel, notes, warnings, linkage panel).
    It is said in full once, on the linkage panel beside the draws' own interval; the headline says it short, the
    warnings and notes say "union of the two" with the numbers."""
    import io

    from rich.console import Console

    import darkfigure.cli.estimate as cli

    _no_shift(monkeypatch)
    _shrink(monkeypatch)
    h = run.histories().collapse(["sex"]).drop_incomplete()
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=200, seed=3, linkage_draws=3,
                 linkage_reps=20, n_jobs=1, missing="drop", assumption_range=None)
    assert e.linkage.widened and any("union of the two" in x for x in e.warnings + e.notes)
    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buf, width=2000, color_system=None))
    cli._print_result(e)
    cli._print_linkage(e.linkage, e)
    text = buf.getvalue()
    assert text.count(WIDENED) == 1, text
    row = next(ln for ln in text.splitlines() if WIDENED in ln)
    assert f"the draws' own interval {e.linkage.lower_draws:,.0f} – {e.linkage.upper_draws:,.0f}" in row
    head = next(ln for ln in text.splitlines() if "N̂ corrected for linkage error (see below)" in ln)
    assert "with linkage uncertainty; widened to the interval as linked" in head
    assert "subgroup rows" in text and "union of the two" in text  # the rows' warning still says what was done


def test_an_interval_not_narrower_is_published_as_drawn(run, monkeypatch):
    _no_shift(monkeypatch)
    _shrink(monkeypatch, factor=3.0)  # replicates spread out: the pooled interval is wider than as linked
    h = run.histories().collapse([])
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=200, seed=3, linkage_draws=3,
                 linkage_reps=20, n_jobs=1, assumption_range=None)
    lk = e.linkage
    assert not lk.widened and (e.lower, e.upper) == pytest.approx((lk.lower_draws, lk.upper_draws))
    assert e.to_dict()["interval"]["widened_to_as_linked"] is False
    assert not any("is narrower than the interval as linked" in x for x in e.warnings)


def test_monitor_rows_publish_the_union(run, monkeypatch):
    from darkfigure.monitoring import monitor
    from darkfigure.monitoring.tables import monitor_table

    _shrink(monkeypatch)
    h = run.histories().collapse(["year"])
    res = monitor(h, year="year", linkage_run=run, search="none", reps=200, seed=4, n_jobs=1, linkage_draws=3,
                  linkage_reps=20)
    lk, tab = res.estimate.linkage, res.table
    tot = tab[(tab["group"] == "total") & (tab["year"] == "")].iloc[0]
    assert lk.widened and (tot["lower"], tot["upper"]) == pytest.approx((lk.lower, lk.upper))
    as_linked = monitor_table(res.estimate, "year").table  # the as-linked bootstrap's rows
    # every row is at least as wide as the interval as linked (the union where the draws' was narrower)
    width, width0 = tab["upper"] - tab["lower"], as_linked["upper"] - as_linked["lower"]
    assert (width >= width0 - 1e-9).all()
    assert (tab["lower"] <= as_linked["lower"] + 1e-9).all() and (tab["upper"] >= as_linked["upper"] - 1e-9).all()
    assert (tab["visibility_lower"] <= as_linked["visibility_lower"] + 1e-12).all()
    said = [w for w in res.estimate.warnings if w.startswith("monitor: in ")]
    assert said and "union of the two" in said[0] and "0.0%" not in " ".join(res.estimate.warnings)
    assert not any(WIDENED in x for x in res.estimate.warnings + res.estimate.notes)


def test_the_monitor_terminal_says_the_widening_once(run, monkeypatch):
    """As estimate's terminal (test_the_terminal_says_the_widening_once): the monitor printed the label on the linkage
    panel and again in its rows' warning (s24). Now the panel's row of the draws' own interval says it; the rows'
    warning says "union of the two"."""
    import io

    from rich.console import Console

    import darkfigure.cli.estimate as cli_estimate
    import darkfigure.cli.monitor as cli_monitor
    from darkfigure.monitoring import monitor

    _no_shift(monkeypatch)
    _shrink(monkeypatch)
    h = run.histories().collapse(["year"])
    res = monitor(h, year="year", linkage_run=run, search="none", reps=200, seed=4, n_jobs=1, linkage_draws=3,
                  linkage_reps=20)
    lk = res.estimate.linkage
    assert lk.widened and not lk.shifted
    assert any(w.startswith("monitor: in ") and "union of the two" in w for w in res.estimate.warnings)
    buf = io.StringIO()
    con = Console(file=buf, width=2000, color_system=None)
    monkeypatch.setattr(cli_monitor, "console", con)
    monkeypatch.setattr(cli_estimate, "console", con)
    cli_monitor._print_monitor(res)
    cli_estimate._print_linkage(lk, res.estimate)
    text = buf.getvalue()
    assert text.count(WIDENED) == 1, text
    row = next(ln for ln in text.splitlines() if WIDENED in ln)
    assert f"the draws' own interval {lk.lower_draws:,.0f} – {lk.upper_draws:,.0f}" in row
    assert "monitor: in " in text and "union of the two" in text  # the rows' warning still says what was done


def test_unbounded_as_linked_upper_end_is_kept():
    # a finite interval with linkage uncertainty beside an unbounded as-linked one would publish an upper end
    # that the as-linked bootstrap could not give
    from darkfigure.linkage.combine import widen_to_as_linked

    lo, hi, w = widen_to_as_linked([100.0, 100.0], [200.0, np.inf], [90.0, 90.0], [np.inf, np.inf])
    assert list(w) == [True, False]
    assert lo[0] == pytest.approx(90.0) and np.isinf(hi[0]) and np.isinf(hi[1]) and lo[1] == pytest.approx(100.0)
