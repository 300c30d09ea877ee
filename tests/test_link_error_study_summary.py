"""The uncertainty study compares estimated link errors with the true counts of the same pairs."""

import sys
from pathlib import Path

import pandas as pd
import pytest


def test_error_count_summary_sets_like_against_like():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from linkage_uncertainty_study import _error_count_summary

    # estimate 12 missed links, 4 of them matches never compared: 8 against the 8 missed among the compared
    # pairs, 12 against the 12 missed in all; false links against every false pair in one found person (10)
    g = pd.DataFrame({"false_links_est": [10.0], "false_links_true": [6], "false_links_true_all": [10],
                      "missed_links_est": [12.0], "unblocked_est": [4.0],
                      "missed_links_true_compared": [8], "missed_links_true_all": [12]})
    s = _error_count_summary(g)
    assert s["missed est/true compared"] == pytest.approx(1.0)
    assert s["missed est/true all"] == pytest.approx(1.0)
    assert s["false est/true"] == pytest.approx(1.0)
    assert s["false within 25%"] == 1 and s["missed within 25% (compared)"] == 1
    assert s["missed within 25% (all)"] == 1
    # an estimate 1.5 times the truth is outside 25 %
    s2 = _error_count_summary(g.assign(missed_links_est=18.0, unblocked_est=0.0))
    assert s2["missed within 25% (all)"] == 0 and s2["missed est/true all"] == pytest.approx(1.5)
