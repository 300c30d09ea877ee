"""Model averaging (smoothed information-criterion weights) and its bootstrap; list x covariate and
higher-order terms in the searches; the coverage study's small versions (slow)."""

import importlib.util
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.estimation import estimate
from darkfigure.loglinear.averaging import (
    averaged_bootstrap,
    candidate_fits,
    model_average,
    smoothed_weights,
)
from darkfigure.loglinear.bootstrap import parametric_bootstrap
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.search import pvalue_search
from darkfigure.loglinear.terms import LogLinearModel

ROOT = Path(__file__).resolve().parents[1]


def _study():
    spec = importlib.util.spec_from_file_location("coverage_study", ROOT / "benchmarks" / "coverage_study.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("coverage_study", mod)  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


# ----------------------------------------------------------------------------- weights by hand
def test_smoothed_weights_by_hand():
    # Δ = (0, 2): w = (1, e^-1) / (1 + e^-1)
    w = smoothed_weights([100.0, 102.0])
    assert w == pytest.approx([1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1))], rel=1e-12)
    # only differences matter; an unusable model (inf, NaN) gets weight 0
    assert smoothed_weights([5.0, 7.0, np.inf, np.nan]) == pytest.approx([*w, 0.0, 0.0], rel=1e-12)
    assert smoothed_weights([3.0, 3.0, 3.0]) == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="finite"):
        smoothed_weights([np.inf, np.nan])


def _uk_fits():
    t = CompleteTable(datasets.load("uk_2013"))
    lists = t.histories.lists
    m0 = LogLinearModel.make(t.variables)
    m1 = m0.add((lists[0], lists[1]))
    m2 = m1.add((lists[1], lists[2]))
    return t, [fit_model(t, m, check=True) for m in (m0, m1, m2)]


def test_model_average_is_the_weighted_sum_of_the_fits():
    t, fits = _uk_fits()
    avg = model_average(fits + [fits[1]], criterion="aic", min_weight=0.0)  # a duplicate model counts once
    assert len(avg.fits) == 3
    w = smoothed_weights([f.aic for f in fits])
    order = np.argsort(-w, kind="stable")
    assert avg.weights == pytest.approx(w[order], rel=1e-12)
    assert avg.nhat == pytest.approx(sum(wi * f.nhat for wi, f in zip(w, fits)), rel=1e-12)
    assert avg.fitted.sum() == pytest.approx(avg.nhat, rel=1e-12)
    assert avg.path()["weight"].sum() == pytest.approx(1.0)


def test_candidate_fits_drops_light_models_and_caps_the_number():
    t, fits = _uk_fits()
    w = smoothed_weights([f.bic for f in fits])
    kept, wk = candidate_fits(fits, criterion="bic", min_weight=float(np.sort(w)[-2]) * 0.999)
    assert len(kept) == 2 and wk.sum() == pytest.approx(1.0)
    kept, wk = candidate_fits(fits, criterion="bic", max_models=1, min_weight=0.0)
    assert len(kept) == 1 and wk[0] == 1.0 and kept[0] is fits[int(np.argmax(w))]
    with pytest.raises(ValueError, match="criterion"):
        candidate_fits(fits, criterion="cp")


@pytest.mark.parametrize("draw", ["mixture", "reweight"])
def test_one_model_averaged_bootstrap_is_boot_mse(draw):
    """With a single candidate both draws are Cruyff's boot_mse of that model, replicate for replicate."""
    _, fits = _uk_fits()
    f = fits[2]
    avg = model_average([f])
    a = averaged_bootstrap(avg, reps=60, seed=7, draw=draw)
    b = parametric_bootstrap(f, reps=60, seed=7, n_jobs=1, progress=False)
    assert a.estimate[0] == pytest.approx(f.nhat, rel=1e-12)
    assert a.replicates[:, 0] == pytest.approx(b.replicates[:, 0], rel=1e-6)


