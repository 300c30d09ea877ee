"""The identifying-assumption bounds are on the headline's basis (tester report 13a, F2).

On the tester's c2 population 2 (5 lists, latent visibility, N = 2,000; a synthetic table) the default model
average gave "N̂ from 1,533 to 2,808 … 95% bounds 1,234 – 1,846" beside a headline N̂ of 1,958: the bounds were the
chosen model's profile likelihood, narrower than the average's range and excluding the headline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.sensitivity import sensitivity
from darkfigure.sensitivity_bounds import averaged_bounds, contain_range

DATA = Path(__file__).parent / "data" / "c2_rasch5_pop002.csv"


@pytest.fixture(scope="module")
def c2_result():
    """The default estimate of the tester's c2 population 2 (seed 1002, as their harness)."""
    return dfg.estimate(pd.read_csv(DATA), count="count", seed=1002, n_jobs=1, progress=False)


def test_bounds_contain_the_range_and_the_headline(c2_result):
    """Bounds with sampling error contain the range without it, and the headline N̂ (was 1,234-1,846 vs 1,958)."""
    raw = c2_result.raw
    ia = raw.identifying
    assert raw.averaged is not None and len(raw.averaged.fits) > 1  # the case of the finding: a model average
    lo, hi = ia.bounds["confidence"]
    assert lo <= ia.low + 1e-6 and hi >= ia.high - 1e-6
    assert lo <= raw.nhat <= hi
    assert abs(ia.nhat - raw.nhat) <= 1e-6 * raw.nhat
    # the same basis: the headline interval moved by psi
    n = raw.histories.n_observed
    assert lo == pytest.approx(n + 0.5 * (raw.lower - n), rel=1e-9)
    assert hi == pytest.approx(n + 2.0 * (raw.upper - n), rel=1e-9)
    assert ia.bounds["basis"] == "headline interval"
    assert "(the averaged interval moved alike)" in ia.summary_line()


def test_the_chosen_models_bounds_stay_in_result_json(c2_result):
    """The chosen model's profile bounds are kept, labelled with its model and N̂, and JSON-safe."""
    d = json.loads(json.dumps(c2_result.to_dict()["identifying_assumption"]))
    cm = d["bounds"]["chosen_model"]
    assert cm["model"] == c2_result.raw.fit.model.label()
    assert cm["nhat"] == pytest.approx(c2_result.raw.fit.nhat, rel=1e-9)
    assert cm["confidence"][0] < cm["confidence"][1]
    assert d["bounds"]["conditional_on_chosen_model"] is False


def test_heterogeneity_warning_names_the_chosen_models_nhat(c2_result):
    """A warning quoting an N̂ other than the headline's says whose it is."""
    raw = c2_result.raw
    het = next(c for c in raw.checks if c.name == "heterogeneity")
    assert f"the chosen model's N̂ {raw.fit.nhat:,.0f}" in het.message
    assert f"; N̂ {raw.fit.nhat:,.0f};" not in het.message


def test_average_without_interval_widens_the_chosen_models_bounds(c2_result):
    """Without an averaged interval the chosen model's bounds are widened to the range and N̂, and name the model."""
    avg = c2_result.raw.averaged
    ia = sensitivity(avg.fits, avg.weights, nhat=None)
    lo, hi = ia.bounds["confidence"]
    assert lo <= ia.low and hi >= ia.high and lo <= ia.nhat <= hi
    assert ia.bounds["basis"] == "chosen model, widened"
    assert avg.fits[0].model.label() in ia.summary_line()


def test_averaged_bounds_arithmetic():
    """[n + lo (L - n), n + hi (U - n)]; an infinite upper limit stays infinite; no interval gives None."""
    assert averaged_bounds(150.0, 300.0, 100, 0.5, 2.0) == pytest.approx([125.0, 500.0])
    assert averaged_bounds(150.0, float("inf"), 100, 0.5, 2.0)[1] == float("inf")
    assert averaged_bounds(float("nan"), float("nan"), 100, 0.5, 2.0) is None
    assert contain_range([125.0, 180.0], 130.0, 260.0, 200.0) == [125.0, 260.0]
