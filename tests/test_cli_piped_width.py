"""Output to a pipe or a file shows every figure whole (rich assumed 80 columns there and cut the intervals)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from tests.test_monitor import SCENARIO as MONITOR_SCENARIO

from darkfigure.cli.common import PIPED_WIDTH, _Console
from darkfigure.simulation import simulate

SRC = Path(__file__).resolve().parents[1] / "src"

SCENARIO = {**MONITOR_SCENARIO, "name": "piped_monitor"}  # test_monitor's three years, sex and form


def _piped(args: list[str], tmp_path: Path) -> str:
    """Run the command line in a child process with stdin, stdout and stderr none of them a terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE")}
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


def test_console_is_wide_off_a_terminal_and_keeps_a_terminals_width():
    # the environment given explicitly: the test session's own (COLUMNS, FORCE_COLOR) must not decide
    assert _Console(file=io.StringIO(), _environ={}).width == PIPED_WIDTH
    # colour forced (FORCE_COLOR in CI) on a pipe: still wide
    assert _Console(file=io.StringIO(), force_terminal=True, _environ={"FORCE_COLOR": "1"}).width == PIPED_WIDTH
    # a terminal keeps its own width (rich's: the terminal's size, else 80)
    assert _Console(file=_Tty(), _environ={}).width < PIPED_WIDTH
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
    assert "…" not in text, text
    tab = pd.read_csv(tmp_path / "mon" / "monitor.csv", keep_default_na=False)
    total = tab[(tab["group"] == "total") & (tab["year"].astype(str) == "")].iloc[0]
    # the total's row holds its interval whole, and the rate column is on the same line
    row = next(ln for ln in text.splitlines() if ln.lstrip("│ ").startswith("total"))
    assert f"{round(total['nhat']):,}" in row and "%" in row and row.count("(") >= 3, row
    text = _piped(["estimate", "histories.csv", "--lists", "police,ngo,inspect", "--covariates", "sex,form",
                   "--reps", "60", "--seed", "1", "--jobs", "1"], tmp_path)
    assert "…" not in text, text


def test_nothing_is_padded_out_to_the_wide_width():
    from typer.testing import CliRunner

    from darkfigure.cli import app

    r = CliRunner().invoke(app, ["datasets"])
    assert r.exit_code == 0, r.output
    assert "source:" in r.output and max(len(ln) for ln in r.output.splitlines()) < 1000
