"""Partial pooling across strata (darkfigure.loglinear.pooling): limits, variance estimation, interval, CLI.

The heavy study (MSE and coverage on many simulated populations) is benchmarks/pooling_study.py; the slow
tests below run a smaller version of it.
"""

import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from darkfigure.datasets import load
from darkfigure.errors import DataError
from darkfigure.estimation import estimate
from darkfigure.io import read_histories
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.pooling import (
    VARIANCE_FLOOR,
    check_pooling,
    common_model,
    fit_pooled,
    partial_pooling,
    pooled_bootstrap,
    pooling_design,
    stratified_model,
)
from darkfigure.loglinear.pooling_sim import evaluate, simulate_strata
from darkfigure.loglinear.terms import LogLinearModel, parse_terms


def _pop(seed=3, **kw):
    kw.setdefault("gamma", {(0, 1): 0.7})
    pop = simulate_strata(kw.pop("n_strata", 15), seed=seed, **kw)
    t = CompleteTable(pop.histories)
    m = LogLinearModel.make(t.variables, parse_terms(pop.interactions))
    return pop, t, m


def _simdat_two_covariates():
    h = read_histories(load("cruyff_simdat").to_frame(), lists=["R1", "R2", "R3", "R4"], covariates=["X1", "X2"])
    t = CompleteTable(h)
    return t, LogLinearModel.make(t.variables, [("R1", "R2")])


# ----------------------------------------------------------------------------- the two limits
@pytest.mark.parametrize("which", ["simulated", "two covariates"])
def test_penalty_to_zero_is_the_stratified_fit(which):
    t, m = _simdat_two_covariates() if which == "two covariates" else _pop()[1:]
    ref = fit_model(t, stratified_model(t, m), check=True)
    assert ref.status == "ok"
    got = fit_pooled(pooling_design(t, m), variances=1e12)
    np.testing.assert_allclose(got.fitted, ref.fitted, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got.nhat, ref.nhat, rtol=1e-7)


@pytest.mark.parametrize("which", ["simulated", "two covariates"])
def test_penalty_to_infinity_is_the_model_without_stratum_terms(which):
    t, m = _simdat_two_covariates() if which == "two covariates" else _pop()[1:]
    ref = fit_model(t, common_model(t, m), check=True)
    assert ref.status == "ok"
    got = fit_pooled(pooling_design(t, m), variances=1e-12)
    np.testing.assert_allclose(got.fitted, ref.fitted, rtol=1e-6, atol=1e-7)


def test_pooled_estimate_lies_between_the_limits_and_holds_each_stratum_margin():
    pop, t, m = _pop()
    d = pooling_design(t, m)
    f = fit_pooled(d)
    assert f.converged and f.estimated
    assert np.all(f.variances > VARIANCE_FLOOR)
    obs = np.bincount(t.stratum, weights=np.where(t.observable, f.fitted, 0.0))
    np.testing.assert_allclose(obs, np.bincount(t.stratum, weights=t.y), rtol=1e-6)  # free stratum intercepts
    lo = fit_pooled(d, variances=1e-12).nhat_by(("stratum",))["nhat"].to_numpy()
    hi = fit_pooled(d, variances=1e12).nhat_by(("stratum",))["nhat"].to_numpy()
    mid = f.nhat_by(("stratum",))["nhat"].to_numpy()
    # shrinkage: on the whole the pooled N̂ is nearer the common-model N̂ than the stratified one is
    assert np.sum((mid - lo) ** 2) < np.sum((hi - lo) ** 2)


# ----------------------------------------------------------------------------- variance components
def test_variance_estimate_recovers_a_large_spread_and_finds_none_where_there_is_none():
    # 60 strata of 150-300 persons: enough for sigma to be estimated to within a factor of about 1.5
    pop, t, m = _pop(seed=11, n_strata=60, size_range=(150, 300), tau=0.8)
    f = fit_pooled(pooling_design(t, m, components="common"))
    sd = float(np.sqrt(f.variances[0]))
    assert 0.55 < sd < 1.1, sd
    pop0, t0, m0 = _pop(seed=12, n_strata=30, size_range=(150, 300), tau=0.0)
    f0 = fit_pooled(pooling_design(t0, m0, components="common"))
    assert float(np.sqrt(f0.variances[0])) < 0.2
    common = fit_model(t0, common_model(t0, m0))
    np.testing.assert_allclose(f0.nhat, common.nhat, rtol=0.02)


