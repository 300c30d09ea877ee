"""The heterogeneity check's power is printed so that it agrees with the 50% rule (review s17, item 7).

A power of 0.4996 was printed "50%" beside "not detected (power 50% …)", which the rule "below 50%" contradicts.
"""

from __future__ import annotations

import pytest

from darkfigure.diagnostics import LOW_POWER, Check, unflagged_state
from darkfigure.diagnostics_heterogeneity import power_text


@pytest.mark.parametrize("power", [0.4996, 0.49951, 0.499999, 0.4951])
def test_power_below_the_threshold_never_prints_as_it(power):
    said = power_text(power)
    assert float(said.rstrip("%")) / 100 < LOW_POWER
    assert abs(float(said.rstrip("%")) / 100 - power) < 0.005
    state = unflagged_state("heterogeneity", {"power_hard_to_reach": power})
    assert state == f"not detected (the test would detect a 30% hard-to-reach group only {said} of the time: its power)"
    assert "power 50%" not in state


@pytest.mark.parametrize("power, want", [(0.08, "8%"), (0.49, "49%"), (0.5, "50%"), (0.5004, "50%"), (0.9, "90%")])
def test_whole_percent_where_rounding_keeps_the_side(power, want):
    assert power_text(power) == want


def test_check_name_says_the_same_figure():
    c = Check("heterogeneity", 0.1, False, "heterogeneity: …", "z_heterogeneity",
              details={"power_hard_to_reach": 0.4996})
    assert "(the test would detect a 30% hard-to-reach group 49.96% of the time: its power)" in c.label


def test_power_just_below_the_threshold_is_cut_not_rounded_up():
    """Review s17 (L7): 0.4999996 printed "50.0000%" beside "not detected"."""
    from darkfigure.diagnostics_heterogeneity import power_text

    assert power_text(0.4999996) == "49.9999%"
