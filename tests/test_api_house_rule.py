"""The estimator objects apply the house rule of ``darkfigure estimate`` and ``compare`` (tester report 10, F4 follow-up).

``dfg.Heterogeneity('M0').fit(lp1)`` gave N̂ 1,002,001 with status ok for 2,001 persons observed, which
``estimate`` calls not identified and ``compare`` keeps out of its ``nhat`` column. Every API estimator now gives N̂
NaN, status ``not identified``, the reason as first warning and the model's number in ``nhat_not_identified``.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.pipeline import checks

#: 2 lists sharing 1 person in 2,001: every model's N̂ is about 1,002,001, 501 times the observed (tester 10's lp1.csv)
LP1 = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "Freq": [1000, 1000, 1]})
N_LP1 = 2001


def _not_identified(r, ratio_in_warning: bool = True) -> None:
    """Assert the marks of a result the house rule calls not identified."""
    assert math.isnan(r.nhat) and math.isnan(r.dark_figure)
    assert r.result_.status == "not identified"
    assert r.nhat_not_identified > checks.MAX_RATIO * N_LP1
    assert r.warnings[0].startswith("N is not identified by these data")
    if ratio_in_warning:
        assert f"{r.nhat_not_identified / N_LP1:,.0f} times the {N_LP1:,} persons observed" in r.warnings[0]
    s = r.summary.iloc[0]
    assert math.isnan(s["nhat"]) and s["nhat_not_identified"] == pytest.approx(r.nhat_not_identified)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["nhat"] is None and d["status"] == "not identified"
    assert d["nhat_not_identified"] == pytest.approx(r.nhat_not_identified)


@pytest.mark.parametrize("model", ["M0", "Mt"])
def test_heterogeneity_on_lists_that_barely_overlap_is_not_identified(model):
    r = dfg.Heterogeneity(model).fit(LP1)
    _not_identified(r)
    # the profile interval is kept: its lower limit is what may be published, and the warning says so
    lo, hi = r.confidence_interval
    assert N_LP1 < lo < r.nhat_not_identified and math.isinf(hi)
    assert f"at least {lo:,.0f} persons" in r.warnings[0]
    # compare's row says the same number is not an estimate
    row = dfg.compare(LP1, methods=[model], seed=1, headline=False).table.set_index("method").loc[model]
    assert row["nhat_not_identified"] == pytest.approx(r.nhat_not_identified, rel=1e-6)


def test_the_rule_is_estimates_threshold_not_a_copy(monkeypatch):
    # without an interval only the ratio rule can apply; raising estimate's threshold lets the N̂ through
    _not_identified(dfg.Heterogeneity("M0", interval=False).fit(LP1))
    monkeypatch.setattr(checks, "MAX_RATIO", 1000.0)
    r = dfg.Heterogeneity("M0", interval=False).fit(LP1)
    assert r.result_.status == "ok" and r.nhat > 500 * N_LP1 and math.isnan(r.nhat_not_identified)


def test_a_list_that_registered_everyone_is_not_identified_and_no_mle_gives_no_nhat():
    full = pd.DataFrame({"A": [1, 1], "B": [0, 1], "Freq": [100, 50]})
    m0 = dfg.Heterogeneity("M0").fit(full)
    assert m0.result_.status == "not identified" and math.isnan(m0.nhat)
    assert "'A' registered every observed person" in m0.warnings[0] and math.isfinite(m0.nhat_not_identified)
    # Mt's MLE does not exist here (boundary): its N̂ is no estimate either, as compare.csv says
    mt = dfg.Heterogeneity("Mt").fit(full)
    assert mt.result_.status == "no MLE: boundary" and math.isnan(mt.nhat) and math.isfinite(mt.nhat_not_identified)
    assert any("not an estimate" in w for w in mt.warnings)


def test_loglinear_keeps_the_number_in_nhat_not_identified_and_says_why_first():
    r = dfg.LogLinear(seed=1, reps=100).fit(LP1)
    _not_identified(r)
    assert r.nhat_not_identified == pytest.approx(r.result_.raw.nhat)


@pytest.mark.parametrize("cls", [dfg.Downhill, dfg.BICExhaustive])
def test_selection_bootstraps_are_not_identified(cls):
    _not_identified(cls(seed=1, reps=50).fit(LP1))


def test_identified_data_are_untouched():
    for model in ("M0", "Mt", "Mh-chao"):
        r = dfg.Heterogeneity(model).fit("kosovo_1999")
        assert r.result_.status == "ok" and math.isfinite(r.nhat) and math.isnan(r.nhat_not_identified)
        assert not any(w.startswith("N is not identified") for w in r.warnings)
