"""Simulation with a known truth: scenarios, reproducibility, the truth table, and coverage of N̂."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.estimation import estimate
from darkfigure.simulation import Scenario, ScenarioError, load_scenario, scenario_names, simulate

runner = CliRunner()

# Three lists whose capture probabilities depend on sex, form and year, A and B positively
# dependent (conditional log-odds ratio 0.7): exactly the log-linear model MODEL below, so
# the fitted family contains the truth.
LOGLINEAR_TRUTH = {
    "name": "loglinear_truth",
    "years": [2017, 2018, 2019],
    "population": [1500, 1700, 1900],
    "covariates": {
        "sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]},
        "form": {
            "levels": ["sexual", "labour", "other"],
            "given": "sex",
            "probabilities": {"female": [0.7, 0.15, 0.15], "male": [0.2, 0.6, 0.2]},
        },
    },
    "lists": {
        "A": {"baseline": 0.3, "effects": {"sex": {"male": -0.4}, "form": {"labour": -0.5}, "year": {"2019": 0.3}}},
        "B": {"baseline": 0.25, "effects": {"form": {"labour": 0.4, "other": -0.3}}},
        "C": {"baseline": 0.2, "effects": {"sex": {"male": 0.3}, "year": {"2018": -0.2}}},
    },
    "dependence": [{"lists": ["A", "B"], "log_odds_ratio": 0.7}],
}
MODEL = "A:B, A:sex, A:form, A:year, B:sex, B:form, B:year, C:sex, C:form, C:year, sex:form:year"


def _coverage(n_populations: int, ci: str, reps: int = 200, first_seed: int = 1000):
    sc = Scenario.from_dict(LOGLINEAR_TRUTH)
    covered, rel, year_cov = [], [], []
    for r in range(n_populations):
        sim = simulate(sc, seed=first_seed + r)
        e = estimate(sim.histories, year="year", search="none", model=MODEL, ci=ci, reps=reps, seed=r, n_jobs=1)
        covered.append(e.lower <= sim.n_total <= e.upper)
        rel.append(e.nhat / sim.n_total - 1)
        if ci == "parametric":
            est = e.estimates
            for _, row in est[est["group"] == "year"].iterrows():
                year_cov.append(row["lower"] <= sim.true_n(year=int(row["level"])) <= row["upper"])
    return np.mean(covered), np.mean(rel), (np.mean(year_cov) if year_cov else None)


# ----------------------------------------------------------------------------- scenarios
def test_bundled_scenarios_load_by_name_and_simulate():
    names = scenario_names()
    assert {"dutch_like", "labour_zeros", "heterogeneous"} <= set(names)
    for name in names:
        sim = simulate(name, seed=1)
        assert sim.n_total > sim.n_observed > 0
        assert sim.capture_histories().n_observed == sim.n_observed
    sc = load_scenario("dutch_like")
    assert sc.covariate_names == ("sex", "age", "nationality", "form")
    assert len(sc.lists) == 5 and sc.poisson
    assert load_scenario("dutch_like.toml") == sc


def test_scenario_from_toml_file(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(
        'years = [2020]\npopulation = 500\n[covariates.sex]\nlevels = ["f", "m"]\nprobabilities = [0.5, 0.5]\n'
        "[lists.X]\nbaseline = 0.4\n[lists.Y]\nbaseline = 0.3\neffects = { sex = { m = 0.5 } }\n",
        encoding="utf-8",
    )
    sc = load_scenario(p)
    assert sc.name == "mine" and sc.years == (2020,) and sc.population == (500.0,)
    sim = simulate(sc, seed=3)
    assert sim.n_total == 500
    assert "year" not in sim.histories.columns  # one year: no year column (it would have a single level)
    assert list(sim.histories.columns) == ["X", "Y", "sex", "count"]


@pytest.mark.parametrize(
    "change, match",
    [
        ({"colour": 1}, "unknown scenario key 'colour'"),
        ({"population": [1, 2]}, "2 sizes for 3 years"),
        ({"covariates": {"sex": {"levels": ["f", "m"], "probabilities": [0.6, 0.6]}}}, "sum to 1"),
        ({"lists": {"A": {"baseline": 1.2}, "B": {"baseline": 0.2}}}, "baseline"),
        ({"lists": {"A": {"baseline": 0.2, "effects": {"age": {"minor": 1}}}, "B": {"baseline": 0.2}}}, "unknown covariate 'age'"),
        ({"lists": {"A": {"baseline": 0.2, "effects": {"form": {"forced": 1}}}, "B": {"baseline": 0.2}}}, "unknown level 'forced'"),
        ({"lists": {"A": {"baseline": 0.2, "years": [2030]}, "B": {"baseline": 0.2}}}, "year 2030"),
        ({"lists": {"A": {"baseline": 0.2}}}, "at least 2 lists"),
        ({"dependence": [{"lists": ["A", "Z"], "log_odds_ratio": 1}]}, "unknown list 'Z'"),
        ({"heterogeneity": {"kind": "fuzzy"}}, "heterogeneity kind"),
        (
            {"lists": {"A": {"baseline": 0.2, "cannot_register": {"sex": ["female", "male"]}}, "B": {"baseline": 0.2}}},
            "cannot register any level of 'sex'",
        ),
    ],
)
def test_invalid_scenarios_name_the_entry(change, match):
    d = dict(LOGLINEAR_TRUTH) | change
    if "dependence" not in change and "lists" in change:
        d.pop("dependence")
    with pytest.raises(ScenarioError, match=match):
        Scenario.from_dict(d)


# ----------------------------------------------------------------------------- reproducibility and truth
def test_same_seed_same_population_and_other_seed_another():
    a, b = simulate("labour_zeros", seed=11), simulate("labour_zeros", seed=11)
    pd.testing.assert_frame_equal(a.complete, b.complete)
    pd.testing.assert_frame_equal(a.histories, b.histories)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    c = simulate("labour_zeros", seed=12)
    assert not a.complete["count"].equals(c.complete["count"])


def test_a_year_added_leaves_the_earlier_years_unchanged():
    d = dict(LOGLINEAR_TRUTH)
    d["lists"] = dict(d["lists"]) | {"A": {"baseline": 0.3, "effects": {"sex": {"male": -0.4}}}}
    short = simulate(Scenario.from_dict(d | {"years": [2017, 2018], "population": [1500, 1700]}), seed=5)
    full = simulate(Scenario.from_dict(d), seed=5)
    for y in (2017, 2018):
        a = short.complete[short.complete["year"] == y].reset_index(drop=True)
        b = full.complete[full.complete["year"] == y].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)


def test_truth_sums_are_consistent():
    sim = simulate("dutch_like", seed=2)
    t = sim.truth
    assert list(t.columns) == ["group", "level", "year", "N"]
    total = int(t[(t["group"] == "total") & t["year"].isna()]["N"].iloc[0])
    assert total == sim.n_total == sim.complete["count"].sum()
    hidden = sim.complete[sim.complete[list(sim.lists)].sum(axis=1) == 0]["count"].sum()
    assert sim.n_observed + hidden == total
    years = t[(t["group"] == "total") & t["year"].notna()]
    assert years["N"].sum() == total
    for y, n in zip(years["year"], years["N"]):
        assert n == sim.true_n(year=int(y))
    for c in sim.scenario.covariate_names:
        g = t[t["group"] == c]
        assert g[g["year"].isna()]["N"].sum() == total
        for y in sim.scenario.years:
            assert g[g["year"] == y]["N"].sum() == years[years["year"] == y]["N"].iloc[0]
    # pairs: every A:B level adds up to the A margin
    pair = t[(t["group"] == "sex:form") & t["year"].isna()]
    assert len(pair) == 2 * 4
    by_sex = pair.assign(sex=pair["level"].str.split(":").str[0]).groupby("sex")["N"].sum()
    for lv in ("female", "male"):
        assert by_sex[lv] == sim.true_n(sex=lv)
    assert t[(t["group"] == "sex:form") & (t["level"] == "male:labour") & (t["year"] == 2017)]["N"].iloc[0] == sim.true_n(
        sex="male", form="labour", year=2017
    )


def test_fixed_and_poisson_population_sizes():
    sim = simulate(Scenario.from_dict(LOGLINEAR_TRUTH), seed=1)
    assert [sim.true_n(year=y) for y in (2017, 2018, 2019)] == [1500, 1700, 1900]
    d = LOGLINEAR_TRUTH | {"population": {"size": [1500, 1700, 1900], "poisson": True}}
    sizes = [simulate(Scenario.from_dict(d), seed=s).true_n(year=2017) for s in range(30)]
    assert len(set(sizes)) > 10 and abs(np.mean(sizes) - 1500) < 4 * np.sqrt(1500 / 30)


def test_structural_zeros_of_the_scenario_hold_nobody():
    sim = simulate("dutch_like", seed=4)
    c = sim.complete
    assert c[(c["inspectorate"] == 1) & (c["form"] == "sexual")]["count"].sum() == 0
    assert c[(c["coordinators"] == 1) & c["year"].isin([2015, 2016])]["count"].sum() == 0
    assert c[(c["coordinators"] == 1) & (c["year"] == 2017)]["count"].sum() > 0
    sz = sim.structural_zeros()
    assert sz.values.tolist() == [
        ["inspectorate", "form", "sexual"], ["coordinators", "year", 2015], ["coordinators", "year", 2016],
    ]


def test_baseline_and_log_odds_ratio_are_what_the_scenario_says():
    d = {
        "years": [2020],
        "population": 400_000,
        "covariates": {"sex": {"levels": ["f", "m"], "probabilities": [0.5, 0.5]}},
        "lists": {
            "A": {"baseline": 0.3, "effects": {"sex": {"m": -0.5}}},
            "B": {"baseline": 0.2},
            "C": {"baseline": 0.1},
        },
        "dependence": [{"lists": ["A", "B"], "log_odds_ratio": 0.8}],
    }
    c = simulate(Scenario.from_dict(d), seed=9).complete
    def cnt(**kw):
        m = np.ones(len(c), dtype=bool)
        for k, v in kw.items():
            m &= (c[k] == v).to_numpy()
        return c.loc[m, "count"].sum()

    # C is independent of A and B: its capture probability is the baseline
    assert cnt(C=1) / cnt() == pytest.approx(0.1, abs=0.003)
    # A at the reference sex, among those not on B (the dependent list): the baseline
    assert cnt(A=1, B=0, sex="f") / cnt(B=0, sex="f") == pytest.approx(0.3, abs=0.005)
    p_m = 1 / (1 + np.exp(-(np.log(0.3 / 0.7) - 0.5)))
    assert cnt(A=1, B=0, sex="m") / cnt(B=0, sex="m") == pytest.approx(p_m, abs=0.005)
    lor = np.log(cnt(A=1, B=1) * cnt(A=0, B=0) / (cnt(A=1, B=0) * cnt(A=0, B=1)))
    assert lor == pytest.approx(0.8, abs=0.05)


def test_heterogeneity_makes_independence_underestimate():
    # a hard-to-reach latent class (and a normal random effect) that no covariate explains
    for het in ({"kind": "latent_class", "weights": [0.7, 0.3], "shifts": [0.0, -2.0]}, {"kind": "normal", "sd": 1.2}):
        sc = load_scenario("heterogeneous")
        d = {
            "years": list(sc.years),
            "population": 3000,
            "covariates": {"sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]}},
            "lists": {x.name: {"baseline": x.baseline} for x in sc.lists},
            "heterogeneity": het,
        }
        rel = []
        for s in range(5):
            sim = simulate(Scenario.from_dict(d), seed=s)
            e = estimate(sim.histories, search="none", ci="none")
            rel.append(e.nhat / sim.n_total - 1)
        assert np.mean(rel) < -0.10, het


def test_persons_expand_the_histories():
    sim = simulate("labour_zeros", seed=1)
    p = sim.persons()
    assert len(p) == sim.n_observed and p["person"].is_unique
    assert list(p.columns) == ["person", "police", "ngo", "inspectorate", "sex", "form", "year"]
    everyone = sim.persons(observed_only=False)
    assert len(everyone) == sim.n_total
    assert (everyone[["police", "ngo", "inspectorate"]].sum(axis=1) == 0).sum() == sim.n_total - sim.n_observed


# ----------------------------------------------------------------------------- command line
def test_cli_simulate_writes_files_that_estimate_reads(tmp_path):
    out = tmp_path / "sim"
    r = runner.invoke(app, ["simulate", "labour_zeros", "--seed", "3", "--out", str(out), "--persons"])
    assert r.exit_code == 0, r.output
    assert {f.name for f in out.iterdir() if not f.name.startswith(".")} == {
        "histories.csv", "truth.csv", "structural_zeros.csv", "persons.csv"
    }
    truth = pd.read_csv(out / "truth.csv")
    assert list(truth.columns) == ["group", "level", "year", "N"]
    assert truth.loc[0, "group"] == "total" and pd.isna(truth.loc[0, "year"])
    sim = simulate("labour_zeros", seed=3)
    assert int(truth.loc[0, "N"]) == sim.n_total
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "histories.csv"), sim.histories.astype({c: "int64" for c in sim.lists})
    )
    r = runner.invoke(
        app,
        [
            "estimate", str(out / "histories.csv"), "--year", "year", "--structural-zeros",
            str(out / "structural_zeros.csv"), "--ci", "none", "--out", str(tmp_path / "est"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "inspectorate cannot register form = sexual" in r.output
    est = pd.read_csv(tmp_path / "est" / "estimates.csv")
    assert est.loc[0, "observed"] == sim.n_observed
    assert est.loc[0, "nhat"] == pytest.approx(sim.n_total, rel=0.1)


def test_cli_simulate_bad_scenario_is_an_error(tmp_path):
    r = runner.invoke(app, ["simulate", "no_such_scenario", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "no_such_scenario" in r.output and "dutch_like" in r.output


# ----------------------------------------------------------------------------- coverage with a known truth
@pytest.mark.slow  # > 10 s: make test-slow
def test_intervals_cover_the_truth_when_the_model_family_contains_it():
    # 60 populations, profile-likelihood interval for the total (the slow test does 200 with
    # the parametric bootstrap and the yearly intervals too)
    cover, bias, _ = _coverage(60, "profile")
    assert cover >= 0.85  # nominal 0.95; 60 replicates: P(< 0.85) is about 0.3% when it is 0.95
    assert abs(bias) < 0.05


@pytest.mark.slow
def test_coverage_of_200_replicate_populations_total_and_each_year():
    cover, bias, year_cover = _coverage(200, "parametric", reps=200, first_seed=20_000)
    assert cover >= 0.90
    assert year_cover >= 0.90
    assert abs(bias) < 0.05