def test_averaged_interval_spans_the_models_and_is_reproducible():
    _, fits = _uk_fits()
    avg = model_average(fits[1:], criterion="aic", min_weight=0.0)
    a = averaged_bootstrap(avg, reps=200, seed=3, draw="mixture")
    lo, hi = a.intervals()[0]
    assert lo < avg.nhat < hi
    assert a.method == "model-averaged parametric" and a.status_counts["ok"] + a.status_counts["extended"] > 150
    again = averaged_bootstrap(avg, reps=200, seed=3, draw="mixture")
    np.testing.assert_array_equal(a.replicates, again.replicates)
    with pytest.raises(ValueError, match="draw"):
        averaged_bootstrap(avg, reps=10, draw="both")


# ----------------------------------------------------------------------------- estimate: defaults and flags
def test_estimate_default_is_averaged_and_says_it_is_unconditional():
    e = estimate("uk_2013", reps=200, seed=1, n_jobs=1)
    assert e.ci_method == "averaged" and e.conditional is False and e.averaged is not None
    assert e.nhat == pytest.approx(e.estimates.iloc[0]["nhat"]) and e.lower < e.nhat < e.upper
    d = e.to_dict()
    assert d["interval"]["conditional_on_chosen_model"] is False
    assert abs(sum(m["weight"] for m in d["averaging"]["models"]) - 1) < 1e-9
    assert "model-selection uncertainty" in str(e)
    p = estimate("uk_2013", ci="parametric", reps=200, seed=1, n_jobs=1)
    assert p.conditional is True and p.to_dict()["interval"]["conditional_on_chosen_model"] is True
    assert p.nhat == pytest.approx(p.fit.nhat) and "conditional on the chosen model" in str(p)


def test_kosovo_three_list_terms_from_estimate():
    """Kosovo's published 10,357 ([123,14,34], exhaustive BIC over all orders) is reachable from estimate."""
    e = estimate("kosovo_1999", search="exhaustive", max_order=3, ci="none")
    assert round(e.nhat) == 10357
    two = estimate("kosovo_1999", search="exhaustive", max_order=2, ci="none")
    assert estimate("kosovo_1999", search="exhaustive", ci="none").nhat == pytest.approx(e.nhat)  # default: k - 1
    assert round(two.nhat) != 10357
    with pytest.raises(ValueError, match="max_order"):
        estimate("kosovo_1999", max_order=1, ci="none")
    with pytest.raises(ValueError, match="p-value search"):
        estimate("kosovo_1999", search="pvalue", max_order=3, ci="none")


def _one_list_differs_by_sex(seed: int) -> pd.DataFrame:
    """Three independent lists; list A registers men four times as readily as women."""
    rng = np.random.default_rng(seed)
    rows = []
    for sex, n, pa in (("F", 3000, 0.08), ("M", 3000, 0.30)):
        caps = rng.random((n, 3)) < np.array([pa, 0.2, 0.2])
        seen = caps.any(axis=1)
        for c in caps[seen]:
            rows.append((*c.astype(int), sex))
    d = pd.DataFrame(rows, columns=["A", "B", "C", "sex"])
    return d.groupby(["A", "B", "C", "sex"]).size().rename("count").reset_index()


def test_pvalue_search_offers_list_by_covariate_terms():
    d = _one_list_differs_by_sex(5)
    from darkfigure.io import read_histories

    t = CompleteTable(read_histories(d, lists=["A", "B", "C"], covariates=["sex"]))
    new = pvalue_search(t, list_covariate=True)
    assert ("A", "sex") in new.best.model.interactions
    assert "+ A:sex" in list(new.path["step"])
    old = pvalue_search(t)  # SparseMSE's search: pairs of lists only
    assert all(len(set(x) & {"sex"}) == 0 for x in old.best.model.interactions)
    # estimate's "pvalue" has the new candidates, "pvalue-pairs" is SparseMSE's search
    e = estimate(d, lists=["A", "B", "C"], covariates=["sex"], search="pvalue", ci="none")
    assert ("A", "sex") in e.fit.model.interactions
    e = estimate(d, lists=["A", "B", "C"], covariates=["sex"], search="pvalue-pairs", ci="none")
    assert e.fit.model.interactions == old.best.model.interactions


