"""The command line as a user meets it: outputs, files, help, and errors."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from darkfigure.cli import app

runner = CliRunner()


def test_estimate_bundled_dataset_writes_outputs(tmp_path):
    r = runner.invoke(app, ["estimate", "hiv_rome", "--ci", "parametric", "--seed", "1", "--reps", "200", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "N̂" in r.output
    est = pd.read_csv(tmp_path / "estimates.csv")
    assert list(est.columns) == ["group", "level", "observed", "nhat", "lower", "upper", "dark_figure",
                                 "dark_figure_lower", "dark_figure_upper", "status"]
    # the dark figure and its interval: N̂ and its limits minus the persons registered (tester report 6, L1)
    assert est[["dark_figure", "dark_figure_lower", "dark_figure_upper"]].to_numpy() == pytest.approx(
        est[["nhat", "lower", "upper"]].to_numpy() - est[["observed"]].to_numpy())
    assert est.loc[0, "group"] == "total" and est.loc[0, "observed"] == 1896
    # main effects is chosen on HIV (every peer agrees): 11,124.6
    assert est.loc[0, "nhat"] == pytest.approx(11124.58, rel=1e-6)
    assert est.loc[0, "lower"] < est.loc[0, "nhat"] < est.loc[0, "upper"]
    res = json.loads((tmp_path / "result.json").read_text())
    assert res["model"]["status"] == "ok"
    assert res["interval"]["method"] == "parametric"
    assert res["search"]["path"]


def test_estimate_file_with_year_and_covariates(tmp_path):
    from darkfigure import datasets

    f = tmp_path / "simdat.csv"
    datasets.load_frame("cruyff_simdat").to_csv(f, index=False)
    r = runner.invoke(
        app,
        ["estimate", str(f), "--year", "Y", "--year-degree", "2", "--search", "cruyff", "--ci", "none",
         "--out", str(tmp_path / "o")],
    )
    assert r.exit_code == 0, r.output
    est = pd.read_csv(tmp_path / "o" / "estimates.csv")
    assert est.loc[0, "nhat"] == pytest.approx(11406.42, abs=0.01)
    years = est[est["group"] == "Y"]
    assert years["nhat"].round().tolist() == [5661, 2249, 1667, 1829]  # boot_mse's table
    assert set(est["group"]) >= {"total", "Y", "X1", "X1:X2", "X1:Y"}


def test_help_explains_every_option():
    r = runner.invoke(app, ["estimate", "--help"])
    assert r.exit_code == 0
    for opt in ["--lists", "--covariates", "--year", "--year-degree", "--search", "--criterion", "--ci", "--reps", "--seed", "--out"]:
        assert opt in r.output


def test_datasets_command_lists_bundled_data():
    r = runner.invoke(app, ["datasets"])
    assert r.exit_code == 0
    assert "uk_2013" in r.output and "netherlands_2010_2015" in r.output


@pytest.mark.parametrize(
    "args, match",
    [
        (["estimate", "no_such_thing"], "not found"),
        (["estimate", "hiv_rome", "--lists", "c1,zz"], "unknown list column 'zz'"),
        (["estimate", "hiv_rome", "--search", "magic"], "search (--search) must be one of"),
        (["estimate", "hiv_rome", "--year-degree", "2"], "needs --year"),
    ],
)
def test_errors_are_clear_and_exit_nonzero(args, match):
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert match in r.output


def test_empty_file(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    r = runner.invoke(app, ["estimate", str(f)])
    assert r.exit_code == 2 and "empty" in r.output


def test_unidentified_model_is_not_printed_as_a_number(tmp_path):
    # Artificial_3 with A:B: the MLE of N does not exist (SparseMSE checkallmodels)
    r = runner.invoke(app, ["estimate", "artificial_3", "--model", "A:B", "--ci", "none", "--out", str(tmp_path)])
    assert r.exit_code == 3, r.output  # 3: the data cannot identify N
    assert "not identified" in r.output
    res = json.loads((tmp_path / "result.json").read_text())
    assert res["nhat"] is None
    assert res["model"]["status"] == "not identified"


def test_lists_that_share_nobody_give_no_estimate_and_no_traceback(tmp_path):
    f = tmp_path / "disjoint.csv"
    f.write_text("A,B,count\n1,0,100\n0,1,80\n")
    r = runner.invoke(app, ["estimate", str(f)])
    assert r.exit_code == 3, r.output
    assert "not identified" in r.output
    assert "Traceback" not in r.output


def test_count_column_under_another_name_is_found(tmp_path):
    f = tmp_path / "freq.csv"
    f.write_text("A,B,C,Freq\n1,0,0,60\n0,1,0,49\n0,0,1,72\n1,1,0,9\n1,0,1,14\n0,1,1,12\n1,1,1,5\n")
    r = runner.invoke(app, ["estimate", str(f), "--ci", "none", "--search", "none", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "o" / "estimates.csv").loc[0, "observed"] == 221


def test_identifier_column_is_left_out_with_a_note(tmp_path):
    # one row per person with a record number: the number is ignored, said (tester 15b, M1; it was refused)
    rows = "\n".join(f"{i},{i % 2},{(i // 2) % 2 if i % 2 else 1}" for i in range(1, 60))
    f = tmp_path / "persons.csv"
    f.write_text("id,A,B\n" + rows + "\n")
    r = runner.invoke(app, ["estimate", str(f), "--ci", "none", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "identifier column 'id'" in r.output and "it is ignored" in r.output


def test_unwritable_out_is_a_clear_error(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    r = runner.invoke(app, ["estimate", "hiv_rome", "--ci", "none", "--out", str(blocker)])
    assert r.exit_code == 2 and "cannot write the results" in r.output


def test_too_few_replicates_refused():
    r = runner.invoke(app, ["estimate", "hiv_rome", "--reps", "2"])
    assert r.exit_code == 2 and "far too few" in r.output


def test_version_flag():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip()


def test_help_columns_are_not_squeezed_or_cut():
    """Tester report 6, L4: compare's option names whole, no cut docs path, no misleading --count default."""
    env = {"COLUMNS": "80", "TERMINAL_WIDTH": "80"}
    c = runner.invoke(app, ["compare", "--help"], env=env).output
    assert "--drop-empty-lists" in c and "--drop-empty-lis…" not in c and "--no-validation" in c
    e = runner.invoke(app, ["estimate", "--help"], env=env).output
    assert "[default: count]" not in e and "identifying_assumption.…" not in e
    r = runner.invoke(app, ["compare", "hiv_rome", "--methods", "Mt", "--validation"], env=env)
    assert "No such option" not in r.output


def test_a_sparse_tables_deviance_test_is_not_said_to_pass(cli):
    # tester 7, 21: "goodness of fit passed" beside a to-publish sentence saying the deviance test rejects the model
    out = cli(["estimate", "cruyff_simdat", "--year", "Y", "--year-degree", "2", "--seed", "1", "--reps", "200"],
              code=0, says=["goodness of fit not used (sparse table)",
                            # tester 7, 21: the progress named the search asked for, not the one that ran
                            "the stratified stepwise search fell back to Cruyff et al.'s stepwise search (BIC, as "
                            "--search cruyff "
                            "chooses"])
    assert "goodness of fit passed" not in " ".join(out.split())
