"""``darkfigure estimate DATA --method dga``: the lean path (plain CSV, before typer loads) and the usual one
print the same; anything the lean reader does not accept goes the usual way; options that do not apply are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from darkfigure.bayes.dga import dga
from darkfigure.cli import app
from darkfigure.datasets import load

runner = CliRunner()
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _csv(path: Path, name: str = "dga_example_5list") -> Path:
    h = load(name)
    t = h.table[list(h.lists) + ["count"]]
    t.to_csv(path, index=False)
    return path


def _process(*args: str, importtime: bool = False) -> subprocess.CompletedProcess:
    """A fresh ``python -m darkfigure.cli`` process, as the user runs it."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "COLUMNS": "200"}
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "darkfigure.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def _in_process(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_lean_path_prints_what_the_usual_path_prints_without_typer(tmp_path):
    f = _csv(tmp_path / "five.csv")
    lean = _process("estimate", str(f), "--method", "dga", "--level", "0.9", importtime=True)
    assert lean.returncode == 0, lean.stderr
    loaded = {ln.split("|")[-1].strip().split(".")[0] for ln in lean.stderr.splitlines() if ln.startswith("import time")}
    assert not loaded & {"typer", "rich", "pandas", "scipy", "numba", "matplotlib"}, loaded
    usual = _in_process("estimate", str(f), "--method", "dga", "--level", "0.9")
    assert usual.exit_code == 0, usual.output
    assert lean.stdout.splitlines() == usual.output.splitlines()
    # the numbers are dga()'s
    r = dga(load("dga_example_5list"), level=0.9)
    assert f"N̂            {r.median:,.0f}  (90% credible interval {r.ci_low:,.0f} – {r.ci_high:,.0f}" in lean.stdout
    assert "822 decomposable graphs" in lean.stdout
    # lists A-E: no name reads like a covariate, so no note that they were taken from the 0/1 columns (s24 L4)
    assert "lists taken to be the 0/1 columns" not in lean.stdout
    assert "to publish: " in lean.stdout and "only with the caveat that dga checks nothing" in lean.stdout


def test_tables_the_lean_reader_leaves_to_the_usual_path(tmp_path):
    """A repeated pattern (summed, with a note), a list in named columns, 3 lists with a covariate: same numbers
    as dga() on the usual reader's histories."""
    f = _csv(tmp_path / "three.csv", "dga_example_3list")
    text = f.read_text().splitlines()
    dup = tmp_path / "dup.csv"
    first = text[1].split(",")
    half = int(first[-1]) // 2
    dup.write_text("\n".join([text[0], ",".join(first[:-1] + [str(half)]), ",".join(first[:-1] + [str(int(first[-1]) - half)]),
                              *text[2:]]) + "\n")
    out = _process("estimate", str(dup), "--method", "dga")
    assert out.returncode == 0, out.stderr
    assert "summed 1 duplicate pattern row(s)" in out.stdout
    r = dga(load("dga_example_3list"))
    assert f"{r.median:,.0f}  (95% credible interval {r.ci_low:,.0f} – {r.ci_high:,.0f}" in out.stdout
    cov = _process("estimate", "spina_bifida_ny", "--method", "dga")
    assert cov.returncode == 0 and "summed over" in cov.stdout


def test_options_that_do_not_apply_and_bad_data_are_refused(tmp_path):
    f = _csv(tmp_path / "five.csv")
    r = _in_process("estimate", str(f), "--method", "dga", "--ci", "profile", "--seed", "3")
    assert r.exit_code == 2 and "--ci does not apply to --method dga" in " ".join(r.output.split())
    r = _in_process("estimate", str(f), "--method", "bayes")
    assert r.exit_code == 2 and "--method must be one of loglinear, dga" in " ".join(r.output.split())
    six = _process("estimate", "uk_2013", "--method", "dga")
    assert six.returncode == 2 and "3 to 5 lists; these data have 6 lists" in " ".join(six.stderr.split())
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,C,count\n1,0,0,5\n0,1,0,x\n0,0,1,4\n")
    out = _process("estimate", str(bad), "--method", "dga")
    assert out.returncode == 2 and "must be numeric; row 2" in " ".join(out.stderr.split())


@pytest.mark.parametrize("argv", [["estimate", "x.csv", "--method", "dga"], ["estimate", "x.csv", "--method=dga", "--level=0.8"]])
def test_lean_arguments(argv):
    from darkfigure.cli.lean import _lean_args

    assert _lean_args(argv) == ("x.csv", 0.8 if "--level=0.8" in argv else 0.95)
    for other in (["estimate", "x.csv"], ["estimate", "x.csv", "--method", "dga", "--seed", "1"],
                  ["compare", "x.csv", "--method", "dga"], ["estimate", "x.csv", "--method", "dga", "--level", "1.5"],
                  ["estimate", "x.csv", "y.csv", "--method", "dga"]):
        assert _lean_args(other) is None


