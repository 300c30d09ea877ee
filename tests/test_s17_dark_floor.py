"""A dark figure is never negative (review s17, item 3): under the bias correction N̂ corrected can lie below the
persons observed corrected by the same rule; the dark figure is then 0 and a warning says what that means.

Synthetic registrations only (``synthetic_pairs``; true pairs scored 0.7, so the draws split many); no Splink.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from darkfigure.dark_floor import below_persons_warnings, floored_dark_figure
from darkfigure.linkage import uncertainty
from darkfigure.linkage.uncertainty import LinkRun, linkage_uncertainty, loglinear_refit
from synthetic_pairs import true_pairs


@pytest.fixture(scope="module")
def run():
    """800 persons; true pairs at 0.7: the draws split many, their mean N̂ far above N̂ as linked."""
    tp = true_pairs(3, 800, 50)
    return LinkRun(tp.records, tp.pairs(0.7, 0.02), 0.5)


def test_floored_dark_figure():
    assert floored_dark_figure(378.0, 407.0) == 0.0
    assert floored_dark_figure(500.0, 407.0) == pytest.approx(93.0)
    got = floored_dark_figure(np.array([378.0, np.nan, np.inf, 410.0]), np.array([407.0, 1.0, 1.0, 400.0]))
    assert got[0] == 0.0 and np.isnan(got[1]) and np.isinf(got[2]) and got[3] == pytest.approx(10.0)


def test_bias_rule_below_the_persons_is_warned(run):
    le = linkage_uncertainty(run, loglinear_refit([], [], reps=0), draws=6, seed=2, n_jobs=1, correction="bias")
    e = le.estimates
    assert le.nhat_corrected < le.persons_corrected  # the case
    said = [w for w in le.warnings if "lies below the" in w]
    assert len(said) == 1
    assert f"N̂ corrected ({le.nhat_corrected:,.0f}) lies below the {le.persons_corrected:,.0f} persons" in said[0]
    assert "dark figure is given as 0" in said[0] and "'toward'" in said[0]
    assert below_persons_warnings(e.assign(nhat=e["observed_corrected"] + 1), "bias") == []


def test_estimate_never_stores_or_prints_a_negative_dark_figure(run, monkeypatch):
    import darkfigure as dfg
    from darkfigure.estimation import estimate

    monkeypatch.setattr(uncertainty, "linkage_uncertainty",
                        functools.partial(uncertainty.linkage_uncertainty, correction="bias"))
    h = run.histories().collapse(["sex"])
    e = estimate(h, linkage_run=run, search="none", ci="parametric", reps=50, seed=1, linkage_draws=6,
                 linkage_reps=0, n_jobs=1, missing="drop")
    lk = e.linkage
    assert lk.correction == "bias" and lk.nhat_corrected < lk.persons_corrected
    assert e.dark_figure == 0.0
    t = e.estimates_to_write()
    for c in ("dark_figure", "dark_figure_lower", "dark_figure_upper"):
        v = t[c].to_numpy(float)
        assert (v[np.isfinite(v)] >= 0).all()
    assert t.loc[0, "dark_figure"] == 0.0
    d = e.to_dict()
    assert d["dark_figure"] in (0.0, None)
    assert any("lies below the" in w for w in e.warnings)
    r = dfg.estimate(h, linkage_run=run, search="none", ci="parametric", reps=50, seed=1, linkage_draws=6,
                     linkage_reps=0, n_jobs=1, missing="drop")
    assert r.dark_figure == 0.0
    flat = " ".join(str(r).split())
    assert "dark figure 0 " in flat and "N̂ corrected lies below them, see the warnings" in flat
    assert "dark figure -" not in flat


def test_toward_rule_rows_below_their_persons_are_not_called_an_overshoot():
    """Review s17 (H1): under 'toward' a small cell whose N̂ (6.55, floored at the as-linked persons) lies below the
    draws' persons (7) was told "the correction has overshot ... use the default rule 'toward'" -- the rule in use."""
    e = pd.DataFrame({"nhat": [2391.0, 6.55, 40.0], "observed_corrected": [2300.0, 7.0, 30.0],
                      "nhat_as_linked": [2391.0, 6.55, 40.0], "observed": [2310.0, 7.0, 30.0]})
    said = below_persons_warnings(e, "toward")
    assert len(said) == 1 and "in 1 of 2 subgroup rows" in said[0] and "by at most 0.5 persons" in said[0]
    assert "overshot" not in said[0] and "'toward'" not in said[0] and "do not publish" not in said[0]
    assert below_persons_warnings(e.assign(nhat=[2391.0, 7.5, 40.0]), "toward") == []
    assert "overshot" in below_persons_warnings(e, "bias")[0]