def test_schall_fixed_point_is_near_the_laplace_restricted_maximum():
    # Schall's update solves the REML equation of the (PQL) Laplace approximation: moving the variance away
    # from it lowers the Laplace restricted log-likelihood
    pop, t, m = _pop(seed=5, n_strata=30, tau=0.7)
    d = pooling_design(t, m, components="common")
    f = fit_pooled(d)
    for factor in (0.5, 2.0):
        g = fit_pooled(d, variances=f.variances * factor)
        assert g.restricted_loglik < f.restricted_loglik


def test_components_per_list_and_common():
    pop, t, m = _pop()
    assert pooling_design(t, m, "list").component_names == ["A:stratum", "B:stratum", "C:stratum"]
    assert pooling_design(t, m, "common").component_names == ["lists:stratum"]
    t2, m2 = _simdat_two_covariates()
    names = pooling_design(t2, m2, "common").component_names
    assert names == ["lists:X1", "lists:X2", "lists:X1:X2"]
    with pytest.raises(ValueError, match="components"):
        pooling_design(t, m, "each")


# ----------------------------------------------------------------------------- interval
def test_bootstrap_is_seeded_and_brackets_the_estimate():
    pop, t, m = _pop()
    f = fit_pooled(pooling_design(t, m))
    a, fa = pooled_bootstrap(f, [(), ("stratum",)], reps=40, seed=7)
    b, _ = pooled_bootstrap(f, [(), ("stratum",)], reps=40, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert fa == 0
    assert (a["lower_pooled"] >= a["observed"]).all()
    assert (a["lower_pooled"] <= a["nhat_pooled"] + 1e-9).all() and (a["nhat_pooled"] <= a["upper_pooled"]).all()
    c, _ = pooled_bootstrap(f, [(), ("stratum",)], reps=40, seed=8)
    assert not np.allclose(a["upper_pooled"], c["upper_pooled"])


def test_partial_pooling_table_and_json():
    pop, t, m = _pop()
    r = partial_pooling(t, m, reps=30, seed=1)
    assert list(r.table.columns) == ["group", "level", "observed", "nhat_stratified", "nhat_common", "nhat_pooled",
                                     "lower_pooled", "upper_pooled"]
    assert len(r.table) == 1 + 15
    d = json.loads(json.dumps(r.to_dict()))
    assert set(d["variance_components"]) == {"A:stratum", "B:stratum", "C:stratum"}
    assert d["fixed_list_interactions"] == ["A:B"]
    assert d["interval"]["reps"] == 30 and d["interval"]["seed"] == 1
    assert d["subgroups"][0]["group"] == "total"
    with pytest.raises(ValueError, match="at least 20"):
        partial_pooling(t, m, reps=10)


def test_stratified_column_is_empty_where_the_stratified_mle_identifies_nothing():
    # a stratum where list A registered nobody: its own A effect is -inf in the stratified fit; pooling keeps it
    pop, t, m = _pop(seed=21, n_strata=8)
    df = pop.histories.to_frame()
    first = df["stratum"] == df["stratum"].cat.categories[0]
    df = df[~(first & (df["A"] == 1))]
    h = read_histories(df, lists=["A", "B", "C"], covariates=["stratum"])
    t = CompleteTable(h)
    r = partial_pooling(t, LogLinearModel.make(t.variables), reps=20, seed=1)
    row = r.table[r.table["level"] == str(df["stratum"].cat.categories[0])].iloc[0]
    assert np.isfinite(row["nhat_pooled"]) and row["nhat_pooled"] < 10 * row["observed"]
    assert not np.isfinite(row["nhat_stratified"]) or row["nhat_stratified"] >= row["observed"]


# ----------------------------------------------------------------------------- bad input
def test_no_covariates_is_refused_naming_the_option():
    h = read_histories(load("hiv_rome"))
    with pytest.raises(DataError, match="--pooling partial"):
        pooling_design(CompleteTable(h))
    with pytest.raises(DataError, match="--pooling partial"):
        estimate(h, pooling="partial", ci="none")


def test_one_level_covariate_is_refused_naming_the_option():
    h = SimpleNamespace(covariates=["X1", "sex"], levels={"X1": [1, 2], "sex": ["f"]})
    with pytest.raises(DataError, match=r"--pooling partial.*'sex'.*single level"):
        check_pooling(h)


def test_unknown_pooling_option():
    with pytest.raises(ValueError, match="--pooling"):
        estimate("hiv_rome", pooling="full", ci="none")


def test_cli_refuses_pooling_without_covariates(cli):
    cli(["estimate", "hiv_rome", "--pooling", "partial", "--ci", "none"], code=2,
        says=["--poolingpartial", "nocovariate"])


# ----------------------------------------------------------------------------- through estimate and the CLI
def test_estimate_adds_pooled_columns_and_json(tmp_path):
    pop, _, _ = _pop(n_strata=8)
    res = estimate(pop.histories, model="A:B", ci="parametric", reps=40, seed=3, pooling="partial")
    est = res.estimates
    for c in ("nhat_stratified", "nhat_pooled", "lower_pooled", "upper_pooled"):
        assert c in est.columns
    assert est["nhat_pooled"].notna().all()
    # the run's own N̂ is untouched
    assert np.isclose(est.iloc[0]["nhat"], res.nhat)
    res.write(tmp_path)
    d = json.loads((tmp_path / "result.json").read_text())
    assert d["settings"]["pooling"] == "partial"
    assert len(d["pooling"]["subgroups"]) == len(est)
    assert "nhat_pooled" in pd.read_csv(tmp_path / "estimates.csv").columns
    plain = estimate(pop.histories, model="A:B", ci="none")
    assert "nhat_pooled" not in plain.estimates.columns and "pooling" not in plain.to_dict()


def test_cli_pooling_partial(cli, tmp_path):
    out = cli(["estimate", "cruyff_simdat", "--lists", "R1,R2,R3,R4", "--covariates", "X4", "--model", "R1:R2",
               "--ci", "parametric", "--reps", "30", "--seed", "2", "--pooling", "partial", "--out",
               str(tmp_path / "run")], code=0, says=["partiallypooled", "N̂pooled"])
    assert "list x covariate effects" in out
    d = json.loads((tmp_path / "run" / "result.json").read_text())
    assert set(d["pooling"]["variance_components"]) == {"R1:X4", "R2:X4", "R3:X4", "R4:X4"}


# ----------------------------------------------------------------------------- simulator
def test_simulator_truth_and_shapes():
    pop = simulate_strata(12, seed=1, effects="two-point", tau=0.6, share_high=0.2, capture=(0.3, 0.3, 0.3, 0.3))
    assert len(pop.sizes) == len(pop.histories.levels["stratum"])
    assert ((pop.sizes >= 20) & (pop.sizes <= 100)).all()
    assert pop.histories.n_observed <= pop.total
    vals = np.unique(np.round(pop.effects, 12))
    assert len(vals) == 2  # two points
    a, b = vals[1], vals[0]
    np.testing.assert_allclose(0.2 * a + 0.8 * b, 0.0, atol=1e-12)  # mean 0
    np.testing.assert_allclose(np.sqrt(0.2 * a**2 + 0.8 * b**2), 0.6)  # sd tau
    with pytest.raises(ValueError, match="effects"):
        simulate_strata(5, effects="gamma")


# ----------------------------------------------------------------------------- the study (slow)
def _study(generator: dict, populations: int, reps: int, seed: int):
    d = pd.concat([evaluate(simulate_strata(**generator, seed=seed + i), reps=reps, seed=seed + 1000 + i)
                   for i in range(populations)], ignore_index=True)
    ok = np.isfinite(d["unpooled"])
    ratio = np.mean((d.loc[ok, "pooled"] - d.loc[ok, "truth"]) ** 2) / np.mean(
        (d.loc[ok, "unpooled"] - d.loc[ok, "truth"]) ** 2)
    return ratio, d["covered"].mean(), len(d)


@pytest.mark.slow
def test_study_normal_effects_pooled_beats_unpooled_and_covers():
    # the tuning generator of benchmarks/pooling_study.py, other seeds: 20 populations x 15 strata of 20-100
    g = dict(n_strata=15, capture=(0.3, 0.35, 0.25), tau=0.5, effects="normal", gamma={(0, 1): 0.7})
    ratio, cov, n = _study(g, populations=20, reps=100, seed=777)
    assert n == 300
    assert ratio < 0.9, ratio
    assert cov >= 0.90, cov  # Monte-Carlo s.e. about 0.013 at 0.95


@pytest.mark.slow
def test_study_two_point_effects_pooled_beats_unpooled_and_covers():
    # the generator never tuned on: 4 lists, skewed two-point list x stratum effects
    g = dict(n_strata=10, capture=(0.2, 0.3, 0.25, 0.35), tau=0.6, effects="two-point", share_high=0.15,
             gamma={(0, 1): 0.5, (2, 3): -0.4})
    ratio, cov, n = _study(g, populations=25, reps=100, seed=888)
    assert n == 250
    assert ratio < 0.9, ratio
    assert cov >= 0.90, cov


def test_report_shows_pooled_beside_unpooled(cli, tmp_path):
    from darkfigure.report import build_report

    pop, _, _ = _pop(n_strata=6)
    res = estimate(pop.histories, model="A:B", ci="parametric", reps=30, seed=3, pooling="partial")
    res.write(tmp_path)
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert '<section id="pooling">' in page and "Small subgroups: partial pooling" in page
    assert "N̂ pooled" in page and "N̂ each stratum alone" in page and "N̂ stratified" not in page and "stratum = s00" in page
    plain = tmp_path / "plain"
    estimate(pop.histories, model="A:B", ci="none").write(plain)
    assert '<section id="pooling">' not in build_report(plain).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- tester's findings (items 5, 13, 14, 16)
def _rare_frame():
    # sex=f: 132 persons on all 7 patterns; sex=m: one person, on list A only (B and C registered no man)
    pats = [(0, 0, 1), (0, 1, 0), (0, 1, 1), (1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 1, 1)]
    rows = [dict(A=a, B=b, C=c, sex="f", count=n) for (a, b, c), n in zip(pats, [30, 25, 20, 20, 15, 12, 10])]
    rows.append(dict(A=1, B=0, C=0, sex="m", count=1))
    return pd.DataFrame(rows)


def test_stratified_column_keeps_the_identified_strata_when_one_is_not():
    df = _rare_frame()
    h = read_histories(df, lists=["A", "B", "C"], covariates=["sex"], count="count")
    t = CompleteTable(h)
    r = partial_pooling(t, LogLinearModel.make(t.variables), reps=20, seed=1)
    tab = r.table.set_index(["group", "level"])["nhat_stratified"]
    # the women's stratum gets its own fit's N̂: the independence model fitted to their table alone
    hf = read_histories(df[df["sex"] == "f"].drop(columns="sex"), lists=["A", "B", "C"], count="count")
    tf = CompleteTable(hf)
    own = fit_model(tf, LogLinearModel.make(tf.variables), check=True)
    assert own.status == "ok"
    np.testing.assert_allclose(tab[("sex", "f")], own.nhat, rtol=1e-6)
    # the man's stratum and the total over both are not identified, and the stratum is named
    assert np.isnan(tab[("sex", "m")]) and np.isnan(tab[("total", "")])
    assert r.strata_not_identified == ["sex = m"]
    assert r.to_dict()["strata_not_identified_stratified"] == ["sex = m"]
    res = estimate(h, model="", ci="none", reps=20, seed=1, pooling="partial")
    w = [x for x in res.warnings if x.startswith("partial pooling: the fully stratified fit")]
    assert len(w) == 1 and "1 of 2 strata (sex = m)" in w[0] and "every total or margin" in w[0]


def test_pooling_prints_each_note_and_warning_once(cli, tmp_path):
    p = tmp_path / "rare.csv"
    _rare_frame().to_csv(p, index=False)
    out = cli(["estimate", p, "--covariates", "sex", "--search", "none", "--ci", "parametric", "--reps", "20", "--seed", "1",
               "--pooling", "partial"], code=0, says=["1 of 2 strata (sex = m)"])
    firsts = [ln for ln in out.splitlines() if ln.startswith(("warning:", "note:"))]
    # (a "note:" line was asserted too: the lists note, no longer given for lists named A, B, C since s25)
    assert any("partial pooling" in ln for ln in firsts)
    assert len(firsts) == len(set(firsts)), firsts
    assert out.count("to publish:") == 1 and out.count("partially pooled") == 1


def test_pooled_bootstrap_shows_progress_and_warm_start_agrees_with_a_cold_fit(monkeypatch):
    import darkfigure.loglinear.bootstrap as bootstrap_module

    calls = []

    class Recorder:
        def __init__(self, show, total, label):
            calls.append((show, total, label))

        def __enter__(self):
            return lambda n: calls.append(n)

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(bootstrap_module, "_progress", Recorder)
    pop, t, m = _pop(n_strata=8)
    f = fit_pooled(pooling_design(t, m))
    pooled_bootstrap(f, [()], reps=20, seed=1, progress=True)
    assert calls[0] == (True, 20, "pooled bootstrap") and sum(c for c in calls[1:]) == 20
    # a replicate warm-started from the data's variances, with the bootstrap's looser stopping rule, lands
    # where a cold fit to the same counts does, in fewer Schall iterations
    rng = np.random.default_rng(5)
    y = np.where(t.observable, rng.poisson(np.where(f.fitted > 0, f.fitted, 0.0)), 0.0)
    cold = fit_pooled(f.design, y)
    v0 = np.where(f.variances <= VARIANCE_FLOOR * 1.0001, 0.25, f.variances)
    warm = fit_pooled(f.design, y, start=(f.beta, f.u), start_variances=v0, tol=1e-2, negligible=1e-3)
    assert cold.converged and warm.converged
    np.testing.assert_allclose(warm.nhat, cold.nhat, rtol=5e-3)
    assert warm.iterations <= cold.iterations


def test_cli_pooled_table_shows_one_way_margins_only_when_long(cli, tmp_path):
    # X1, X2 and year Y: total, 8 one-way rows, 20 pairs and 16 triples = 45 rows
    out = cli(["estimate", "cruyff_simdat", "--lists", "R1,R2,R3,R4", "--covariates", "X1,X2", "--year", "Y",
               "--model", "R1:R2", "--ci", "parametric", "--reps", "20", "--seed", "1", "--pooling", "partial", "--out",
               tmp_path / "run"], code=0, says=["36 pooled rows for combinations of levels are in estimates.csv"])
    pooled = out[out.index("partially pooled"):]
    # no table row for a pair or a pair by year (the model terms R1:X1:X2:Y below the table do name them)
    assert not re.search(r"^[\s│┃|]*X1:X2(:Y)?[\s│┃|]", pooled, flags=re.M)
    assert re.search(r"^[\s│┃|]*X1[\s│┃|]", pooled, flags=re.M)  # the one-way rows are there: the check can fail
    est = pd.read_csv(tmp_path / "run" / "estimates.csv")
    assert (est["group"] == "X1:X2").sum() == 4 and est["nhat_pooled"].notna().all()


def test_variance_on_few_levels_is_warned_about():
    pop, t, m = _pop(n_strata=8)
    df = pop.histories.to_frame()
    df["sex"] = np.where(df["stratum"].cat.codes % 2 == 0, "f", "m")
    h = read_histories(df, lists=["A", "B", "C"], covariates=["stratum", "sex"])
    d = pooling_design(CompleteTable(h), components="list")
    lv = dict(zip(d.component_names, d.component_levels))
    assert lv["A:sex"] == 2 and lv["A:stratum"] == 8
    res = estimate(h, model="A:B", ci="none", reps=20, seed=2, pooling="partial")
    assert res.pooling.few_levels() == {"A:sex": 2, "B:sex": 2, "C:sex": 2}
    w = [x for x in res.warnings if "fewer than 5 levels" in x]
    assert len(w) == 1 and "A:sex, B:sex, C:sex on 2 levels" in w[0] and "lean on the assumption" in w[0]
    assert res.to_dict()["pooling"]["components_on_few_levels"] == {"A:sex": 2, "B:sex": 2, "C:sex": 2}
    from darkfigure.report.explain import explain

    assert explain(w[0]).key == "pooling-few-levels"
    # 8 strata and no 2-level covariate: no such warning
    plain = estimate(pop.histories, model="A:B", ci="none", reps=20, seed=2, pooling="partial")
    assert plain.pooling.few_levels() == {} and not any("fewer than 5 levels" in x for x in plain.warnings)


def test_pooled_table_repeats_the_runs_figure_and_names_the_own_fit_apart(cli, tmp_path):
    # tester 13a, F4: the main table gave sex=m an N̂ while the pooled table called "the stratified N̂" of the
    # same row "not identified" (two different fits under one name)
    p = tmp_path / "rare.csv"
    _rare_frame().to_csv(p, index=False)
    out = cli(["estimate", p, "--covariates", "sex", "--search", "none", "--ci", "parametric", "--reps", "20",
               "--seed", "1", "--pooling", "partial", "--out", tmp_path / "run"], code=0)
    est = pd.read_csv(tmp_path / "run" / "estimates.csv").set_index(["group", "level"])
    m = est.loc[("sex", "m")]
    assert np.isnan(m["nhat_stratified"]) and np.isfinite(m["nhat"])  # the case the tester met
    pooled = out[out.index("partially pooled"):]
    lines = pooled.splitlines()
    k = next(i for i, ln in enumerate(lines) if re.search(r"^[\s│┃|]*sex[\s│┃|]+m[\s│┃|]", ln))
    # the row's cells, with the lines a narrow terminal wraps them onto (group and level empty there)
    rows = [[c.strip() for c in re.split(r"[│┃|]", ln)] for ln in lines[k:k + 4]]
    rows = [rows[0]] + [r for r in rows[1:] if len(r) == len(rows[0]) and not r[1] and not r[2]]
    cells = [" ".join(p for p in col if p) for col in zip(*rows)]
    # the run's own figure with its interval, as the table above prints it, beside the own-fit "not identified"
    # (a narrow terminal may cut the words with "…")
    own = cells[5].rstrip("…")
    assert cells[4] == f"{m['nhat']:,.0f} ({m['lower']:,.0f} – {m['upper']:,.0f})"
    assert len(own) >= 3 and "not identified".startswith(own)
    squashed = "".join(pooled.split())  # as the cli fixture's says=: rich wraps lines at the terminal's width
    assert "'eachstratumalone'fitseverylist" in squashed and "N̂stratified" not in squashed
    assert "Whichtoread" in squashed


def test_pooling_legend_names_the_rows_only_the_pooled_fit_bounds():
    from darkfigure.cli.estimate import _pooling_legend

    tab = pd.DataFrame({"group": ["total", "nat", "nat"], "level": ["", "NL", "other"],
                        "upper": [np.inf, 900.0, np.inf], "upper_pooled": [3400.0, 950.0, np.nan]})
    text = _pooling_legend(tab)
    assert "except where their upper limit is infinite and the pooled one is not (total)" in text
    assert "nat=NL" not in text and "nat=other" not in text  # bounded above, or unbounded in both
    assert "except where" not in _pooling_legend(tab.assign(upper=900.0))
