"""The "to publish" caveat names bootstrap replicates whose existence check failed (status "existence check failed").

They count as unbounded at the top of the interval, as replicates without a finite N̂ do
(:meth:`darkfigure.loglinear.bootstrap.Bootstrap.describe_failures`), so the statement must say so too.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from darkfigure.datasets import load
from darkfigure.diagnostics import Check
from darkfigure.publish import publish_statement

CHECKS = [Check("goodness_of_fit", 0.5, False, ""), Check("heterogeneity", 0.5, False, "")]


def _fake(counts: dict, reps: int = 50) -> SimpleNamespace:
    """An estimate of hiv_rome with an agreeing interval and a bootstrap with these status counts."""
    return SimpleNamespace(histories=load("hiv_rome"), checks=CHECKS, nhat=5000.0, lower=4500.0, upper=5600.0,
                           fit=SimpleNamespace(identified=True),
                           bootstrap=SimpleNamespace(status_counts=counts, n_replicates=reps))


def test_unclassified_replicates_alone_are_a_caveat():
    p = publish_statement(_fake({"existence check failed": 3, "ok": 47}))
    assert p["rules"] == ["agree", "failed-replicates"] and not p["publish_interval"]
    s = p["statement"]
    assert "3 of 50 bootstrap replicates could not be classified" in s and "existence check failed" in s
    assert "count as unbounded at the top of the interval" in s and "no finite N̂" not in s


def test_unclassified_and_unbounded_replicates_are_both_said():
    p = publish_statement(_fake({"not identified": 13, "existence check failed": 2, "ok": 35}))
    s = p["statement"]
    assert p["rules"].count("failed-replicates") == 1
    assert "13 of 50 bootstrap replicates gave no finite N̂" in s and "2 of 50 replicates could not be classified" in s


@pytest.mark.parametrize("counts", [{"ok": 50}, {"extended": 4, "ok": 46}])
def test_no_caveat_without_such_replicates(counts):
    p = publish_statement(_fake(counts))
    assert "failed-replicates" not in p["rules"] and "could not be classified" not in p["statement"]
