"""The dark figure and the share visible from one linkage (tester report 16a, findings 4 and 8).

N̂ corrected for linkage error is made from the linkage draws, which join registrations the as-linked persons left
apart; the dark figure subtracted the as-linked persons from it. The persons are now corrected by the same rule
(:func:`darkfigure.linkage.combine.corrected_persons`). Synthetic registrations only (no Splink): half the true pairs
score 0.9, the other half 0.45, under the threshold 0.5, so the linkage misses them and the draws join some.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.estimation import estimate
from darkfigure.linkage.combine import corrected_persons
from darkfigure.linkage.uncertainty import LinkRun
from synthetic_pairs import true_pairs, write_link_folder


@pytest.fixture(scope="module")
def missed_run():
    """A LinkRun whose linkage misses half the true pairs (p 0.45 under the threshold 0.5)."""
    tp = true_pairs(7, 1500, 150, sex=lambda s: s.astype(str).str[0].str.lower())
    rng = np.random.default_rng(3)
    p_true = np.where(rng.random(tp.left.size) < 0.5, 0.9, 0.45)
    pairs = pd.DataFrame({"record_l": np.r_[tp.left, tp.false_l], "record_r": np.r_[tp.right, tp.false_r],
                          "match_probability": np.r_[p_true, np.full(tp.false_l.size, 0.3)]})
    return LinkRun(tp.records, pairs, 0.5)


def test_corrected_persons_follow_the_rule_of_nhat():
    draws = np.array([[90.0, 40.0], [94.0, 44.0]])  # mean persons 92 (total), 42 (a subgroup)
    n = np.array([100.0, 50.0])
    below, above = (np.array([180.0, 80.0]), np.array([200.0, 90.0])), (np.array([220.0, 95.0]),
                                                                           np.array([200.0, 90.0]))
    # toward: the draws' persons exactly when the draws' N̂ was used (the side of the total), else as linked
    assert corrected_persons(draws, n, *below, "toward") == pytest.approx([92.0, 42.0])
    assert corrected_persons(draws, n, *above, "toward") == pytest.approx([100.0, 50.0])
    # bias: n - (m - n), on either side; mixed as its branch; mean: the draws' mean
    for side in (below, above):
        assert corrected_persons(draws, n, *side, "bias") == pytest.approx([108.0, 58.0])
        assert corrected_persons(draws, n, *side, "mean") == pytest.approx([92.0, 42.0])
    assert corrected_persons(draws, n, *below, "mixed") == pytest.approx([92.0, 42.0])
    assert corrected_persons(draws, n, *above, "mixed") == pytest.approx([108.0, 58.0])
    # a cell no draw has keeps its as-linked persons
    assert corrected_persons(np.array([[90.0, np.nan]]), n, *below, "toward") == pytest.approx([90.0, 50.0])
    with pytest.raises(ValueError, match="correction must be one of"):
        corrected_persons(draws, n, *below, "median")


def test_dark_figure_is_corrected_nhat_minus_corrected_persons(missed_run, tmp_path):
    h = missed_run.histories().collapse(["sex"]).drop_incomplete()
    e = estimate(h, linkage_run=missed_run, search="none", ci="parametric", reps=100, seed=4, linkage_draws=6,
                 linkage_reps=20, n_jobs=1, missing="drop")
    lk = e.linkage
    # the draws join what the linkage missed: fewer persons and a lower N̂, so "toward" takes the draws' mean
    assert lk.nhat_corrected < lk.nhat_as_linked
    assert lk.persons_drawn < lk.persons_as_linked
    assert lk.persons_corrected == pytest.approx(lk.persons_drawn)
    assert e.dark_figure == pytest.approx(lk.nhat_corrected - lk.persons_corrected)
    assert e.n_observed == lk.persons_as_linked  # n_observed stays as linked
    d = e.to_dict()
    assert d["dark_figure"] == pytest.approx(d["nhat"] - d["linkage"]["persons_corrected"])
    assert d["data"]["observed"] == lk.persons_as_linked
    t = e.estimates_to_write()
    # every row: dark figure = N̂ corrected - persons corrected, from the same draws
    assert (t["observed_corrected"] < t["observed"]).all()
    assert np.allclose(t["dark_figure"], t["nhat"] - t["observed_corrected"])
    assert np.allclose(t["dark_figure_lower"], t["lower"] - t["observed_corrected"])
    sex = t[t["group"] == "sex"]
    assert sex["observed_corrected"].sum() == pytest.approx(t.loc[0, "observed_corrected"])
    # the report's summary tile says the same figure
    e.write(tmp_path / "o")
    from darkfigure.report import build_report

    html = " ".join(build_report(tmp_path / "o").read_text(encoding="utf-8").split())
    dark = re.search(r'id="headline-dark">([^<]*)<', html).group(1)
    assert dark == f"{e.dark_figure:,.0f}"
    assert f"persons observed {lk.persons_corrected:,.0f} as corrected for linkage, {lk.persons_as_linked:,} as linked" in html


def test_printed_dark_figure_and_averaged_line_say_their_linkage(missed_run, tmp_path):
    folder = write_link_folder(missed_run, tmp_path / "lk")
    out = tmp_path / "est"
    r = CliRunner().invoke(app, ["estimate", str(folder), "--covariates", "", "--reps", "100", "--seed", "2",
                                 "--linkage-draws", "6", "--out", str(out)], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    res = json.loads((out / "result.json").read_text())
    lk = res["linkage"]
    assert lk["persons_corrected"] < lk["persons_as_linked"]
    assert res["dark_figure"] == pytest.approx(res["nhat"] - lk["persons_corrected"])
    flat = " ".join(r.output.split())
    visible = f"{lk['persons_corrected'] / res['nhat']:.0%}"
    assert (f"dark figure {res['dark_figure']:,.0f} never registered ({visible} visible; persons observed "
            f"{lk['persons_corrected']:,.0f} as corrected for linkage, {lk['persons_as_linked']:,} as linked)") in flat
    if res.get("averaging") and len(res["averaging"]["models"]) > 1:  # the model average: which linkage it is on
        assert f"corrected for linkage error; as linked {lk['nhat_as_linked']:,.0f}: the headline figure" in flat


def test_api_result_subtracts_the_corrected_persons(missed_run, tmp_path):
    import darkfigure as dfg

    folder = write_link_folder(missed_run, tmp_path / "lk")
    r = dfg.estimate(folder, covariates=[], search="cruyff", ci="parametric", reps=100, seed=1, linkage_draws=4,
                     linkage_reps=0, n_jobs=1)
    lk = r.raw.linkage
    assert lk.persons_corrected < lk.persons_as_linked
    assert r.dark_figure == pytest.approx(r.nhat - lk.persons_corrected)
    assert r.summary.loc[0, "dark_figure"] == pytest.approx(r.nhat - lk.persons_corrected)
    assert r.to_frame().loc[0, "dark_figure"] == pytest.approx(r.nhat - lk.persons_corrected)
    flat = " ".join(str(r).split())
    assert (f"dark figure {r.dark_figure:,.0f} (N̂ corrected minus the persons observed {lk.persons_corrected:,.0f} "
            f"as corrected for linkage, {lk.persons_as_linked:,} as linked)") in flat
    assert f"{lk.persons_corrected:,.0f} corrected by the same rule as N̂" in flat


def test_monitor_rows_use_the_corrected_persons(tmp_path):
    from shifted_runs import shifted_monitor

    res = shifted_monitor()
    t, lk = res.table, res.estimate.linkage
    assert lk.persons_corrected < lk.persons_as_linked  # the draws join what the linkage missed
    total = t[(t["group"] == "total") & (t["year"].astype(str) == "")].iloc[0]
    assert total["observed_corrected"] == pytest.approx(lk.persons_corrected)
    assert total["observed"] == lk.persons_as_linked
    assert np.allclose(t["visibility"], np.minimum(t["observed_corrected"] / t["nhat"], 1.0), equal_nan=True)
    # rows published as the draws give them: the persons corrected over the limits; widened or shifted rows take
    # each limit over the persons of its own linkage (test_monitor_linkage_shift)
    own = ~(t["interval_widened"].fillna(False).astype(bool) | t["interval_shifted"].fillna(False).astype(bool))
    assert np.allclose(t.loc[own, "visibility_lower"],
                       np.minimum(t.loc[own, "observed_corrected"] / t.loc[own, "upper"], 1.0), equal_nan=True)
    ok = t["visibility"].notna()
    assert (t.loc[ok, "visibility_lower"] <= t.loc[ok, "visibility"] + 1e-12).all()
    assert (t.loc[ok, "visibility"] <= t.loc[ok, "visibility_upper"] + 1e-12).all()
    f = res.to_frame()
    assert np.allclose(f["dark_figure"], f["nhat"] - f["observed_corrected"], equal_nan=True)
    res.write(tmp_path / "m")
    pub = pd.read_csv(tmp_path / "m" / "monitor_published.csv", keep_default_na=False)
    assert "observed_corrected" not in pub.columns  # working figures stay out of the published table
