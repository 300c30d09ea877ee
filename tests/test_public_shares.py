"""Shares on the public page rounded once from the stored value (tester report 10, F9; 12b, M2)."""

from __future__ import annotations

import math

import numpy as np

from darkfigure.report.public_context import _Ctx
from darkfigure.report.public_rounding import _round


def _ctx(lang: str = "en") -> _Ctx:
    return _Ctx(lang=lang, _=lambda s: s, labels=None, threshold=10)


def test_tester_10_visibility_agrees_with_the_published_table():
    # monitor of `simulate dutch_like --seed 1`: 10,139 registered, N̂ 29,086 (26,598-31,820);
    # monitor_published.csv: 0.349, 0.319, 0.381; the page said "35% (31%-39%)"
    obs, n, lo, hi = 10139.0, 29086.0, 26598.0, 31820.0
    f = _ctx().pct(obs / n, obs / hi, obs / lo)
    assert (f.text, f.lower_text, f.upper_text) == ("35", "32", "38")
    g = _ctx("nl").pct(obs / n, obs / hi, obs / lo)
    assert (g.text, g.lower_text, g.upper_text) == ("35", "32", "38")


def test_tester_12b_share_is_rounded_once_as_the_terminal_does():
    # monitor.csv: adult 0.33476 (the terminal 33%); rounded to 0.335 first, the page said 34%
    f = _ctx().pct(0.33476, 0.30521, 0.36812)
    assert f.text == f"{100 * 0.33476:.0f}" == "33"
    # the analyst report's publication table shows monitor_published.csv's 0.335 as 33.5%, not 34%
    import pandas as pd

    from darkfigure.report.sections_monitor import _published_view

    p = pd.DataFrame({"group": ["age"], "level": ["adult"], "year": [""], "observed": ["3348"], "nhat": ["10001"],
                      "lower": ["9095"], "upper": ["10970"], "visibility": ["0.335"],
                      "visibility_lower": ["0.305"], "visibility_upper": ["0.368"]})
    v = _published_view(p)
    assert (v["visible"].iloc[0], v["visible interval"].iloc[0]) == ("33.5%", "30.5%–36.8%")


def test_shares_are_the_stored_value_rounded_once_to_the_page_unit():
    rng = np.random.default_rng(5)
    c = _ctx()
    for _ in range(3000):
        v = float(rng.uniform(0.01, 0.95))
        a, b = v * float(rng.uniform(0.5, 0.999)), min(1.0, v * float(rng.uniform(1.001, 1.6)))
        f = c.pct(v, a, b)
        e = round(math.log10(f.unit))
        for x, shown in ((v, f.value), (a, f.lower), (b, f.upper)):
            assert math.isclose(_round(100 * x, e), shown, abs_tol=1e-9), (x, f)  # once, from the stored share
