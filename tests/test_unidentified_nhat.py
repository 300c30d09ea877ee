"""The house rule: an N̂ the data cannot identify (far above the observed, no profile upper limit) is said, never
published as an estimate (tester report 4, M7)."""

import pandas as pd
import pytest

from darkfigure.estimation import estimate
from darkfigure.pipeline.checks import MAX_RATIO, unidentified_reason


def _absurd(overlap: int = 1) -> pd.DataFrame:
    """Three lists of ~1,000 that share `overlap` persons pairwise: the independence MLE is ~1e6 / overlap."""
    return pd.DataFrame({"A": [1, 0, 1, 0, 1, 0], "B": [0, 1, 1, 0, 0, 1], "C": [0, 0, 0, 1, 1, 1],
                         "count": [1000, 1000, overlap, 1000, overlap, overlap]})


def test_reason_fires_above_max_ratio_and_on_an_unbounded_profile():
    assert unidentified_reason(101 * 50, 6000, 50, ci_method="parametric") is not None
    assert unidentified_reason(99 * 50, 6000, 50, ci_method="parametric") is None
    assert "no finite upper limit" in unidentified_reason(500, float("inf"), 50, ci_method="profile")
    # a bootstrap's infinite end is said by the wide-interval rules, not as a proof
    assert unidentified_reason(500, float("inf"), 50, ci_method="parametric") is None


def test_estimate_says_n_is_not_identified_and_publish_refuses():
    res = estimate(_absurd(), lists=["A", "B", "C"], ci="profile", assumption_range=None)
    assert res.nhat > MAX_RATIO * res.n_observed  # the fit itself: ~1e6 for 3,003 observed
    assert any(w.startswith("N is not identified by these data") for w in res.warnings)
    p = res.to_publish()
    assert p["rules"] == ["not-identified"] and not p["publish_interval"] and p["high"] is None
    assert p["statement"].startswith("Do not publish N̂") and "do not identify N" in p["statement"]
    assert p["low"] == pytest.approx(res.lower)


def test_a_well_identified_estimate_is_not_touched():
    # with persons on all three lists: without them the model fits the unseen cell as 0 (N̂ = n: not identified
    # since tester 12b, L2)
    t = pd.concat([_absurd(overlap=300), pd.DataFrame({"A": [1], "B": [1], "C": [1], "count": [100]})])
    res = estimate(t, lists=["A", "B", "C"], ci="profile", assumption_range=None)
    assert res.nhat < 10 * res.n_observed
    assert not any("not identified by these data" in w for w in res.warnings)
    assert res.to_publish()["rules"] != ["not-identified"]


def test_cli_shows_it_prominently_and_exits_3(cli, tmp_path):
    f = tmp_path / "absurd.csv"
    _absurd().to_csv(f, index=False)
    out = cli(["estimate", f, "--ci", "profile", "--assumption-range", "off"], code=3,
              says=["not identified by these data", "is not an estimate", "Do not publish N̂"])
    # no dark figure nor upper limit printed as numbers for an N̂ that is not an estimate (tester report 7, 17)
    assert "visible)" not in out and "never registered" not in out and "not identified (at least" in out


def test_compare_exits_3_like_estimate_when_nothing_is_estimated(cli, tmp_path):
    # tester report 4, M2: lists that share nobody -> no method identifies N -> exit 3, as `estimate`
    f = tmp_path / "shareno.csv"
    pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1], "count": [10, 12, 8]}).to_csv(f, index=False)
    cli(["estimate", f], code=3)
    cli(["compare", f, "--methods", "loglinear-bic,Mt", "--reps", "50", "--no-validation"], code=3,
        says=["No method gives an identified estimate"])


def test_compare_exits_0_with_a_range(cli, tmp_path):
    f = tmp_path / "ok.csv"
    _absurd(overlap=300).to_csv(f, index=False)
    cli(["compare", f, "--methods", "Mt", "--no-validation"], code=0, says=["headline:"])


def test_the_report_explains_the_warning_as_not_identified():
    from darkfigure.report.explain import explain

    res = estimate(_absurd(), lists=["A", "B", "C"], ci="profile", assumption_range=None)
    said = [w for w in res.warnings if w.startswith("N is not identified by these data")]
    assert said and explain(said[0]).key == "not-identified"
