"""Which check flags unmodelled heterogeneity (issue #3): simulated populations with a
hard-to-reach latent class, against the same populations without it."""

from __future__ import annotations

import copy

import pytest

from darkfigure.diagnostics import capture_frequencies, model_checks
from darkfigure.estimate import estimate
from darkfigure.simulate import simulate

HETEROGENEOUS = {
    "name": "hard_to_reach",
    "years": [2019],
    "population": 20000,
    "covariates": {"sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]}},
    "lists": {
        "A": {"baseline": 0.3},
        "B": {"baseline": 0.25},
        "C": {"baseline": 0.2},
        "D": {"baseline": 0.2},
        "E": {"baseline": 0.15},
    },
    # half the population is hard to reach: log-odds of registration 2 lower on every list
    "heterogeneity": {"kind": "latent_class", "weights": [0.5, 0.5], "shifts": [0.0, -2.0]},
}
HOMOGENEOUS = {k: v for k, v in copy.deepcopy(HETEROGENEOUS).items() if k != "heterogeneity"}


def _flags(scenario, seeds):
    out = []
    for s in seeds:
        sim = simulate(scenario, seed=s)
        # Cruyff's search: the checks' rates were set on it (the stratified search absorbs some heterogeneity)
        e = estimate(sim.capture_histories(), search="cruyff", ci="none")
        out.append((e, sim.n_total, {c.name for c in e.checks if c.flagged}))
    return out


def test_capture_frequencies_sum_to_the_observed():
    sim = simulate(HOMOGENEOUS, seed=1)
    e = estimate(sim.capture_histories(), ci="none")
    cf = capture_frequencies(e.fit)
    assert cf["observed"].sum() == e.n_observed
    # main effects of every list are in the model, so the fitted total equals the observed one
    assert cf["fitted"].sum() == pytest.approx(e.n_observed, rel=1e-8)
    names = [c.name for c in e.checks]
    assert names == ["goodness_of_fit", "residuals_by_number_of_lists", "chao_lower_bound"]


def test_heterogeneity_is_flagged_and_named_but_not_in_a_homogeneous_population():
    seeds = range(10)
    het = _flags(HETEROGENEOUS, seeds)
    hom = _flags(HOMOGENEOUS, seeds)
    # the log-linear N̂ is far too low under heterogeneity (the reason the checks exist)
    assert all(e.nhat < 0.8 * n for e, n, _ in het)
    flagged = [f for _, _, f in het if f]
    assert len(flagged) >= 9, [f for _, _, f in het]
    # the warning names the check and says what it means
    for e, _, f in het:
        if "chao_lower_bound" in f:
            assert any("Chao's lower bound" in w and "too low" in w for w in e.warnings)
        if "residuals_by_number_of_lists" in f:
            assert any("residuals by number of lists" in w for w in e.warnings)
    # Chao's lower bound is the most sensitive check here
    assert sum("chao_lower_bound" in f for f in flagged) >= 9
    false_alarms = [f for _, _, f in hom if f]
    assert len(false_alarms) <= 2, false_alarms


def test_checks_skip_what_does_not_apply():
    sim = simulate(HOMOGENEOUS, seed=2)
    e = estimate(sim.capture_histories(), ci="none")
    checks = {c.name: c for c in model_checks(e.fit, e.histories, structural_zeros=True)}
    assert not checks["chao_lower_bound"].computed and "not computed" in checks["chao_lower_bound"].message
    assert checks["goodness_of_fit"].computed
    imputed = {c.name: c for c in model_checks(e.fit, e.histories, imputed=True)}
    assert not imputed["goodness_of_fit"].computed and imputed["chao_lower_bound"].computed


@pytest.mark.slow
def test_sparse_table_goodness_of_fit_is_not_used_to_flag():
    # lists x 4 covariates (Dutch-like): most cells are fitted below 1 person
    sim = simulate("dutch_like", seed=1)
    e = estimate(sim.capture_histories(), structural_zeros=sim.structural_zeros(), ci="none")
    gof = next(c for c in e.checks if c.name == "goodness_of_fit")
    assert "sparse" in gof.message and not gof.flagged
