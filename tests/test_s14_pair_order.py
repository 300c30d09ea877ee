"""Tester 14a L1: the scored pairs come back from DuckDB in an order that varies between runs; link sorts them, so
the date-masked calibration (and every match probability) is the same whatever that order. Synthetic data only."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import darkfigure.linkage.link  # noqa: F401 - the module (darkfigure.linkage.link is the function)
from darkfigure.linkage import simulate_registrations
from darkfigure.linkage._reproducible import in_pair_order

LINK = sys.modules["darkfigure.linkage.link"]


def test_pairs_sorted_by_left_then_right():
    left, right = np.array([3, 0, 0, 2]), np.array([4, 5, 1, 3])
    q = np.array([0.1, 0.2, 0.3, 0.4])
    (l2, r2, q2), lam = in_pair_order((left, right, q), 0.01)
    assert l2.tolist() == [0, 0, 2, 3] and r2.tolist() == [1, 5, 3, 4] and q2.tolist() == [0.3, 0.2, 0.4, 0.1]
    assert lam == 0.01
    done = (l2, r2, q2)
    assert in_pair_order(done, 0.01)[0] is done  # already in order: the same arrays


@pytest.mark.slow
def test_link_gives_the_same_probabilities_whatever_order_the_engine_returns(monkeypatch):
    files = list(simulate_registrations("clearing_house", seed=5, scale=0.05).files().values())
    opts = {"seed": 0, "weights": False, "max_pairs": 1e5}
    first = LINK.link(files, **opts).pairs
    real = LINK._edges

    def shuffled(*args, **kwargs):
        """The engine's pairs with their second half first (as DuckDB's threads may hand them over)."""
        (a, b, q), lam = real(*args, **kwargs)
        o = np.r_[np.arange(a.size // 2, a.size), np.arange(a.size // 2)]
        return (a[o], b[o], q[o]), lam

    monkeypatch.setattr(LINK, "_edges", shuffled)
    again = LINK.link(files, **opts).pairs
    x = first.sort_values(["record_l", "record_r"]).reset_index(drop=True)
    y = again.sort_values(["record_l", "record_r"]).reset_index(drop=True)
    assert x[["record_l", "record_r"]].equals(y[["record_l", "record_r"]])
    assert np.array_equal(x["match_probability"].to_numpy(), y["match_probability"].to_numpy())
    assert len(x) > 100 and not pytest.approx(0) == x["match_probability"].sum()
