"""link's ``year`` (year of first registration) by the same rule in every command that reads a link output (s24).

estimate and monitor leave it out unless named (tests/test_link_first_year.py). Here the others: compare, validate
and strata given the link folder's histories.csv, estimate given that file from a folder without match
probabilities, the Python ``compare``/``validate``, and the monitor's terminal. A histories.csv outside a link
folder is read as before (year a covariate by default). The link output is tests/test_link_first_year.py's: 4,000
persons on 4 independent lists, registrations dated over 2023-2024, true pairs (no Splink); there year as a
covariate puts N̂ about 10% too high.
"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from darkfigure.cli import app
from darkfigure.pipeline.first_year import LEFT_OUT, USED, is_link_output
from test_link_first_year import N, _result


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """(link folder, its histories.csv copied into a folder of its own, a link folder without match probabilities)."""
    root = tmp_path_factory.mktemp("first_year_cmds")
    lk = root / "lk"
    _result().write(lk, plot=False)
    plain = root / "plain"
    plain.mkdir()
    shutil.copy(lk / "histories.csv", plain / "histories.csv")
    bare = root / "bare"
    bare.mkdir()
    for f in ("histories.csv", "links.csv"):
        shutil.copy(lk / f, bare / f)
    return lk, plain / "histories.csv", bare


def _flat(text: str) -> str:
    return " ".join(text.split())


def _run(*args: str):
    r = CliRunner().invoke(app, [str(a) for a in args])
    return r, _flat(r.output)


def test_a_link_output_is_the_folder_or_its_histories_file(folders):
    lk, plain, bare = folders
    assert is_link_output(lk) and is_link_output(lk / "histories.csv") and is_link_output(str(lk / "histories.csv"))
    assert is_link_output(bare / "histories.csv")  # no pairs.parquet: still link's file
    assert not is_link_output(plain) and not is_link_output(plain.parent / "plain")
    assert not is_link_output(lk / "persons.csv") and not is_link_output(lk / "nothing.csv")
    assert not is_link_output(None) and not is_link_output("kosovo")


def test_compare_on_a_link_histories_file_leaves_year_out(folders, tmp_path):
    lk, plain, _ = folders
    r, out = _run("compare", lk / "histories.csv", "--methods", "loglinear-bic", "--no-validation", "--seed", "1",
                  "--out", tmp_path / "c")
    assert r.exit_code == 0, r.output
    assert out.count("is not used as a covariate") == 1 and "year here is" not in out
    info = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert info["data"]["covariates"] == ["sex"] and info["notes"] == [LEFT_OUT]
    row = next(ln for ln in r.output.splitlines() if "loglinear-bic" in ln and "│" in ln)
    assert "year" not in row
    linked = float(row.split("│")[2].replace(",", ""))
    # the same file outside a link folder: read as any capture histories, year a covariate, no note
    r2, out2 = _run("compare", plain, "--methods", "loglinear-bic", "--no-validation", "--seed", "1")
    assert r2.exit_code == 0, r2.output
    assert "is not used as a covariate" not in out2 and "year here is" not in out2
    row2 = next(ln for ln in r2.output.splitlines() if "loglinear-bic" in ln and "│" in ln)
    assert ":year" in row2
    as_plain = float(row2.split("│")[2].replace(",", ""))
    assert abs(linked / N - 1) < 0.05 and as_plain > linked * 1.03


def test_compare_with_year_named_says_what_it_is(folders):
    lk, _, _ = folders
    r, out = _run("compare", lk / "histories.csv", "--year", "year", "--methods", "loglinear-bic", "--no-validation",
                  "--seed", "1")
    assert r.exit_code == 0, r.output
    assert out.count("year here is each person's year of first registration") == 1
    assert "is not used as a covariate" not in out


def test_validate_on_a_link_histories_file_leaves_year_out(folders):
    lk, _, _ = folders
    r, out = _run("validate", lk / "histories.csv", "--methods", "loglinear-bic", "--seed", "1", "--reps", "50")
    assert r.exit_code == 0, r.output
    assert out.count("is not used as a covariate") == 1
    from darkfigure.validate import validate

    t = validate(lk / "histories.csv", ["loglinear-bic"], seed=1, reps=50)
    assert t.attrs["notes"] == [LEFT_OUT]


def test_python_compare_on_a_link_histories_file(folders):
    import darkfigure as dfg
    from darkfigure.comparison import compare

    lk, plain, _ = folders
    c = dfg.compare(lk / "histories.csv", methods=["loglinear-bic"], seed=1, reps=50, headline=False)
    assert LEFT_OUT in c.notes and "year" not in str(c.table.loc[0, "model"])
    c = dfg.compare(lk / "histories.csv", methods=["loglinear-bic"], seed=1, reps=50, headline=False, year="year")
    assert USED in c.notes and LEFT_OUT not in c.notes
    t = compare(plain, ["loglinear-bic"], seed=1, reps=50, headline=False)
    assert "notes" not in t.attrs and "year" in str(t.loc[0, "model"])


def test_strata_by_year_of_a_link_output_says_what_its_strata_are(folders):
    lk, plain, _ = folders
    args = ["--by", "year", "--search", "none", "--reps", "50", "--seed", "1"]
    r, out = _run("strata", lk / "histories.csv", *args)
    assert r.exit_code == 0, r.output
    assert out.count("year here is each person's year of first registration") == 1
    r, out = _run("strata", plain, *args)
    assert r.exit_code == 0, r.output
    assert "year here is" not in out
    # --by sex: strata uses the --by columns only, so year is not used and nothing is said
    r, out = _run("strata", lk / "histories.csv", "--by", "sex", "--search", "none", "--reps", "50")
    assert r.exit_code == 0, r.output
    assert "year here is" not in out and "is not used as a covariate" not in out


def test_strata_refuses_a_link_folder_as_compare_does(folders):
    lk, _, _ = folders
    r, out = _run("strata", lk, "--by", "sex")
    assert r.exit_code == 2
    assert "`darkfigure link` output folder" in out and "histories.csv" in out and "cannot read" not in out


def test_estimate_on_the_histories_file_of_a_folder_without_probabilities(folders):
    from darkfigure.estimation import estimate

    _, plain, bare = folders
    r, out = _run("estimate", bare / "histories.csv", "--ci", "none", "--assumption-range", "off")
    assert r.exit_code == 0, r.output
    assert out.count("is not used as a covariate") == 1 and "sex (2 levels)" in out and "year (2 levels)" not in out
    e = estimate(bare / "histories.csv", ci="none", assumption_range="off")
    assert e.histories.covariates == ("sex",) and LEFT_OUT in e.notes
    e = estimate(plain, ci="none", assumption_range="off")
    assert "year" in e.histories.covariates and LEFT_OUT not in e.notes


def test_monitor_prints_what_its_years_are(folders, tmp_path):
    lk, _, _ = folders
    r, out = _run("monitor", lk, "--year", "year", "--ci", "parametric", "--reps", "50", "--seed", "1", "--linkage",
                  "none", "--out", tmp_path / "m")
    assert r.exit_code == 0, r.output
    assert out.count("year here is each person's year of first registration") == 1