# ---------------------------------------------------------------- one identifiability rule (tester report 6, H1/H2)
def test_estimate_and_compare_agree_when_dga_does_not_identify_n(tmp_path):
    """artificial_3: dga's upper credible limit 5,277 is 55 times the 96 observed. The lean path (plain CSV),
    the usual path (dataset name) and compare all say "not identified" and exit 3; no N̂ is printed."""
    f = _csv(tmp_path / "a3.csv", "artificial_3")
    lean = _process("estimate", str(f), "--method", "dga")
    usual = _in_process("estimate", "artificial_3", "--method", "dga")
    for code, text in ((lean.returncode, lean.stdout), (usual.exit_code, usual.output)):
        flat = " ".join(text.split())
        assert code == 3, text
        assert "N̂ not identified by these data: the upper credible limit (5,277) is 55 times the 96 persons" in flat
        assert "292" not in flat and "dark figure" not in flat  # the median is not shown as an estimate
    assert lean.stdout.splitlines()[2:5] == usual.output.splitlines()[2:5]
    comp = _in_process("compare", "artificial_3", "--methods", "dga", "--no-validation")
    assert comp.exit_code == 3, comp.output
    assert "not identified" in comp.output and "292" not in comp.output


def test_estimate_dga_writes_out_and_notes_an_unused_seed(tmp_path):
    out = tmp_path / "res"
    r = _in_process("estimate", "kosovo_1999", "--method", "dga", "--out", str(out), "--seed", "1")
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert "--seed 1 is not used: dga is deterministic" in flat and "Wrote" in flat
    import json

    info = json.loads((out / "result.json").read_text())
    ref = dga(load("kosovo_1999"))
    assert info["method"] == "dga" and info["status"] == "ok"
    assert (info["nhat"], info["lower"], info["upper"]) == (ref.median, ref.ci_low, ref.ci_high)
    assert info["seed"]["used"] is False
    assert (out / ".darkfigure-outputs.json").exists()  # written through darkfigure.outputs
    import pandas as pd

    post = pd.read_csv(out / "posterior.csv")
    assert post["probability"].sum() == pytest.approx(1.0)
    # a second run into the same folder replaces darkfigure's own files; a stranger's file is refused
    assert _in_process("estimate", "kosovo_1999", "--method", "dga", "--out", str(out)).exit_code == 0
    (out / "posterior.csv").unlink()
    (out / "posterior.csv").write_text("mine\n")
    again = _in_process("estimate", "kosovo_1999", "--method", "dga", "--out", str(out))
    assert again.exit_code == 2 and "posterior.csv" in "".join(again.output.split())  # a long path wraps anywhere
    rep = _in_process("estimate", "kosovo_1999", "--method", "dga", "--out", str(out), "--report")
    assert rep.exit_code == 2 and "compare DATA --methods dga --out DIR --report" in " ".join(rep.output.split())


def test_estimate_dga_out_when_not_identified_has_no_nhat(tmp_path):
    out = tmp_path / "res"
    r = _in_process("estimate", "artificial_3", "--method", "dga", "--out", str(out))
    assert r.exit_code == 3, r.output
    import json

    info = json.loads((out / "result.json").read_text())
    assert info["status"] == "not identified" and info["nhat"] is None and info["upper"] is None
    assert "55 times" in info["unidentified"]
    assert "292" not in (out / "estimates.csv").read_text()


@pytest.mark.slow
def test_huge_count_is_not_identified_by_estimate_compare_or_the_api(tmp_path):
    """Tester report 6, H1: kosovo_1999 with 3,000,000,000 persons seen by HRW alone. The posterior does not vanish
    within the widest grid: every way in says "not identified", none prints its 58 billion median."""
    import darkfigure as dfg

    t = load("kosovo_1999").table
    t = t[[*load("kosovo_1999").lists, "count"]].copy()
    only_hrw = (t[["EXH", "ABA", "OSCE"]].sum(axis=1) == 0) & (t["HRW"] == 1)
    t.loc[only_hrw, "count"] = 3_000_000_000
    f = tmp_path / "countbig.csv"
    t.to_csv(f, index=False)
    est = _process("estimate", str(f), "--method", "dga")
    assert est.returncode == 3 and "does not vanish within the grid" in est.stdout
    comp = _process("compare", str(f), "--methods", "dga", "--no-validation")
    assert comp.returncode == 3, comp.stdout
    assert "RuntimeWarning" not in comp.stderr
    for text in (est.stdout, comp.stdout):
        assert "58,066" not in text and "62,830" not in text
    m = dfg.DGA().fit(str(f))
    assert m.result_.status == "not identified" and np.isnan(m.nhat)


def test_a_list_that_registered_everyone_is_noted_on_the_lean_path_too(tmp_path):
    # tester report 6, M5: the plain-CSV path leaves such a file to the usual reader, which names the list
    rows = ["a,b,c,count", "1,0,1,40", "1,1,0,30", "1,1,1,20", "1,0,0,50"]
    f = tmp_path / "full.csv"
    f.write_text("\n".join(rows) + "\n")
    out = _process("estimate", str(f), "--method", "dga")
    assert "list(s) 'a' are 1 in every row" in out.stdout, out.stdout + out.stderr


def test_dga_statement_points_to_the_checks():
    """Tester 8, F3: dga's "to publish" says it checks nothing and where the heterogeneity check is."""
    from darkfigure.publish import dga_statement

    p = dga_statement(2400.0, 2304.0, 2511.0, 0.95)
    assert p["rules"] == ["agree", "checks-not-run"] and p["publish_interval"] is False
    assert p["statement"].startswith("Publish N̂ 2,400 (95% credible interval 2,304–2,511) only with the caveat")
    assert "darkfigure compare DATA" in p["statement"]
