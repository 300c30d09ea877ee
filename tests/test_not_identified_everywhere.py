"""A number the tool calls not identified is never published as an estimate (tester report 10, F1, F4, F15).

LCMCR refuses two lists and applies dga's rule (and the structural one: a list that shares nobody) in the
estimator, compare and strata; compare leaves a not-identified N̂ out of ``nhat``; a strata total says that it
covers the estimated strata only and bounds N over all strata from below.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.bayes._dga_core import BARELY_IDENTIFIED
from darkfigure.bayes._dga_core import unidentified_reason as dga_reason
from darkfigure.lcmcr_rules import isolated_lists, unidentified_reason
from darkfigure.strata import estimate_strata

SHORT = dict(burnin=300, samples=100, thinning=2, chains=2, seed=1)
NOSHARE3 = pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1], "Freq": [300, 250, 200]})
#: 2 lists that share 1 person in 2,001: N̂ = 1,002,001, 501 times the observed (tester 10's lp1.csv)
LP1 = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "Freq": [1000, 1000, 1]})


def test_lcmcr_estimator_refuses_two_lists_as_dga_does():
    two = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "Freq": [10, 10, 5]})
    with pytest.raises(ValueError, match="3 to 5 lists"):
        dfg.DGA().fit(two)
    with pytest.raises(ValueError, match=r"LCMCR needs at least 3 lists.*\(A, B\).*not identified from two lists"):
        dfg.LCMCR(**SHORT).fit(two)


def test_isolated_lists_and_the_rule_reuse_dgas_threshold():
    cells = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    counts = np.array([300, 250, 60, 200])
    assert isolated_lists(cells, counts, ["A", "B", "C"]) == ["C"]
    assert "C shares nobody" in unidentified_reason(cells, counts, ["A", "B", "C"], 1000.0)
    # every pair overlapping: only dga's rule applies, at dga's threshold
    cells = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1]])
    counts = np.array([50, 40, 30, 5, 6, 7])
    n = counts.sum()
    assert isolated_lists(cells, counts, ["A", "B", "C"]) == []
    assert unidentified_reason(cells, counts, ["A", "B", "C"], 0.9 * BARELY_IDENTIFIED * n) is None
    up = 1.1 * BARELY_IDENTIFIED * n
    assert unidentified_reason(cells, counts, ["A", "B", "C"], up) == dga_reason(n, up, False)
    assert unidentified_reason(cells, counts, ["A", "B", "C"], math.inf) is not None


def test_lcmcr_estimator_on_lists_that_share_nobody_gives_no_nhat():
    r = dfg.LCMCR(**SHORT).fit(NOSHARE3)
    assert math.isnan(r.nhat) and r.result_.status == "not identified"
    assert math.isnan(r.confidence_interval.low) and math.isnan(r.confidence_interval.high)
    assert r.warnings[0].startswith("N is not identified by these data") and "share nobody" in r.warnings[0]
    assert r.result_.raw is not None  # the posterior is kept


def test_compare_lcmcr_row_not_identified_in_table_and_results():
    c = dfg.compare(NOSHARE3, methods=["lcmcr"], seed=1, headline=False)
    row = c.table.set_index("method").loc["lcmcr"]
    assert row["status"] == "not identified" and math.isnan(row["nhat"]) and math.isnan(row["upper"])
    assert str(row["warnings"]).startswith("not identified: lists A, B, C share nobody")
    assert c["lcmcr"].status == "not identified" and math.isnan(c["lcmcr"].nhat)


def test_compare_moves_a_not_identified_nhat_out_of_the_nhat_column(tmp_path):
    c = dfg.compare(LP1, methods=["loglinear-bic", "M0", "downhill"], seed=1, reps=100)
    t = c.table.set_index("method")
    n = 2001
    for m in ("loglinear-bic", "M0", "downhill"):
        assert t.loc[m, "status"] == "not identified", m
        assert math.isnan(t.loc[m, "nhat"]), m
        assert t.loc[m, "nhat_not_identified"] > 100 * n, m
        assert str(t.loc[m, "warnings"]).startswith("not identified: N̂"), m
        assert c[m].status == "not identified" and math.isnan(c[m].nhat), m
    # the lower limit stays (it may be published) and sets the headline's "at least", whose interval is named
    assert np.isfinite(t.loc["loglinear-bic", "lower"]) and np.isinf(t.loc["loglinear-bic", "upper"])
    hl = c.headline
    assert hl.upper_open and hl.low == pytest.approx(min(t.loc["loglinear-bic", "lower"], t.loc["M0", "lower"]))
    assert any("profile-likelihood interval" in r for r in hl.reasons)
    assert not any(f"{t.loc['M0', 'nhat_not_identified']:,.0f}" in r for r in hl.reasons)
    # the forest plot draws no row without an estimate (and does not fail on them)
    files = dfg.comparison.forest_plot(c.table, tmp_path / "forest", observed=n)
    assert all(f.is_file() for f in files)


def test_estimate_names_the_interval_of_its_lower_limit():
    e = dfg.estimate(LP1, seed=1, reps=200)
    pub = e.to_publish()
    assert "not-identified" in pub["rules"]
    assert "lower end of this run's model-averaged parametric-bootstrap interval" in pub["statement"]


def _persons(rng, n_per, lists, overlap: bool) -> pd.DataFrame:
    """Synthetic persons on 3 lists: capture probability 0.4 each (overlapping), or each on exactly one list."""
    if overlap:
        x = rng.random((n_per, len(lists))) < 0.4
        x = x[x.any(axis=1)]
    else:
        x = np.eye(len(lists), dtype=bool)[rng.integers(0, len(lists), n_per)]
    return pd.DataFrame(x.astype(int), columns=lists)


def test_strata_lcmcr_stratum_whose_lists_share_nobody_is_not_identified(monkeypatch):
    from darkfigure.bayes import lcmcr

    # short chains: the not-converged rule (tests/test_s15_rv2_review.py) off, so that stratum a stays estimated
    monkeypatch.setattr(lcmcr, "not_converged_reason", lambda *a, **k: None)
    rng = np.random.default_rng(3)
    a = _persons(rng, 400, ["A", "B", "C"], True).assign(g="a")
    b = _persons(rng, 300, ["A", "B", "C"], False).assign(g="b")
    r = estimate_strata(pd.concat([a, b], ignore_index=True), by="g", method="lcmcr", burnin=200, samples=100,
                        thinning=2, chains=2, seed=1, n_jobs=1)
    m = r.table.set_index("g")
    assert m.loc["a", "status"] == "estimated"
    assert m.loc["b", "status"] == "not estimable" and "not identified" in m.loc["b", "reason"]
    assert "share nobody" in m.loc["b", "reason"] and math.isnan(m.loc["b", "nhat"])


def test_strata_total_says_what_it_covers_and_bounds_n_over_all_strata(tmp_path):
    rng = np.random.default_rng(4)
    a = _persons(rng, 600, ["A", "B", "C"], True).assign(g="a")
    b = _persons(rng, 200, ["A", "B", "C"], False).assign(g="b")
    r = estimate_strata(pd.concat([a, b], ignore_index=True), by="g", reps=100, seed=1, n_jobs=1)
    tot = r.totals.iloc[0]
    left = float(r.table.loc[r.table["status"] != "estimated", "observed"].sum())
    assert left == 200 and tot["observed_left_out"] == pytest.approx(left)
    assert tot["covers"] == "estimated strata only"
    assert tot["lower_all_strata"] == pytest.approx(tot["lower"] + left)
    assert any("covers the estimated stratum only" in w and f"{tot['lower'] + left:,.0f}" in w for w in r.warnings)
    assert "only" in str(r) and f"at least {tot['lower'] + left:,.0f}" in str(r)
    d = r.to_dict()
    assert d["total_covers"] == "estimated strata only" and d["lower_all_strata"] == pytest.approx(tot["lower"] + left)
    r.write(tmp_path / "o")
    back = pd.read_csv(tmp_path / "o" / "totals.csv")
    assert back.loc[0, "covers"] == "estimated strata only"
    # every stratum estimated: the total covers all strata and its lower limit is the one over all strata
    r2 = estimate_strata(a.assign(g=rng.choice(["x", "y"], len(a))), by="g", reps=100, seed=1, n_jobs=1)
    t2 = r2.totals.iloc[0]
    assert t2["covers"] == "all strata" and t2["lower_all_strata"] == pytest.approx(t2["lower"])
