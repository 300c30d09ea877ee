"""'To publish' never leads with a bare "Publish N̂ with its interval" when the heterogeneity check is weak, and says
when the interval is conditional on a chosen model (tester report 13a, F1 and F3).

The data are the tester's synthetic populations: c1 population 8 (5 independent lists, 30% of persons hard to reach
on every list, N = 2,000; the default interval 1,395–1,662 missed) and the bundled ``cruyff_simdat``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from darkfigure.datasets import load
from darkfigure.estimation import estimate
from darkfigure.monitoring.core import monitor
from darkfigure.publish import LOW_POWER

DATA = Path(__file__).parent / "data" / "c1_twoclass5_pop008.csv"


@pytest.fixture(scope="module")
def c1():
    """The tester's c1 population 8 as an aggregated table."""
    return pd.read_csv(DATA)


def _weak(e) -> bool:
    """The heterogeneity check ran, did not flag, and has power below LOW_POWER."""
    het = next(c for c in e.checks if c.name == "heterogeneity")
    return (not het.flagged) and het.details["power_hard_to_reach"] < LOW_POWER


def test_weak_check_publishes_the_sensitivity_range(c1):
    """Low power: the statement leads with N̂ and the sensitivity range, which becomes low/high (was "Publish …")."""
    e = estimate(c1, count="count", seed=1008, n_jobs=1)
    assert _weak(e) and not any(c.flagged for c in e.checks)
    p = e.to_publish()
    assert p["rules"] == ["agree", "heterogeneity-low-power", "sensitivity-range"]
    assert not p["publish_interval"]
    assert not p["statement"].startswith(f"Publish N̂ {e.nhat:,.0f} with its interval {e.lower:,.0f}–{e.upper:,.0f}:")
    conf = e.identifying.bounds["confidence"]
    assert p["low"] == pytest.approx(min(conf[0], e.lower)) and p["high"] == pytest.approx(max(conf[1], e.upper))
    assert p["low"] <= e.lower and p["high"] >= e.upper and p["high"] - p["low"] > e.upper - e.lower
    assert f"only together with the sensitivity range {p['low']:,.0f}–{p['high']:,.0f}" in p["statement"]
    assert "would detect a hard-to-reach 30% of persons" in p["statement"] and "of the time (its power)" in p["statement"]


def test_weak_check_without_the_sensitivity_says_the_interval_needs_equal_catchability(c1):
    """With --assumption-range off there are no bounds: the interval stays, qualified, never a bare "Publish"."""
    e = estimate(c1, count="count", seed=1008, n_jobs=1, assumption_range=None)
    assert e.identifying is None and _weak(e)
    p = e.to_publish()
    assert p["rules"] == ["agree", "heterogeneity-low-power"] and not p["publish_interval"]
    assert p["low"] == pytest.approx(e.lower) and p["high"] == pytest.approx(e.upper)
    assert "only with the caveat that the interval holds only if persons are equally likely" in p["statement"]


def test_conditional_interval_after_a_search_is_a_caveat(c1):
    """--search cruyff --ci parametric: 'conditional-interval' caveat; a model given by name or the average: none."""
    e = estimate(c1, count="count", seed=1, n_jobs=1, search="cruyff", ci="parametric", reps=100,
                 assumption_range=None)
    assert e.conditional is True and len(e.search.fits) > 1
    p = e.to_publish()
    assert "conditional-interval" in p["rules"] and not p["publish_interval"]
    assert "leaves out the uncertainty of that choice" in p["statement"]
    fixed = estimate(c1, count="count", seed=1, n_jobs=1, model="A:B", ci="parametric", reps=100)
    assert "conditional-interval" not in fixed.to_publish()["rules"]
    avg = estimate(c1, count="count", seed=1, n_jobs=1, reps=100)
    assert avg.conditional is False and "conditional-interval" not in avg.to_publish()["rules"]


def test_monitor_parametric_publish_line_has_the_caveat():
    """The monitor's published form (Cruyff's search, parametric bootstrap) carries the caveat (F3)."""
    m = monitor(load("cruyff_simdat"), year="Y", ci="parametric", reps=20, seed=1)
    assert m.estimate.conditional is True
    p = m.estimate.to_publish()
    assert np.isfinite(m.estimate.upper) and p["rules"][0] == "agree"
    assert "conditional-interval" in p["rules"] and not p["publish_interval"]
    e = m.estimate
    assert not p["statement"].startswith(f"Publish N̂ {e.nhat:,.0f} with its interval {e.lower:,.0f}–{e.upper:,.0f}:")
    assert "leaves out the uncertainty of that choice" in p["statement"]


@pytest.mark.parametrize("bounds", [True, False])
def test_weak_check_does_not_hide_a_too_narrow_interval(c1, bounds):
    """Review: the low-power branch came before the 'interval too narrow' one, which was then never said."""
    from dataclasses import replace

    kw = {} if bounds else {"assumption_range": None}
    e = estimate(c1, count="count", seed=1008, n_jobs=1, **kw)
    assert _weak(e)
    n = e.bootstrap.n_replicates
    e.bootstrap = replace(e.bootstrap, status_counts={**(e.bootstrap.status_counts or {}), "not identified": 7})
    p = e.to_publish()
    s = p["statement"]
    narrow = f"too narrow: 7 of {n:,} bootstrap replicates gave no finite N̂"
    assert narrow in s and "heterogeneity-low-power" in p["rules"] and "failed-replicates" in p["rules"]
    if bounds:  # the sensitivity range (which replaces the interval) first, the too-narrow interval after
        assert s.index("only together with the sensitivity range") < s.index(narrow)
    else:  # no range: the interval's known fault first, then the equal-catchability condition
        assert s.startswith(f"Its interval {e.lower:,.0f}–{e.upper:,.0f} is {narrow}")
        assert s.index(narrow) < s.index("holds only if persons are equally likely")
