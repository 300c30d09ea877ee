"""The model-averaged bootstrap that repeats the stratified search in each replicate (averaging._Reselect)."""

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from darkfigure.estimation import estimate
from darkfigure.loglinear.averaging import _Reselect, averaged_bootstrap, model_average, search_candidates
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.selection import reselection_start, stratified_search, stratified_start

ROOT = Path(__file__).resolve().parents[1]


def _study():
    spec = importlib.util.spec_from_file_location("coverage_study", ROOT / "benchmarks" / "coverage_study.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("coverage_study", mod)  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def t1():
    """A T1-pair4 population of the coverage study (4 lists, A:B dependence, list x covariate effects)."""
    cs = _study()
    s = cs.SETTINGS["T1-pair4"]
    data, truth = cs.generate(s, np.random.default_rng([7, 0, cs.zlib_hash(s.name)]))
    e = estimate(data, ci="none", **cs._estimate_kwargs(s))
    search = stratified_search(e.fit.table)
    return search, truth


def test_reselection_start_is_the_stratified_start_only_for_that_search(t1):
    search, _ = t1
    assert reselection_start(search) == stratified_start(search.best.table)
    assert reselection_start(None) is None


def test_no_moves_reproduces_the_fixed_model_refits(t1):
    """With max_steps=0 each replicate is its component's model refitted: the same totals as without re-selection."""
    search, _ = t1
    avg = model_average(search_candidates(search, search.best))
    a = averaged_bootstrap(avg, reps=40, seed=5)
    b = averaged_bootstrap(avg, reps=40, seed=5, reselect=reselection_start(search), max_steps=0)
    assert b.reselected >= 35 and a.reselected == 0
    ok = np.isfinite(a.replicates) & np.isfinite(b.replicates)
    assert ok[:, 0].sum() >= 35
    np.testing.assert_allclose(b.replicates[ok], a.replicates[ok], rtol=1e-5)


def test_score_and_wald_moves_follow_the_exact_aic(t1):
    """The move chosen by the score/Wald approximations is an exact AIC decrease close to the best single
    add/drop of a list pair (refitted exactly); with no move, no exact add/drop lowers AIC by more than 1."""
    search, _ = t1
    fit = search.best
    table = fit.table
    start = stratified_start(table)
    r = _Reselect(fit, start, 2.0)
    assert r.ok and len(r.pairs) == 6
    rng = np.random.default_rng(11)
    moved = 0
    for _ in range(4):
        y = rng.multinomial(int(fit.nhat), fit.fitted / fit.fitted.sum()).astype(float)
        y[~table.observable] = 0.0
        tb = table.with_counts(y)
        f0 = fit_model(tb, fit.model)
        exact = []
        for p, inside in zip(r.pairs, r.mask0):
            m = fit.model.drop(p) if inside else fit.model.add(p)
            exact.append(fit_model(tb, m).aic - f0.aic)
        exact = np.array(exact)
        good, cols, beta, mu, used = r._fit(r.mask0.copy(), y[r.obs_idx], r.mu0)
        assert good
        j = r._move(r.mask0.copy(), y[r.obs_idx], cols, beta, mu, used)
        if j is None:
            assert exact.min() > -1.0
        else:
            moved += 1
            assert exact[j] < 0 and exact[j] <= exact.min() + 1.0
    full, mask = r(y)
    assert full is not None and full.sum() > y.sum() and mask is not None


def test_reselection_widens_and_the_estimate_says_so(t1):
    search, truth = t1
    avg = model_average(search_candidates(search, search.best))
    a = averaged_bootstrap(avg, reps=100, seed=2)
    b = averaged_bootstrap(avg, reps=100, seed=2, reselect=reselection_start(search))
    again = averaged_bootstrap(avg, reps=100, seed=2, reselect=reselection_start(search))
    np.testing.assert_array_equal(b.replicates, again.replicates)
    assert np.nanstd(b.replicates[:, 0]) >= 0.9 * np.nanstd(a.replicates[:, 0])


def test_estimate_default_repeats_the_search_with_covariates():
    cs = _study()
    s = cs.SETTINGS["T1-pair4"]
    data, _ = cs.generate(s, np.random.default_rng([7, 1, cs.zlib_hash(s.name)]))
    e = estimate(data, reps=50, seed=3, **cs._estimate_kwargs(s))
    assert e.settings["search_repeated_in_bootstrap"] is True and e.conditional is False
    assert e.bootstrap.reselected > 40
    c = estimate(data, reps=50, seed=3, search="cruyff", **cs._estimate_kwargs(s))  # list x covariate terms
    assert c.settings["search_repeated_in_bootstrap"] is False


def test_default_repeats_the_search_without_covariates_and_says_so():
    """Plain k-list tables: Cruyff's search is repeated (from the component's model) in every replicate; the
    peers' conditional intervals stay available and are labelled conditional."""
    d = estimate("uk_2013", reps=50, seed=1, n_jobs=1)
    assert d.settings["search_repeated_in_bootstrap"] is True and d.conditional is False
    assert d.bootstrap.reselected == 50  # the boundary components (lists sharing nobody) are re-selected too
    k = estimate("kosovo_1999", reps=50, seed=1, n_jobs=1)  # Cruyff's path holds one model: the search makes it
    assert k.settings["search_repeated_in_bootstrap"] is True and k.conditional is False
    for ci in ("parametric", "profile"):
        p = estimate("kosovo_1999", reps=50, seed=1, n_jobs=1, ci=ci)
        assert p.conditional is True and p.settings["search_repeated_in_bootstrap"] is False
        assert p.to_dict()["interval"]["conditional_on_chosen_model"] is True


def test_three_list_terms_are_searched_within_the_hierarchy():
    """max_order=3: the re-selection offers three-list terms only with their pairs, drops a pair only without its
    triples, and every replicate ends in a hierarchical model (Kosovo, 4 lists, no covariates)."""
    from darkfigure.io import read_histories
    from darkfigure.loglinear.design import CompleteTable
    from darkfigure.loglinear.terms import LogLinearModel

    table = CompleteTable(read_histories("kosovo_1999"))
    lists = list(table.histories.lists)
    lower = LogLinearModel.make(table.variables)
    fit = fit_model(table, LogLinearModel.make(table.variables, [tuple(lists[:3])]), check=True)
    r = _Reselect(fit, lower, 2.0, max_steps=4, max_order=3)
    assert r.ok and len(r.terms) == 6 + 4
    assert r.mask0.sum() == 4  # the triple and its three pairs
    triple = r.terms.index(tuple(lists[:3]))
    assert sorted(r.sub[triple]) == sorted(r.terms.index(p) for p in [tuple(lists[:2]), (lists[0], lists[2]),
                                                                        (lists[1], lists[2])])
    assert all(triple in r.sup[i] for i in r.sub[triple])
    rng = np.random.default_rng(4)
    ends = 0
    for _ in range(30):
        y = rng.multinomial(int(fit.nhat), fit.fitted / fit.fitted.sum()).astype(float)
        y[~table.observable] = 0.0
        full, mask = r(y)
        if mask is None:
            continue
        ends += 1
        for j in np.flatnonzero(mask):
            assert mask[r.sub[j]].all(), "a three-list term without one of its pairs"
        m = r.model_of(mask)
        assert m == LogLinearModel.make(table.variables, list(m.interactions))  # hierarchical closure
    assert ends >= 25
    pairs_only = _Reselect(fit, lower, 2.0, max_order=2)
    assert not pairs_only.ok  # the component's triple is outside a pairs-only re-selection


def test_estimate_repeats_the_search_with_max_order_3():
    e = estimate("kosovo_1999", search="cruyff", max_order=3, reps=40, seed=2, n_jobs=1)
    assert e.settings["max_order"] == 3 and e.settings["search_repeated_in_bootstrap"] is True
    assert e.conditional is False and e.bootstrap.reselected == 40


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["P1-plain4", "P2-triple4"])
def test_default_coverage_on_plain_tables(setting):
    """30 plain k-list populations (no covariates; P2 with a three-list term and max_order=3): the default, which
    repeats the search in every replicate, covers the total N within binomial error of 0.90 and is unbiased
    within 3% (tolerance: 2 binomial SDs at 0.90, 0.11 for 30; 2 standard errors for the bias)."""
    cs = _study()
    npop = 30
    rows = []
    for pop in range(npop):
        rows += cs._run_one((setting, pop, 13, ["default"], 200))
    tot = pd.DataFrame(rows)
    assert (tot["conditional"] == False).all()  # noqa: E712 - a column of booleans
    cover = ((tot["lower"] <= tot["truth"]) & (tot["truth"] <= tot["upper"])).mean()
    rel = tot["nhat"] / tot["truth"] - 1
    assert cover >= 0.90 - 2 * math.sqrt(0.9 * 0.1 / npop), cover
    assert abs(rel.mean()) <= 0.03 + 2 * rel.std() / math.sqrt(npop), rel.mean()