# ----------------------------------------------------------------------------- the coverage study, small
def test_study_generator_truth_and_visibility():
    cs = _study()
    for name in cs.TUNING + cs.HELDOUT:
        s = cs.SETTINGS[name]
        data, truth = cs.generate(s, np.random.default_rng(0))
        n = data["count"].sum()
        assert 0.2 < n / truth[("total", "")] < 0.6
        for cov, levels in cs.COVARIATES.items():
            assert sum(truth[(cov, lv)] for lv in levels) == truth[("total", "")]
        lst, cov, lev = s.szero
        assert data.loc[data[cov] == lev, lst].sum() == 0  # the structural zero holds


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["H1-dutch5", "H2-allcov4"])
def test_default_interval_coverage_on_held_out_setting(setting):
    """25 populations of a held-out setting: total coverage and bias of the default within binomial error of
    the targets (coverage >= 0.90, |bias| <= 3%). Tolerance: 2 binomial SDs at 0.90 (0.12 for 25)."""
    cs = _study()
    npop = 25
    rows = []
    for pop in range(npop):
        rows += cs._run_one((setting, pop, 11, ["default"], 200))
    res = pd.DataFrame(rows)
    tot = res[res["group"] == "total"]
    cover = ((tot["lower"] <= tot["truth"]) & (tot["truth"] <= tot["upper"])).mean()
    rel = tot["nhat"] / tot["truth"] - 1
    assert cover >= 0.90 - 2 * math.sqrt(0.9 * 0.1 / npop)
    assert abs(rel.mean()) <= 0.03 + 2 * rel.std() / math.sqrt(npop)
    sub = res[res["group"] != "total"]
    sub_cover = ((sub["lower"] <= sub["truth"]) & (sub["truth"] <= sub["upper"])).groupby(
        [sub["group"], sub["level"]]
    ).mean()
    assert sub_cover.mean() >= 0.90 - 2 * math.sqrt(0.9 * 0.1 / npop)


def test_cli_max_order_and_the_conditional_flag(tmp_path):
    from typer.testing import CliRunner

    from darkfigure.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["estimate", "kosovo_1999", "--search", "exhaustive", "--max-order", "3", "--ci", "none"])
    assert r.exit_code == 0, r.output
    assert "10,357" in r.output
    r = runner.invoke(app, ["estimate", "uk_2013", "--reps", "100", "--seed", "2", "--jobs", "1", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    flat = re.sub(r"[│\s]+", " ", r.output)  # undo the panel's line wrapping
    assert "95% model-averaged parametric-bootstrap interval" in flat and "includes model-selection uncertainty" in flat
    import json

    d = json.loads((tmp_path / "result.json").read_text())
    assert d["interval"]["conditional_on_chosen_model"] is False and d["settings"]["conditional_interval"] is False
    r = runner.invoke(app, ["estimate", "uk_2013", "--ci", "profile"])
    assert r.exit_code == 0 and "conditional on the chosen model" in re.sub(r"[│\s]+", " ", r.output)


def test_default_search_with_covariates_is_stratified():
    from darkfigure.loglinear.selection import stratified_search, stratified_start

    d = _one_list_differs_by_sex(8)
    e = estimate(d, lists=["A", "B", "C"], covariates=["sex"], reps=100, seed=1, n_jobs=1)
    assert e.settings["search"] == "stratified" and e.settings["criterion"] == "aic"
    # every list x covariate term is in, whatever its evidence
    assert {("A", "sex"), ("B", "sex"), ("C", "sex")} <= set(e.fit.model.interactions)
    # the search over list pairs is repeated in every replicate: not conditional even with one model averaged
    assert e.conditional is False and e.settings["search_repeated_in_bootstrap"] is True
    assert abs(e.nhat / 6000 - 1) < 0.15
    t = e.table
    s = stratified_search(t, criterion="bic")
    assert set(stratified_start(t).interactions) <= set(s.best.model.interactions)
    assert all(len(set(x) & {"sex"}) == 0 for x in set(s.best.model.interactions) - set(stratified_start(t).interactions))
    with pytest.raises(ValueError, match="criterion"):
        stratified_search(t, criterion="aicc")
