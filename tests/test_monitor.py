"""The monitor: per-year estimates both ways, visibility, SDG 16.2.2 rates, disclosure control, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.histories import DataError
from darkfigure.monitoring import (
    MONITOR_COLUMNS,
    RATE_COLUMNS,
    add_rates,
    compare_years,
    monitor,
    publish,
    recoverable,
    relations,
    suppress,
)
from darkfigure.monitoring.disclosure import ROUNDED_COLUMNS
from darkfigure.simulation import simulate

# a small Dutch-monitor-like population: 3 years, sex and form, 3 lists with list x covariate
# effects and one list x list dependence (the fitted log-linear family contains the truth)
SCENARIO = {
    "name": "small_monitor",
    "years": [2017, 2018, 2019],
    "year_column": "year",
    "population": {"size": [3000, 3300, 3600]},
    "covariates": {
        "sex": {"levels": ["female", "male"], "probabilities": [0.6, 0.4]},
        "form": {"levels": ["sexual", "labour", "other"], "probabilities": [0.5, 0.3, 0.2]},
    },
    "lists": {
        "police": {"baseline": 0.15, "effects": {"form": {"labour": -0.5}}},
        "ngo": {"baseline": 0.1, "effects": {"sex": {"male": -0.5}}},
        "inspect": {"baseline": 0.08, "effects": {"form": {"labour": 1.5}}},
    },
    "dependence": [{"lists": ["police", "ngo"], "log_odds_ratio": 0.5}],
}

POP = pd.DataFrame(
    [
        (y, sx, ag, p * f)
        for y, f in [(2017, 1.0), (2018, 1.02), (2019, 1.04)]
        for sx in ("female", "male")
        for ag, p in (("adult", 4_000_000), ("minor", 1_000_000))
    ],
    columns=["year", "sex", "age_group", "population"],
)


@pytest.fixture(scope="module")
def sim():
    return simulate(SCENARIO, seed=3)


@pytest.fixture(scope="module")
def res(sim):
    return monitor(sim.histories, year="year", population=POP, reps=200, seed=1, n_jobs=1)


def _truth(sim, group, level, year):
    t = sim.truth
    yr = t["year"].astype("string").fillna("")
    m = (t["group"] == group) & (t["level"].fillna("").astype(str) == level) & (yr == year)
    assert m.sum() == 1, (group, level, year)
    return int(t.loc[m, "N"].iloc[0])


def test_columns_and_rows(res, sim):
    t = res.table
    assert list(t.columns) == MONITOR_COLUMNS + RATE_COLUMNS
    # total + 3 years; 5 levels x 4; 6 pairs x 4
    assert len(t) == 4 + 5 * 4 + 6 * 4
    tot = t[(t["group"] == "total") & (t["year"] == "")].iloc[0]
    assert tot["observed"] == sim.n_observed
    assert np.isclose(tot["nhat"], res.estimate.nhat)
    # group totals add up to the total in each year block
    for y in ["", "2017", "2018", "2019"]:
        b = t[t["year"] == y]
        whole = b[b["group"] == "total"].iloc[0]
        for g in ("sex", "form", "sex:form"):
            assert np.isclose(b.loc[b["group"] == g, "nhat"].sum(), whole["nhat"])
            assert b.loc[b["group"] == g, "observed"].sum() == whole["observed"]


def test_per_year_close_to_truth_and_covered(res, sim):
    t = res.table
    covered, n = 0, 0
    for _, r in t.iterrows():
        truth = _truth(sim, r["group"], r["level"], r["year"])
        n += 1
        covered += r["lower"] <= truth <= r["upper"]
        if r["group"] == "total":
            # the default's stratified model keeps every list x year term: with 3 lists a year's N̂ is looser
            # (this draw: 2017 3,480 [2,498, 4,375] for 3,000; Cruyff's BIC model 3,079) and the interval says so
            assert abs(r["nhat"] / truth - 1) < (0.05 if r["year"] == "" else 0.2), (r["year"], r["nhat"], truth)
            assert r["lower"] <= truth <= r["upper"]
    assert covered / n >= 0.8, f"{covered} of {n} intervals cover the truth"


def test_visibility_from_the_same_replicates(res):
    t = res.table
    assert np.allclose(t["visibility"], t["observed"] / t["nhat"])
    assert np.allclose(t["visibility_lower"], t["observed"] / t["upper"])
    assert np.allclose(t["visibility_upper"], t["observed"] / t["lower"])
    # the percentile interval of observed / N̂*_b agrees (up to interpolation between order statistics)
    reps = res.monitor.replicates
    assert reps.shape == (200, len(t))
    ratio = t["observed"].to_numpy() / reps
    q = np.nanquantile(ratio, [0.025, 0.975], axis=0)
    assert np.allclose(q[0], t["visibility_lower"], rtol=0.01)
    assert np.allclose(q[1], t["visibility_upper"], rtol=0.01)
    # and the N̂ interval is the percentile interval of those replicates
    ci = np.nanquantile(reps, [0.025, 0.975], axis=0)
    assert np.allclose(ci[0], t["lower"]) and np.allclose(ci[1], t["upper"])


def test_sdg_rate_by_hand(res):
    t = res.table

    def row(g, lv, y):
        return t[(t["group"] == g) & (t["level"] == lv) & (t["year"] == y)].iloc[0]

    r = row("sex", "female", "2018")  # female population of 2018, adults and minors summed
    pop = (4_000_000 + 1_000_000) * 1.02
    assert np.isclose(r["rate_per_100k"], r["nhat"] / pop * 1e5)
    assert np.isclose(r["rate_lower"], r["lower"] / pop * 1e5)
    assert np.isclose(r["rate_upper"], r["upper"] / pop * 1e5)
    r = row("form", "sexual", "2017")  # not a population column: the whole population of 2017
    assert np.isclose(r["rate_per_100k"], r["nhat"] / 10_000_000 * 1e5)
    r = row("total", "", "")  # all years: per 100,000 person-years
    assert np.isclose(r["rate_per_100k"], r["nhat"] / (10_000_000 * (1 + 1.02 + 1.04)) * 1e5)
    r = row("sex:form", "male:labour", "2019")
    assert np.isclose(r["rate_per_100k"], r["nhat"] / (5_000_000 * 1.04) * 1e5)


def test_disclosure_no_small_number_and_no_differencing(res):
    t = res.table
    for k in (10, 150, 400):
        pub = publish(t, k)
        state = suppress(t, k)
        assert list(pub.columns) == list(t.columns) + list(ROUNDED_COLUMNS)
        # no published count below the threshold shows a number (the page's rounded figures included)
        for c in ("observed", "nhat", "lower", "upper", *ROUNDED_COLUMNS):
            for v in pub[c]:
                if v not in ("", "x", f"<{k}"):
                    assert float(v) >= k, (k, c, v)
        assert (pub.loc[t["observed"] < k, "observed"] == f"<{k}").all()
        # suppressed rows hide every number (visibility x N̂ would give observed back)
        hid = state > 0
        assert (pub.loc[hid, ["nhat", "visibility", "rate_per_100k"]] == "x").all().all()
        # no suppressed cell is "total minus the others" in any block ...
        for p, ch in relations(t):
            members = [p, *ch]
            assert sum(hid[m] for m in members) != 1, (k, t.iloc[members])
        # ... nor recoverable from the whole system of published totals
        assert recoverable(t, hid).size == 0
    assert (suppress(t, 400) > 0).any()  # the check above did bite


def test_disclosure_secondary_by_hand():
    t = pd.DataFrame(
        {
            "group": ["total", "sex", "sex", "form", "form", "form"],
            "level": ["", "f", "m", "a", "b", "c"],
            "year": [""] * 6,
            "observed": [100, 60, 40, 5, 30, 65],
        }
    )
    st = suppress(t, 10)
    assert st.tolist() == [0, 0, 0, 1, 2, 0]  # the next smallest level of form is hidden too
    pub = publish(t, 10)
    assert pub["observed"].tolist() == ["100", "60", "40", "<10", "x", "65"]
    with pytest.raises(ValueError, match="non-negative"):
        suppress(t, -1)


def test_compare_years(sim):
    c = compare_years(sim.histories, "year", reps=100, seed=2, n_jobs=1)
    tab = c.table
    assert tab["year"].tolist() == ["2017", "2018", "2019"]
    assert set(c.separate) == {2017, 2018, 2019}
    for _, r in tab.iterrows():
        truth = sim.true_n(year=int(r["year"]))
        for how in ("joint", "separate"):
            # 0.2: the default joint model keeps every list x year term (2017: +16% in this draw, covered)
            assert abs(r[f"{how}_nhat"] / truth - 1) < 0.2, (how, r["year"])
            assert r[f"{how}_lower"] < r[f"{how}_nhat"] < r[f"{how}_upper"]
    # the separate models spend more uncertainty than the joint one
    width = lambda h: (tab[f"{h}_upper"] - tab[f"{h}_lower"]).mean()  # noqa: E731
    assert width("separate") > width("joint")


def test_bad_inputs(sim):
    with pytest.raises(DataError, match="'jaar'"):
        monitor(sim.histories, year="jaar", reps=50, n_jobs=1)
    with pytest.raises(DataError, match="'sex'"):
        monitor(sim.histories, year="year", population=POP.drop(columns="sex"), reps=50, n_jobs=1)
    with pytest.raises(DataError, match="'population'"):
        monitor(sim.histories, year="year", population=POP.drop(columns="population"), reps=50, n_jobs=1)
    with pytest.raises(DataError, match="year 2019"):
        monitor(sim.histories, year="year", population=POP[POP["year"] != 2019], reps=50, n_jobs=1)


def test_population_table_checked_before_any_fit(sim, monkeypatch):
    # tester 7, 30: a population table without 'sex' was refused only after the whole bootstrap
    import darkfigure.estimation as estimation

    def no_fit(*a, **k):
        raise AssertionError("the model was fitted before the population table was checked")

    monkeypatch.setattr(estimation, "estimate", no_fit)
    with pytest.raises(DataError, match="no 'sex' column, needed for the rates by sex"):
        monitor(sim.histories, year="year", population=POP.drop(columns="sex"), reps=50, n_jobs=1)
    pop = POP[~((POP["year"] == 2018) & (POP["sex"] == "male"))]
    with pytest.raises(DataError, match="sex = male in year 2018"):
        monitor(sim.histories, year="year", population=pop, reps=50, n_jobs=1)


def test_population_missing_level(res):
    pop = POP[~((POP["year"] == 2018) & (POP["sex"] == "male"))]
    with pytest.raises(DataError, match="sex = male in year 2018"):
        add_rates(res.monitor, pop)


def test_cli_writes_both_files(sim, tmp_path):
    data = tmp_path / "histories.csv"
    sim.histories.to_csv(data, index=False)
    pop = tmp_path / "population.csv"
    POP.to_csv(pop, index=False)
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app,
        ["monitor", str(data), "--year", "year", "--reps", "100", "--seed", "1", "--jobs", "1", "--out", str(out),
         "--suppress-below", "150"],
    )
    assert r.exit_code == 0, r.output
    a = pd.read_csv(out / "monitor.csv", keep_default_na=False)
    b = pd.read_csv(out / "monitor_published.csv", dtype=str, keep_default_na=False)
    assert list(a.columns) == MONITOR_COLUMNS
    assert list(b.columns) == MONITOR_COLUMNS + list(ROUNDED_COLUMNS)  # the page's rounding last (tester 15b, M4)
    assert "<150" in set(b["observed"])
    assert "visible" in r.output
    out2 = tmp_path / "out2"
    r = CliRunner().invoke(
        app,
        ["monitor", str(data), "--year", "year", "--population", str(pop), "--reps", "100", "--seed", "1",
         "--jobs", "1", "--out", str(out2), "--separate-years"],
    )
    assert r.exit_code == 0, r.output
    years = pd.read_csv(out2 / "years.csv")
    assert years["year"].tolist() == [2017, 2018, 2019]
    assert {"joint_nhat", "separate_nhat", "separate_lower", "separate_upper"} <= set(years.columns)
    assert "separate model" in r.output
    assert list(pd.read_csv(out2 / "monitor.csv").columns) == MONITOR_COLUMNS + RATE_COLUMNS
    assert list(pd.read_csv(out2 / "monitor_published.csv").columns) == MONITOR_COLUMNS + RATE_COLUMNS + list(
        ROUNDED_COLUMNS)


def test_cli_bad_inputs(sim, tmp_path):
    data = tmp_path / "histories.csv"
    sim.histories.to_csv(data, index=False)
    pop = tmp_path / "population.csv"
    POP[POP["year"] != 2018].to_csv(pop, index=False)
    run = CliRunner().invoke
    r = run(app, ["monitor", str(data), "--year", "jaar", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "jaar" in r.output
    r = run(app, ["monitor", str(data), "--year", "year", "--population", str(pop), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "2018" in r.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_dutch_like_monitor_with_structural_zeros():
    sim = simulate("dutch_like", seed=11)
    r = monitor(
        sim.histories, year="year", structural_zeros=sim.structural_zeros(), reps=200, seed=5, suppress_below=10
    )
    t = r.table
    years = t[(t["group"] == "total") & (t["year"] != "")]
    for _, row in years.iterrows():
        truth = sim.true_n(year=int(row["year"]))
        assert abs(row["nhat"] / truth - 1) < 0.15
    # The monitor's rows are the estimate's group totals (bookkeeping only). Coverage is not asserted:
    # in this draw the BIC-chosen model underestimates every year by 2-11% and the intervals cover
    # only 2019 (the engine's model choice; the fixed true model gives 27,093 vs 28,570 too).
    est = r.estimate.estimates
    by_year = est[est["group"] == "year"].set_index("level")
    for _, row in years.iterrows():
        e = by_year.loc[row["year"]]
        assert np.isclose(row["nhat"], e["nhat"]) and np.isclose(row["lower"], e["lower"])
        assert row["observed"] == e["observed"]
    st = r.suppressed
    assert recoverable(t, st > 0).size == 0


@pytest.mark.slow
def test_cruyff_reference_tables(reference):
    """boot_mse's tables for simdat (per year, per level by year, per pair of levels by year)."""
    from darkfigure import datasets

    # the conditional Cruyff form (Cruyff's BIC search, boot_mse of the chosen model), not the default
    r = monitor(datasets.load("cruyff_simdat"), year="Y", year_degree=2, reps=1000, seed=1, n_jobs=2, ci="parametric")
    assert r.estimate.conditional is True and r.estimate.settings["search"] == "cruyff"
    t = r.table
    d = reference / "cruyff_mse"
    files = {("total", False): "x", ("total", True): "Y"}
    for c in ("X1", "X2", "X3", "X4"):
        files[(c, True)] = c
    for p in ("X1xX2", "X1xX3", "X1xX4", "X2xX3", "X2xX4", "X3xX4"):
        files[(p.replace("x", ":"), True)] = p  # the reference files keep boot_mse's names (X1xX2)
    close, n = 0, 0
    for (group, by_year), name in files.items():
        ref = pd.read_csv(d / f"cruyff_mse_simdat_boot1000_{name}.csv", dtype={"key": str})
        for _, x in ref.iterrows():
            year = str(int(x["Year"])) if by_year else ""
            level = "" if group == "total" else str(x["key"])
            row = t[(t["group"] == group) & (t["level"] == level) & (t["year"] == year)]
            assert len(row) == 1, (group, level, year)
            row = row.iloc[0]
            assert row["observed"] == x["nobs"]
            assert abs(row["nhat"] - x["Nhat"]) <= 0.5 + 1e-9 or round(row["nhat"]) == x["Nhat"]
            # boot_mse's percentiles may fall below the persons observed (e.g. X1xX4 2:1 in year 2: 1 for 3
            # observed); darkfigure raises such limits to the number observed (N >= n), so compare with that
            lo_ref, hi_ref = max(x["min95"], x["nobs"]), max(x["max95"], x["nobs"])
            for ours, theirs in ((row["lower"], lo_ref), (row["upper"], hi_ref)):
                assert abs(ours - theirs) <= 0.25 * theirs + 1, (group, level, year, ours, theirs)
                close += abs(ours - theirs) <= 0.1 * theirs + 1
                n += 1
    # Monte-Carlo error of a percentile from 1,000 replicates (different random streams from R's)
    assert close >= 0.9 * n, f"{close} of {n} bounds within 10% of boot_mse"


