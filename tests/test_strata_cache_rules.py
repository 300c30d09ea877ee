"""The strata cache key holds :data:`darkfigure.strata.cache.RULES`, so a rule change recomputes every unit.

Keys by content, method, settings, seed and version alone kept serving results computed before a rule change made
between commits of one version (e.g. LCMCR's not-identified rule, tester report 10).
"""

from __future__ import annotations

import numpy as np

from darkfigure.strata import cache as cache_mod
from darkfigure.strata import estimate_strata, simulate_strata


def _key() -> str:
    cells = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.int8)
    return cache_mod.unit_key(["A", "B"], cells, np.array([10, 12, 3]), "loglinear", {"reps": 5}, 1, "1.0")


def test_the_key_depends_on_the_rules(monkeypatch):
    assert cache_mod.RULES >= 2  # bumped for the LCMCR not-identified rule
    before = _key()
    assert _key() == before  # deterministic
    monkeypatch.setattr(cache_mod, "RULES", cache_mod.RULES + 1)
    assert _key() != before


def test_a_rules_bump_recomputes_every_cached_unit(tmp_path, monkeypatch):
    persons = simulate_strata(2, 2, seed=5).persons
    kw = dict(by="region,period", reps=30, seed=1, n_jobs=1, search="none", cache=tmp_path / "c")
    a = estimate_strata(persons, **kw)
    assert estimate_strata(persons, **kw).counts["computed"] == 0
    monkeypatch.setattr(cache_mod, "RULES", cache_mod.RULES + 1)
    b = estimate_strata(persons, **kw)
    assert b.counts["from_cache"] == 0 and b.counts["computed"] == a.counts["computed"] > 0
