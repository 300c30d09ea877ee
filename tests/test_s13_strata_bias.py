"""The strata total's bias correction is said in print and the warnings (tester 13b, M8)."""

from __future__ import annotations

import pytest

import darkfigure as dfg
from darkfigure.datasets import load_frame


@pytest.fixture(scope="module")
def runs():
    """cruyff_simdat by year, corrected (the default) and plain (total_bias='report')."""
    frame = load_frame("cruyff_simdat")
    return (dfg.estimate_strata(frame, by="Y", seed=1, reps=200),
            dfg.estimate_strata(frame, by="Y", seed=1, reps=200, total_bias="report"))


def test_print_states_the_correction_and_how_to_get_the_plain_sum(runs) -> None:
    s, _ = runs
    t = s.totals.iloc[0]
    text = str(s)
    assert f"bias-corrected by {-t['bootstrap_bias']:+,.0f}" in text
    assert f"{t['nhat_uncorrected']:,.0f}" in text and "total_bias='report'" in text


def test_a_large_correction_is_warned_about(runs) -> None:
    s, plain = runs
    t = s.totals.iloc[0]
    big = abs(t["bootstrap_bias"]) > 0.10 * t["nhat_uncorrected"] or t["lower"] <= t["observed"] + 0.5
    said = [w for w in s.warnings if "bias-corrected" in w]
    assert bool(said) == bool(big)
    assert big, "the fixture was chosen for a large correction (tester 13b: 20%)"
    assert "total_bias='report'" in said[0]
    assert not any("bias-corrected" in w for w in plain.warnings)
    assert "bias-corrected" not in str(plain)
    assert plain.totals.iloc[0]["nhat"] == pytest.approx(t["nhat_uncorrected"], rel=1e-9)
