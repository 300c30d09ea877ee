"""Structural zeros by design: declarations, the mask, fits, searches, intervals and N̂ per subgroup."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.estimation import estimate
from darkfigure.histories import DataError
from darkfigure.loglinear.bootstrap import parametric_bootstrap
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.terms import LogLinearModel, parse_terms
from darkfigure.simulation import Scenario, simulate
from darkfigure.structural import complete_table, read_structural_zeros, structural_zero_mask

runner = CliRunner()

# the true model of the bundled labour_zeros scenario (the inspectorate's capture probability
# does not depend on the form, apart from the structural zero)
TRUE_MODEL = (
    "police:ngo, police:sex, police:form, police:year, ngo:form, inspectorate:sex, inspectorate:year, sex:form:year"
)
ZERO = [("inspectorate", "form", "sexual")]


@pytest.fixture(scope="module")
def sim():
    return simulate("labour_zeros", seed=3)


def _form_rows(e):
    est = e.estimates
    return est[est["group"] == "form"].set_index("level")


# ----------------------------------------------------------------------------- declarations and the mask
def test_mask_is_the_cells_where_the_list_is_1_and_the_level_matches(sim):
    h = sim.capture_histories()
    table = CompleteTable(h, year="year")
    mask = structural_zero_mask(table, ZERO)
    cells = table.cells
    expected = (cells["inspectorate"] == 1).to_numpy() & (cells["form"] == "sexual").to_numpy()
    assert (mask == expected).all()
    assert mask.sum() == 4 * 2 * 3  # 4 patterns with the inspectorate x 2 sexes x 3 years
    t = complete_table(h, ZERO, year="year")
    assert not t.observable[mask].any() and not t.hidden[mask].any()
    assert t.observable.sum() == CompleteTable(h, year="year").observable.sum() - 4 * 2 * 3


def test_declarations_from_a_csv_file_with_a_year(tmp_path, sim):
    p = tmp_path / "zeros.csv"
    p.write_text(" List , Covariate,LEVEL\ninspectorate,form,sexual\nngo,year,2017\ninspectorate,form,sexual\n")
    d = read_structural_zeros(p)
    assert d.values.tolist() == [["inspectorate", "form", "sexual"], ["ngo", "year", "2017"]]
    h = sim.capture_histories()
    # the file says "2017" (text), the data's year is the integer 2017; ngo has records in 2017,
    # so the declaration is refused and the message names the cell
    with pytest.raises(DataError, match=r"'ngo' and year = 2017, but \d+ observed person"):
        complete_table(h, p, year="year")


@pytest.mark.parametrize(
    "decl, match",
    [
        ([("labour", "form", "sexual")], "unknown list 'labour'"),
        ([("inspectorate", "exploitation", "sexual")], "unknown covariate 'exploitation'"),
        ([("inspectorate", "form", "forced")], "unknown level 'forced' of 'form'"),
        ([("inspectorate", "year", "2016")], "unknown level '2016' of 'year'"),
        ([("police", "form", "sexual")], r"list 'police' and form = 'sexual', but \d+ observed person"),
        ([("inspectorate", "sex", "female"), ("inspectorate", "sex", "male")], "every level of 'sex'"),
    ],
)
def test_wrong_declarations_are_errors_naming_them(sim, decl, match):
    with pytest.raises(DataError, match=match):
        estimate(sim.histories, year="year", search="none", ci="none", structural_zeros=decl)


def test_bad_declaration_files(tmp_path, sim):
    p = tmp_path / "z.csv"
    p.write_text("list,covariate\ninspectorate,form\n")
    with pytest.raises(DataError, match="missing \\['level'\\]"):
        read_structural_zeros(p)
    p.write_text("list,covariate,level\ninspectorate,,sexual\n")
    with pytest.raises(DataError, match="row 1 has no covariate"):
        read_structural_zeros(p)
    with pytest.raises(DataError, match="not found"):
        read_structural_zeros(tmp_path / "none.csv")


def test_a_declared_cell_with_observed_persons_is_an_error_naming_the_cell(sim):
    # the check in CompleteTable itself (a mask built by hand)
    h = sim.capture_histories()
    t = CompleteTable(h, year="year")
    mask = (t.cells["police"] == 1).to_numpy() & (t.cells["form"] == "sexual").to_numpy()
    with pytest.raises(DataError, match=r"holds \d+ observed person\(s\): police = 1, ngo = 0, inspectorate = 0, sex = female, form = sexual, year = 2017"):
        CompleteTable(h, year="year", structural_zeros=mask)


# ----------------------------------------------------------------------------- fits with structural zeros
def test_a_list_covariate_term_is_aliased_where_the_list_cannot_register(sim):
    h = sim.capture_histories()
    t = complete_table(h, ZERO, year="year")
    base = LogLinearModel.make(t.variables, parse_terms(TRUE_MODEL))
    f0 = fit_model(t, base, check=True)
    f1 = fit_model(t, base.add(("inspectorate", "form")), check=True)
    # form has 3 levels (labour, other, sexual): 2 columns, the sexual one vanishes on the likelihood's cells
    assert f1.rank == f0.rank + 1
    assert f1.coefficients()["inspectorate:form[sexual]"] == 0.0
    assert f1.status == "ok" and np.isfinite(f1.nhat)
    assert (f1.fitted[t.observable | t.hidden] > 0).all()
    assert (f1.fitted[~(t.observable | t.hidden)] == 0).all()  # the structural zeros stay 0
    # without the declaration the same term makes the MLE not exist; its extended MLE has
    # the same likelihood on the same cells, hence the same N̂ (but a different df)
    u = CompleteTable(h, year="year")
    g = fit_model(u, LogLinearModel.make(u.variables, base.interactions | {("inspectorate", "form")}), check=True)
    assert g.status == "extended"
    assert g.nhat == pytest.approx(f1.nhat, rel=1e-6)
    assert g.existence.n_zero_cells == 4 * 2 * 3
    assert g.df_residual == f1.df_residual
    assert g.deviance == pytest.approx(f1.deviance, rel=1e-6)


def test_nhat_of_the_subgroup_comes_from_the_lists_that_see_it(sim):
    # in the sexual stratum only police and ngo register: with the declaration and the
    # main-effects-by-stratum model, N̂ there is the two-list estimate of each stratum
    h = sim.capture_histories()
    t = complete_table(h, ZERO, year="year")
    m = LogLinearModel.make(t.variables, parse_terms("police:sex:form:year, ngo:sex:form:year, inspectorate:sex:form:year"))
    f = fit_model(t, m, check=True)
    d = sim.histories
    for (sex, year), g in d[d["form"] == "sexual"].groupby(["sex", "year"]):
        n11 = g[(g.police == 1) & (g.ngo == 1)]["count"].sum()
        n10 = g[(g.police == 1) & (g.ngo == 0)]["count"].sum()
        n01 = g[(g.police == 0) & (g.ngo == 1)]["count"].sum()
        lincoln_petersen = (n11 + n10) * (n11 + n01) / n11
        nb = f.nhat_by(("sex", "form", "year")).set_index(["sex", "form", "year"])
        assert nb.loc[(sex, "sexual", year), "nhat"] == pytest.approx(lincoln_petersen, rel=1e-7)


def test_the_parametric_bootstrap_puts_nobody_in_structural_zeros(sim):
    h = sim.capture_histories()
    t = complete_table(h, ZERO, year="year")
    f = fit_model(t, LogLinearModel.make(t.variables, parse_terms(TRUE_MODEL)), check=True)
    sz = ~(t.observable | t.hidden)
    prob = f.fitted / f.fitted.sum()
    assert prob[sz].sum() == 0
    y = np.random.default_rng(1).multinomial(int(f.nhat), prob).astype(float)
    y[t.hidden] = 0
    t.with_counts(y)  # accepted: nothing in an unobservable cell
    b = parametric_bootstrap(f, reps=50, seed=1, n_jobs=1, progress=False)
    assert b.status_counts["ok"] == 50
    lo, hi = b.intervals()[0]
    assert lo < f.nhat < hi


def test_search_profile_and_nonparametric_bootstrap_run_with_structural_zeros(sim):
    e = estimate(sim.histories, year="year", search="cruyff", ci="profile", structural_zeros=ZERO)
    assert e.fit.status == "ok"
    assert e.lower < sim.n_total < e.upper
    assert e.settings["structural_zeros"] == [["inspectorate", "form", "sexual"]]
    assert not any("no records in a subgroup" in w for w in e.warnings)  # the declared hole is not a warning
    assert any("no records in a subgroup" in w for w in estimate(sim.histories, year="year", search="none", ci="none").warnings)
    e = estimate(
        sim.histories, year="year", search="none", model=TRUE_MODEL, ci="nonparametric", reps=20, seed=2, n_jobs=1,
        structural_zeros=ZERO,
    )
    assert e.bootstrap.status_counts["ok"] == 20


def test_declaring_the_zero_recovers_the_subgroup_and_ignoring_it_biases_it(sim):
    kw = dict(year="year", search="none", model=TRUE_MODEL, ci="parametric", reps=200, seed=1, n_jobs=1)
    declared = _form_rows(estimate(sim.histories, structural_zeros=sim.structural_zeros(), **kw))
    ignored = _form_rows(estimate(sim.histories, **kw))
    n_sexual = sim.true_n(form="sexual")
    assert declared.loc["sexual", "lower"] <= n_sexual <= declared.loc["sexual", "upper"]
    for form in ("labour", "other"):
        n = sim.true_n(form=form)
        assert declared.loc[form, "lower"] <= n <= declared.loc[form, "upper"]
    # ignoring it, the model takes the inspectorate's empty sexual cells for persons it could
    # have seen: far fewer victims of sexual exploitation, and an interval that misses the truth
    assert ignored.loc["sexual", "upper"] < n_sexual
    assert ignored.loc["sexual", "nhat"] < declared.loc["sexual", "lower"]
    assert ignored.loc["sexual", "nhat"] < 0.85 * n_sexual


def test_a_list_that_did_not_exist_in_some_years(tmp_path):
    d = {
        "years": [2017, 2018, 2019],
        "population": [2000, 2000, 2000],
        "covariates": {"sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]}},
        "lists": {
            "A": {"baseline": 0.3, "effects": {"sex": {"male": -0.3}}},
            "B": {"baseline": 0.25, "effects": {"year": {"2019": 0.3}}},
            "C": {"baseline": 0.3, "years": [2018, 2019]},
        },
    }
    sim = simulate(Scenario.from_dict(d), seed=8)
    zeros = sim.structural_zeros()
    assert zeros.values.tolist() == [["C", "year", 2017]]
    p = tmp_path / "zeros.csv"
    zeros.to_csv(p, index=False)
    kw = dict(year="year", search="none", model="A:sex, A:year, B:sex, B:year, C:sex, C:year, sex:year", ci="parametric")
    e = estimate(sim.histories, structural_zeros=p, reps=200, seed=3, n_jobs=1, **kw)
    assert e.fit.status == "ok"
    years = e.estimates[e.estimates["group"] == "year"].set_index("level")
    for y in (2017, 2018, 2019):
        assert years.loc[str(y), "lower"] <= sim.true_n(year=y) <= years.loc[str(y), "upper"]
    # 2017 has two lists only: with the lists independent within each sex and year, its N̂ is
    # the two-list (Lincoln-Petersen) estimate of A and B within each sex
    kw |= dict(model="A:sex:year, B:sex:year, C:sex:year", ci="none")
    e = estimate(sim.histories, structural_zeros=p, **kw)
    years = e.estimates[e.estimates["group"] == "year"].set_index("level")
    h = sim.histories[sim.histories["year"] == 2017]
    est = 0.0
    for _, g in h.groupby("sex"):
        n11 = g[(g.A == 1) & (g.B == 1)]["count"].sum()
        est += g[g.A == 1]["count"].sum() * g[g.B == 1]["count"].sum() / n11
    assert years.loc["2017", "nhat"] == pytest.approx(est, rel=1e-6)


def test_cli_structural_zeros_option(tmp_path, sim):
    data = tmp_path / "h.csv"
    sim.histories.to_csv(data, index=False)
    z = tmp_path / "z.csv"
    z.write_text("list,covariate,level\ninspectorat,form,sexual\n")
    r = runner.invoke(app, ["estimate", str(data), "--year", "year", "--structural-zeros", str(z), "--ci", "none"])
    assert r.exit_code == 2
    assert "unknown list 'inspectorat'" in " ".join(r.output.split())
    z.write_text("list,covariate,level\ninspectorate,form,sexual\n")
    r = runner.invoke(
        app,
        ["estimate", str(data), "--year", "year", "--structural-zeros", str(z), "--search", "none", "--model", TRUE_MODEL,
         "--ci", "none", "--out", str(tmp_path / "o")],
    )
    assert r.exit_code == 0, r.output
    est = pd.read_csv(tmp_path / "o" / "estimates.csv")
    e = estimate(sim.histories, year="year", search="none", model=TRUE_MODEL, ci="none", structural_zeros=ZERO)
    assert est.loc[0, "nhat"] == pytest.approx(e.nhat, rel=1e-9)


@pytest.mark.slow
def test_structural_zeros_over_100_replicate_populations():
    cover, rel_declared, rel_ignored = [], [], []
    for r in range(100):
        s = simulate("labour_zeros", seed=10_000 + r)
        kw = dict(year="year", search="none", model=TRUE_MODEL, ci="parametric", reps=200, seed=r, n_jobs=1)
        dec = _form_rows(estimate(s.histories, structural_zeros=ZERO, **kw))
        ign = _form_rows(estimate(s.histories, ci="none", **{k: v for k, v in kw.items() if k != "ci"}))
        n = {f: s.true_n(form=f) for f in ("sexual", "labour", "other")}
        cover.append([dec.loc[f, "lower"] <= n[f] <= dec.loc[f, "upper"] for f in n])
        rel_declared.append([dec.loc[f, "nhat"] / n[f] - 1 for f in n])
        rel_ignored.append(ign.loc["sexual", "nhat"] / n["sexual"] - 1)
    assert (np.mean(cover, axis=0) >= 0.90).all()
    assert (np.abs(np.mean(rel_declared, axis=0)) < 0.05).all()
    assert np.mean(rel_ignored) < -0.15
