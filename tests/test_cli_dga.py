"""``darkfigure estimate DATA --method dga``: the lean path (plain CSV, before typer loads) and the usual one
print the same; anything the lean reader does not accept goes the usual way; options that do not apply are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_lean_path_prints_what_the_usual_path_prints_without_pandas_or_scipy(tmp_path):
    f = _csv(tmp_path / "five.csv")
    lean = _process("estimate", str(f), "--method", "dga", "--level", "0.9", importtime=True)
    assert lean.returncode == 0, lean.stderr
    loaded = {ln.split("|")[-1].strip().split(".")[0] for ln in lean.stderr.splitlines() if ln.startswith("import time")}
    assert not loaded & {"pandas", "scipy", "typer", "rich", "numba", "matplotlib"}, loaded
    usual = _in_process("estimate", str(f), "--method", "dga", "--level", "0.9")
    assert usual.exit_code == 0, usual.output
    assert lean.stdout.splitlines() == usual.output.splitlines()
    # the numbers are dga()'s
    r = dga(load("dga_example_5list"), level=0.9)
    assert f"N̂            {r.median:,.0f}  (90% credible interval {r.ci_low:,.0f} – {r.ci_high:,.0f}" in lean.stdout
    assert "822 decomposable graphs" in lean.stdout and "note: lists taken to be the 0/1 columns" in lean.stdout


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
    assert r.exit_code == 2 and "--ci, --seed do(es) not apply to --method dga" in " ".join(r.output.split())
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
