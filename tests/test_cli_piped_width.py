"""Output to a pipe or a file shows every figure whole (rich assumed 80 columns there and cut the intervals), at
120 columns with long lines wrapped and no line padded with spaces (s23 new user, finding 9: at 10,000 columns a
saved log had panel rows of 2,901 characters)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from rich.cells import cell_len
from tests.test_monitor import SCENARIO as MONITOR_SCENARIO

from darkfigure.cli.common import PIPED_WIDTH, _Console
from darkfigure.simulation import simulate

SRC = Path(__file__).resolve().parents[1] / "src"

#: tests/conftest.py leaves this module the consoles' real width off a terminal
REAL_PIPED_WIDTH = True

SCENARIO = {**MONITOR_SCENARIO, "name": "piped_monitor"}  # test_monitor's three years, sex and form


def _piped(args: list[str], tmp_path: Path, columns: int | None = None) -> str:
    """Run the command line in a child process with stdin, stdout and stderr none of them a terminal (COLUMNS
    unset, or `columns`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    out = tmp_path / "stdout.txt"
    with open(out, "w", encoding="utf-8") as f:
        r = subprocess.run([sys.executable, "-m", "darkfigure.cli", *args], stdin=subprocess.DEVNULL, stdout=f,
                           stderr=subprocess.PIPE, env=env, cwd=tmp_path, timeout=600)
    text = out.read_text(encoding="utf-8")
    assert r.returncode == 0, text + r.stderr.decode()
    return text


class _Tty(io.StringIO):
    """A text buffer that says it is a terminal."""

    def isatty(self) -> bool:
        """True: a terminal."""
        return True


def _squash(text: str) -> str:
    """`text` without whitespace and the panels' vertical borders: a wrapped sentence read as one."""
    return "".join(text.replace("│", " ").split())


def _layout_ok(text: str) -> None:
    """At most PIPED_WIDTH columns, no line ending in spaces, no cell cut short."""
    lines = text.splitlines()  # in columns: N̂ is two code points in one column
    assert max(cell_len(ln) for ln in lines) <= PIPED_WIDTH, max(lines, key=cell_len)
    assert not [ln for ln in lines if ln != ln.rstrip()], [ln for ln in lines if ln != ln.rstrip()][:3]
    assert "…" not in text, text


def test_console_width_off_a_terminal_and_keeps_a_terminals_width(monkeypatch):
    assert PIPED_WIDTH == 120
    # the environment given explicitly: the test session's own (COLUMNS, FORCE_COLOR) must not decide
    assert _Console(file=io.StringIO(), _environ={}).width == PIPED_WIDTH
    # colour forced (FORCE_COLOR in CI) on a pipe: the same width
    assert _Console(file=io.StringIO(), force_terminal=True, _environ={"FORCE_COLOR": "1"}).width == PIPED_WIDTH
    # a terminal keeps its own width (rich's: the terminal's size, else 80)
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=0: os.terminal_size((100, 30)))
    assert _Console(file=_Tty(), _environ={}).width == 100
    assert _Console(file=io.StringIO(), width=100, _environ={}).width == 100  # an explicit width is kept
    env = {"COLUMNS": "90"}
    c = _Console(file=io.StringIO(), _environ=env)
    assert c.width == 90
    env.pop("COLUMNS")  # read when asked, not fixed when the console was made
    assert c.width == PIPED_WIDTH


def test_redirected_monitor_and_estimate_show_every_interval_whole(tmp_path):
    h = simulate(SCENARIO, seed=3).histories
    h.to_csv(tmp_path / "histories.csv", index=False)
    pop = pd.DataFrame([(y, s, 1e6) for y in (2017, 2018, 2019) for s in ("female", "male")],
                       columns=["year", "sex", "population"])
    pop.to_csv(tmp_path / "population.csv", index=False)
    text = _piped(["monitor", "histories.csv", "--year", "year", "--population", "population.csv", "--reps", "60",
                   "--seed", "1", "--jobs", "1", "--out", "mon"], tmp_path)
    _layout_ok(text)
    tab = pd.read_csv(tmp_path / "mon" / "monitor.csv", keep_default_na=False)
    total = tab[(tab["group"] == "total") & (tab["year"].astype(str) == "")].iloc[0]
    # the total's row holds its interval whole, and the rate column is on the same line
    row = next(ln for ln in text.splitlines() if ln.lstrip("│ ").startswith("total"))
    assert f"{round(total['nhat']):,}" in row and "%" in row and row.count("(") >= 3, row
    text = _piped(["estimate", "histories.csv", "--lists", "police,ngo,inspect", "--covariates", "sex,form",
                   "--reps", "60", "--seed", "1", "--jobs", "1", "--out", "est"], tmp_path)
    _layout_ok(text)
    # wrapped, nothing is lost: every warning and the statement to publish, each read as one sentence
    res = json.loads((tmp_path / "est" / "result.json").read_text(encoding="utf-8"))
    said = [*res["warnings"], res["to_publish"]["statement"]]
    assert said and all(_squash(w) in _squash(text) for w in said), text
    est = pd.read_csv(tmp_path / "est" / "estimates.csv")
    row = next(ln for ln in text.splitlines() if ln.lstrip("│ ").startswith("total"))
    assert all(f"{est.loc[0, c]:,.0f}" in row for c in ("nhat", "lower", "upper")), row
    # COLUMNS sets another width, for a pipe too
    wide = _piped(["estimate", "histories.csv", "--lists", "police,ngo,inspect", "--covariates", "sex,form",
                   "--reps", "60", "--seed", "1", "--jobs", "1"], tmp_path, columns=200)
    assert 120 < max(cell_len(ln) for ln in wide.splitlines()) <= 200


def test_nothing_is_padded_out_to_the_wide_width():
    from typer.testing import CliRunner

    from darkfigure.cli import app

    r = CliRunner().invoke(app, ["datasets"])
    assert r.exit_code == 0, r.output
    assert "source:" in r.output and max(cell_len(ln) for ln in r.output.splitlines()) <= PIPED_WIDTH
    assert all(ln == ln.rstrip() for ln in r.output.splitlines())
