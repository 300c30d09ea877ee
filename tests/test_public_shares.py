"""Shares on the public page read as ``monitor_published.csv`` gives them (tester report 10, F9)."""

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


def test_shares_are_the_published_table_rounded_to_the_page_unit():
    rng = np.random.default_rng(5)
    c = _ctx()
    for _ in range(3000):
        v = float(rng.uniform(0.01, 0.95))
        a, b = v * float(rng.uniform(0.5, 0.999)), min(1.0, v * float(rng.uniform(1.001, 1.6)))
        f = c.pct(v, a, b)
        e = round(math.log10(f.unit))
        for x, shown in ((v, f.value), (a, f.lower), (b, f.upper)):
            published = float(f"{x:.3f}") * 100  # as monitor_published.csv writes the share, in percent
            assert math.isclose(_round(published, e), shown, abs_tol=1e-9), (x, f)
