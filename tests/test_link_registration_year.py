"""Per-year units from one link run: ``--year registration_year`` (issue 11: "the monitor's per-year tables").

A per-year multiple systems estimate counts the victims of a year: a unit is a person in a calendar year, seen by
the lists that registered the person that year. ``link``'s own ``year`` (first registration) is no such unit
(tests/test_link_first_year.py). Here the registrations of tests/test_link_first_year.py (4,000 persons, 4
independent lists, each registration dated uniformly over 2023-2024 whoever it belongs to) have 4,000 victims in
each year: each list registers a person in a given year with probability p_j / 2, independently of the other lists.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.estimation import estimate
from darkfigure.linkage import persons_from_links
from darkfigure.linkage.link_run import read_link_run
from darkfigure.pipeline.first_year import PER_YEAR, REGISTRATION_YEAR
from test_link_first_year import N, _result


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("registration_year") / "lk"
    _result().write(out, plot=False)
    return out


def test_units_are_persons_per_calendar_year():
    regs = pd.DataFrame({
        "organisation": ["a", "b", "a", "b", "a"],
        "record_id": ["1", "2", "3", "4", "5"],
        "registration_date": ["2023-03-01", "2024-05-01", "2024-06-01", "2023-02-01", "2024-07-01"],
        "sex": ["f", None, None, "m", "m"],
    })
    persons, h = persons_from_links(regs, ["A", "A", "A", "B", "C"], by_year=True)
    assert REGISTRATION_YEAR in h.covariates and "year" not in h.covariates
    got = {(r.person_id, r.registration_year): (r.a, r.b, r.sex) for r in persons.itertuples()}
    assert got == {("P0000001", 2023): (1, 0, "f"), ("P0000001", 2024): (1, 1, "f"),  # sex of 2024 unknown: 2023's
                   ("P0000002", 2023): (0, 1, "m"), ("P0000003", 2024): (1, 0, "m")}
    assert h.n_observed == 4
    _, h1 = persons_from_links(regs, ["A", "A", "A", "B", "C"])
    assert h1.n_observed == 3  # per person: one unit each


def test_per_year_nhat_is_the_victims_of_each_year():
    """Over 6 seeds the per-year N̂ average 4,000 (sd of one seed about 150); by first registration year they are
    about 2,140, the persons first registered that year."""
    rows = []
    for seed in range(300, 306):
        run = read_link_run_of(_result(seed))
        est = estimate(run.per_year().histories(), linkage_run=run, year=REGISTRATION_YEAR, ci="none",
                       linkage="none", assumption_range="off").estimates
        by_year = est[est["group"] == REGISTRATION_YEAR].set_index("level")["nhat"]
        rows.append([by_year["2023"], by_year["2024"]])
    mean = np.mean(rows, axis=0)
    assert np.all(np.abs(mean / N - 1) < 0.04), mean


def read_link_run_of(result):
    from darkfigure.linkage.link_run import LinkRun

    return LinkRun.from_result(result)


def test_the_folder_with_registration_year_corrects_each_year(folder):
    est = estimate(folder, year=REGISTRATION_YEAR, linkage_draws=3, linkage_reps=20, reps=20, seed=1,
                   assumption_range="off")
    assert est.histories.n_observed > read_link_run(folder).histories().n_observed  # person-years > persons
    assert PER_YEAR in est.notes
    assert "The total counts person-years" in est.to_publish()["statement"]
    rows = est.estimates[est.estimates["group"] == REGISTRATION_YEAR]
    assert set(rows["level"]) == {"2023", "2024"}
    assert est.linkage is not None
    assert np.isfinite(rows[["lower", "upper"]].to_numpy(float)).all()


def test_monitor_cli_says_what_a_unit_is(folder, tmp_path):
    r = CliRunner().invoke(app, ["monitor", str(folder), "--year", REGISTRATION_YEAR, "--linkage", "none",
                                 "--reps", "20", "--seed", "1", "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    assert "person-years, not persons" in r.output
    assert "person-years (a person per calendar year of registration) on 4 lists" in r.output  # the data line
    mon = pd.read_csv(tmp_path / "m" / "monitor.csv")
    assert {2023, 2024} <= set(mon["year"].dropna().astype(int))


def test_registration_year_needs_the_runs_registrations(folder, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(folder, bare)
    (bare / "records.parquet").unlink()
    (bare / "pairs.parquet").unlink()
    r = CliRunner().invoke(app, ["estimate", str(bare), "--year", REGISTRATION_YEAR, "--ci", "none"])
    assert r.exit_code == 2, r.output
    assert "registration_year needs the registrations of the link run" in r.output


def test_strata_and_compare_say_where_registration_year_comes_from(folder, tmp_path):
    hist = str(folder / "histories.csv")
    r = CliRunner().invoke(app, ["strata", hist, "--by", REGISTRATION_YEAR, "--out", str(tmp_path / "s")])
    assert r.exit_code == 2 and "monitor --year registration_year" in " ".join(r.output.split()), r.output
    r = CliRunner().invoke(app, ["compare", hist, "--covariates", f"sex,{REGISTRATION_YEAR}"])
    assert r.exit_code == 2 and "year is that of first registration" in " ".join(r.output.split()), r.output


def test_the_refitted_linkage_correction_takes_registration_year(folder):
    """The chosen model refitted on every draw (--ci parametric, as with --missing em) checks the covariates against
    the run: registration_year is made from registration_date, as year is (s25 fresh clone, high: it was refused
    with 're-link with them')."""
    est = estimate(folder, year=REGISTRATION_YEAR, ci="parametric", linkage_draws=3, linkage_reps=20, reps=20, seed=1,
                   assumption_range="off")
    rows = est.estimates[est.estimates["group"] == REGISTRATION_YEAR]
    assert est.linkage is not None and set(rows["level"]) == {"2023", "2024"}
    assert np.isfinite(rows[["nhat", "lower", "upper"]].to_numpy(float)).all()


def test_one_calendar_year_is_said_not_estimated(tmp_path):
    res = _result()
    res.records["registration_date"] = "2023-05-01"
    from darkfigure.linkage import LinkageResult, persons_from_pairs

    labels, persons, h = persons_from_pairs(res.records, res.pairs, 0.5)
    one = LinkageResult(links=res.records[["organisation", "record_id"]].assign(person_id=labels), persons=persons,
                        histories=h, lists=tuple(h.lists), covariates=tuple(h.covariates), encoding="plaintext",
                        engine="duckdb", threshold=0.5, covariate_rule="most_frequent", warnings=[],
                        pairs=res.pairs, records=res.records)
    one.write(tmp_path / "lk", plot=False)
    r = CliRunner().invoke(app, ["estimate", str(tmp_path / "lk"), "--year", REGISTRATION_YEAR, "--ci", "none",
                                 "--linkage", "none"])
    assert r.exit_code == 2 and "falls in one calendar year" in " ".join(r.output.split()), r.output