def test_compare_years_with_structural_zeros():
    import copy

    sc = copy.deepcopy(SCENARIO)
    sc["lists"]["ngo"]["years"] = [2018, 2019]
    sc["lists"]["inspect"]["cannot_register"] = {"form": ["sexual"]}
    sim = simulate(sc, seed=5)
    c = compare_years(sim.histories, "year", structural_zeros=sim.structural_zeros(), reps=50, seed=1, n_jobs=1)
    tab = c.table.set_index("year")
    # the list that did not exist in 2017 is left out of that year's own model, and said so
    assert tab.loc["2017", "separate_lists"] == "police,inspect"
    assert tab.loc["2018", "separate_lists"] == "police,ngo,inspect"
    assert any("ngo" in n and "2017" in n for n in c.notes)
    # the declaration on form is kept in every year's model
    assert c.separate[2018].settings["structural_zeros"] == [["inspect", "form", "sexual"]]
    assert np.isfinite(tab["separate_nhat"]).all() and np.isfinite(tab["joint_nhat"]).all()
    assert tab["observed"].sum() == sim.n_observed


@pytest.mark.slow
def test_coverage_over_replicate_populations():
    """Total and per-year intervals cover the truth in most of 100 simulated populations (measured: 90-93%)."""
    hits = {y: 0 for y in ["", "2017", "2018", "2019"]}
    rel = []
    n = 100
    for s in range(n):
        sim = simulate(SCENARIO, seed=1000 + s)
        t = monitor(sim.histories, year="year", reps=200, seed=s, n_jobs=1).table
        for _, r in t[t["group"] == "total"].iterrows():
            truth = _truth(sim, "total", "", r["year"])
            hits[r["year"]] += r["lower"] <= truth <= r["upper"]
            if r["year"] == "":
                rel.append(r["nhat"] / truth - 1)
    assert abs(np.mean(rel)) < 0.05, np.mean(rel)
    for y, h in hits.items():
        assert h >= 0.85 * n, (y, h, n)


