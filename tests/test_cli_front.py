"""``darkfigure estimate`` with plain options skips typer's parser (cli/front.py): it must read every option as
typer does, leave every other command line to typer, and print and write what the typer path prints and writes."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from darkfigure.cli import app
from darkfigure.cli.estimate import estimate
from darkfigure.cli.front import parse

SRC = str(Path(__file__).resolve().parents[1] / "src")
UK5 = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "uk_2013_5lists.csv"


def _typer_params(argv: list[str]) -> dict:
    """The values typer passes to estimate() for `argv` (its own parser and pydantic conversion)."""
    cmd = typer.main.get_command(app)
    ctx = cmd.make_context("darkfigure", list(argv))
    sub = cmd.get_command(ctx, argv[0])
    return sub.make_context(argv[0], list(argv[1:]), parent=ctx).params


@pytest.mark.parametrize("argv", [
    ["estimate", "cruyff_simdat", "--year", "Y", "--year-degree", "2", "--search", "cruyff", "--ci", "parametric",
     "--reps", "1000", "--seed", "1"],
    ["estimate", "data.csv", "--search", "exhaustive", "--ci", "none"],
    ["estimate", "--ci=profile", "dga_example_3list", "--level=0.9"],
    ["estimate", "x.csv", "--out", "o", "--percentile", "--level", ".8", "--pthresh", "0.05", "--structural-zeros",
     "sz.csv", "--drop-empty-lists", "--overwrite", "--report", "--jobs", "2", "--max-order", "3", "--model", "A:B",
     "--lists", "A,B,C", "--covariates", "", "--count", "n", "--sheet", "0", "--missing", "em", "--linkage", "none",
     "--linkage-draws", "5", "--linkage-reps", "3", "--assumption-range", "off", "--pooling", "partial", "--method",
     "dga", "--criterion", "aic", "--seed=0", "--year", "year", "--year-degree", "1"],
])
def test_plain_options_are_read_as_typer_reads_them(argv):
    kwargs = parse(argv, estimate)
    assert kwargs is not None
    theirs = _typer_params(argv)
    for name, p in inspect.signature(estimate).parameters.items():
        mine = kwargs.get(name, p.default)
        assert mine == theirs[name] and type(mine) is type(theirs[name]), name


@pytest.mark.parametrize("argv", [
    [], ["--version"], ["--help"], ["compare", "x"], ["estimate"], ["estimate", "--help"], ["estimate", "x", "--help"],
    ["estimate", "x", "y"], ["estimate", "x", "-h"], ["estimate", "x", "--", "y"], ["estimate", "x", "--reps", "1_000"],
    ["estimate", "x", "--reps", "1e3"], ["estimate", "x", "--reps", " 7"], ["estimate", "x", "--reps", "many"],
    ["estimate", "x", "--seed", "-1"], ["estimate", "x", "--level", "-0.5"], ["estimate", "x", "--level", "nan"],
    ["estimate", "x", "--reps", "5", "--reps", "6"], ["estimate", "x", "--no-percentile"],
    ["estimate", "x", "--percentile=1"], ["estimate", "x", "--out", ""], ["estimate", "x", "--unknown", "1"],
    ["estimate", "x", "--reps"], ["estimate", "x", "--out", "-"],
])
def test_other_command_lines_are_left_to_typer(argv):
    assert parse(argv, estimate) is None


def _run(args: list[str], cwd: Path, *, front: bool) -> subprocess.CompletedProcess:
    """A fresh process: ``python -m darkfigure.cli`` (the front path when the options are plain) or typer's app
    called directly (the usual path), with the modules it imported (-X importtime)."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "COLUMNS": "120"}
    how = (["-m", "darkfigure.cli"] if front else
           ["-c", "import sys; sys.argv = ['darkfigure', *sys.argv[1:]]; from darkfigure.cli import app; app()"])
    return subprocess.run([sys.executable, "-X", "importtime", *how, *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def _said(stderr: str) -> list[str]:
    """stderr without the import times and with the progress lines' seconds blanked (they vary run to run)."""
    lines = [ln for ln in stderr.splitlines() if not ln.startswith("import time:")]
    return [re.sub(r"\d+ s\b", "# s", ln) for ln in lines]


def _files(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in sorted(folder.glob("*")):
        if f.name == ".darkfigure-outputs.json":
            out[f.name] = sorted(json.loads(f.read_text())["files"])  # the files it wrote (hashes, times vary)
        elif f.name == "result.json":
            d = json.loads(f.read_text())
            d.pop("seconds", None)  # wall times of the run's steps
            d.pop("run_date", None)
            out[f.name] = d
        else:
            out[f.name] = f.read_bytes()
    return out


def _same_both_ways(tmp_path: Path, args: list[str], code: int = 0) -> None:
    runs = {}
    for front in (True, False):
        cwd = tmp_path / ("front" if front else "typer")
        cwd.mkdir()
        p = _run(args, cwd, front=front)
        assert p.returncode == code, p.stderr[-2000:]
        imported = {ln.split("|")[-1].strip() for ln in p.stderr.splitlines() if ln.startswith("import time:")}
        # the front path never builds typer's pydantic validators; typer's path does
        assert ("pydantic" in imported) is not front
        runs[front] = (p.stdout, _said(p.stderr), _files(cwd / "out") if (cwd / "out").exists() else None)
    assert runs[True][0] == runs[False][0]
    assert runs[True][1] == runs[False][1]
    assert runs[True][2] == runs[False][2]


def test_front_and_typer_paths_agree_on_a_profile_interval(tmp_path):
    _same_both_ways(tmp_path, ["estimate", "dga_example_3list", "--ci", "profile", "--out", "out"])


def test_front_and_typer_paths_agree_on_the_simdat_job(tmp_path):
    """The benchmark's simdat job (Cruyff search + parametric bootstrap), with fewer replicates."""
    _same_both_ways(tmp_path, ["estimate", "cruyff_simdat", "--year", "Y", "--year-degree", "2", "--search", "cruyff",
                               "--ci", "parametric", "--reps", "60", "--seed", "1", "--out", "out"])


@pytest.mark.skipif(not UK5.exists(), reason="needs ../shared/datasets")
def test_front_and_typer_paths_agree_on_every_hierarchical_model(tmp_path):
    """The benchmark's exhaustive job: all 6,893 hierarchical models on the UK's 5 lists."""
    _same_both_ways(tmp_path, ["estimate", str(UK5), "--search", "exhaustive", "--ci", "none", "--out", "out"])


@pytest.mark.parametrize("args", [["estimate", "no_such_file.csv", "--reps", "10"],
                                  ["estimate", "dga_example_3list", "--ci", "sideways"],
                                  ["estimate", "dga_example_3list", "--report"]])
def test_front_and_typer_paths_refuse_bad_input_alike(tmp_path, args):
    _same_both_ways(tmp_path, args, code=2)
