"""link's ``year`` (each person's year of first registration) is no default covariate of estimate on a link output.

s24 (new user, darkfigure issue #11): with registrations dated over two years independently of the person, the
year of first registration depends on how many lists registered a person, and as a covariate it biased the total
(benchmarks/first_year_study.py). Here a link output of such registrations (true pairs scored 0.9, no Splink):
the default leaves ``year`` out and says so; named, it is used and a note says what its per-year N̂ are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import darkfigure as dfg
from darkfigure.cli import app
from darkfigure.estimation import estimate
from darkfigure.linkage import LinkageResult, persons_from_pairs
from darkfigure.pipeline.first_year import LEFT_OUT, USED, first_year_covariate

N = 4000


def _result(seed: int = 251) -> LinkageResult:
    """N persons, 4 independent lists (p .25-.35), sex; one registration per list that caught the person, dated
    uniformly over 2023-2024 whoever it belongs to; every true pair scored 0.9."""
    rng = np.random.default_rng(seed)
    p = np.array([.25, .3, .2, .35])
    sex = rng.choice(["f", "m"], N)
    cap = rng.random((N, 4)) < p
    person, org = np.nonzero(cap)
    day = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 731, person.size), "D")
    records = pd.DataFrame({"organisation": [f"org{j}" for j in org], "record_id": [f"R{i}" for i in range(org.size)],
                            "registration_date": day.strftime("%Y-%m-%d"), "has_date_of_birth": True,
                            "sex": sex[person]})
    rows = pd.Series(np.arange(person.size)).groupby(person).apply(list)
    left, right = np.array([(a, b) for g in rows for i, a in enumerate(g) for b in g[i + 1:]]).T
    pairs = pd.DataFrame({"record_l": left, "record_r": right, "match_probability": 0.9})
    labels, persons, h = persons_from_pairs(records, pairs, 0.5)
    links = records[["organisation", "record_id"]].assign(person_id=labels)
    return LinkageResult(links=links, persons=persons, histories=h, lists=tuple(h.lists),
                         covariates=tuple(h.covariates), encoding="plaintext", engine="duckdb", threshold=0.5,
                         covariate_rule="most_frequent", warnings=[], pairs=pairs, records=records)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("first_year") / "lk"
    _result().write(out, plot=False)
    return out


def test_link_writes_the_year_of_first_registration(folder):
    h = pd.read_csv(folder / "histories.csv")
    assert "year" in h.columns and set(h["year"]) == {2023, 2024}


def test_estimate_leaves_year_out_by_default_and_says_so(folder):
    est = estimate(folder, ci="none", linkage="none", assumption_range="off")
    assert est.histories.covariates == ("sex",)
    assert LEFT_OUT in est.notes and USED not in est.notes
    assert "year" not in set(est.estimates["group"])
    # the default is the fit without year, asked for by name
    named = estimate(folder, covariates=["sex"], ci="none", linkage="none", assumption_range="off")
    assert est.nhat == pytest.approx(named.nhat, rel=1e-9)


def test_year_named_is_used_and_explained(folder):
    est = estimate(folder, year="year", ci="none", linkage="none", assumption_range="off")
    assert "year" in est.histories.covariates and USED in est.notes and LEFT_OUT not in est.notes
    years = est.estimates[est.estimates["group"] == "year"]
    assert sorted(years["level"].astype(str)) == ["2023", "2024"]


def test_year_of_first_registration_biases_the_total_here(folder):
    # independent lists: the total without year is unbiased; with it the 2023 stratum gets never-registered persons
    # who cannot exist (nobody unregistered was first registered in 2023), so N̂ comes out too high
    # (benchmarks/first_year_study.py: +6.9% on average, 50 populations of 1,700)
    default = estimate(folder, ci="none", linkage="none", assumption_range="off")
    named = estimate(folder, covariates=["sex", "year"], ci="none", linkage="none", assumption_range="off")
    assert abs(default.nhat / N - 1) < 0.05
    assert named.nhat > default.nhat * 1.03


def test_cli_prints_the_note_once(folder):
    r = CliRunner().invoke(app, ["estimate", str(folder), "--ci", "none", "--linkage", "none",
                                 "--assumption-range", "off"])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert flat.count("is not used as a covariate") == 1 and "--year registration_year" in flat
    assert "sex (2 levels)" in flat and "year (2 levels)" not in flat
    r = CliRunner().invoke(app, ["estimate", str(folder), "--covariates", "sex,year", "--ci", "none", "--linkage",
                                 "none", "--assumption-range", "off"])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert "year (2 levels)" in flat and flat.count("year here is each person's year of first registration") == 1


def test_first_year_covariate_keeps_every_person():
    h = dfg.CaptureHistories.from_records(pd.DataFrame({
        "a": [1, 0, 1, 1], "b": [0, 1, 1, 1], "sex": ["f", "m", "f", "m"], "year": ["2023", "2024", "2023", "2024"]}),
        lists=["a", "b"], covariates=["sex", "year"])
    out = first_year_covariate(h, None, None)
    assert out.covariates == ("sex",) and out.n_observed == h.n_observed and out.notes[-1] == LEFT_OUT
    assert first_year_covariate(h, "sex,year", None).covariates == ("sex", "year")
    assert first_year_covariate(h, ["sex", "year"], None).notes[-1] == USED
    assert first_year_covariate(h, None, "year").covariates == ("sex", "year")
    # --year naming a column of the user's own does not ask for link's year
    other = first_year_covariate(h, None, "year_of_exploitation")
    assert other.covariates == ("sex",) and other.notes[-1] == LEFT_OUT
    plain = first_year_covariate(h.collapse(["sex"]), None, None)
    assert plain.covariates == ("sex",) and LEFT_OUT not in plain.notes


def test_monitor_on_a_link_output_says_what_its_years_are(folder):
    from darkfigure.monitoring import monitor

    res = monitor(folder, year="year", ci="parametric", reps=50, seed=1, linkage="none", assumption_range="off")
    assert USED in res.estimate.notes and LEFT_OUT not in res.estimate.notes