def test_default_interval_carries_model_selection_uncertainty(sim, res):
    """The monitor's default is estimate's: the model-averaged bootstrap with the search repeated, said in the
    result; Cruyff's conditional form (search and boot_mse) is an option and is labelled conditional."""
    e = res.estimate
    assert e.settings["ci"] == "averaged" and e.settings["search"] == "stratified"
    assert e.settings["search_repeated_in_bootstrap"] is True and e.conditional is False
    assert e.to_dict()["interval"]["conditional_on_chosen_model"] is False
    # the monitor's rows are the model-averaged totals (the estimate's groups), not the chosen model's
    t = res.table
    est = e.estimates.set_index(["group", "level"])
    total = t[(t["group"] == "total") & (t["year"] == "")].iloc[0]
    assert np.isclose(total["nhat"], e.nhat) and np.isclose(total["nhat"], est.loc[("total", ""), "nhat"])
    c = monitor(sim.histories, year="year", reps=50, seed=1, n_jobs=1, ci="parametric")
    assert c.estimate.settings["search"] == "cruyff" and c.estimate.conditional is True
    assert c.estimate.settings["search_repeated_in_bootstrap"] is False
    with pytest.raises(ValueError, match="ci must be one of"):
        monitor(sim.histories, year="year", reps=50, n_jobs=1, ci="profile")


def test_monitor_search_follows_the_interval():
    from darkfigure.monitoring.core import monitor_search

    assert monitor_search("averaged") == "auto" and monitor_search("AVERAGED") == "auto"
    assert monitor_search("parametric") == "cruyff" and monitor_search("nonparametric") == "cruyff"
    assert monitor_search("averaged", missing="em") == "cruyff"  # the EM bootstrap is built for one model
