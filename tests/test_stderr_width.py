"""Progress and status lines on stderr are wrapped at 120 columns off a terminal, as stdout is (s24 fresh clone L2:
lines of 139, 211 and 275 columns in a saved log), and no word is lost in the wrapping."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.test_monitor import SCENARIO

from darkfigure import _stderr
from darkfigure.simulation import simulate

SRC = Path(__file__).resolve().parents[1] / "src"
#: said by estimate when --missing em turns the averaged interval into the parametric one (139 columns)
NOT_AVERAGED = ("interval: parametric bootstrap of the chosen model, not averaged (unknown covariate values are fitted "
                "by EM, which allows no model average)")


def _stderr_of(args: list[str], cwd: Path, columns: int | None = None) -> str:
    """The command line's stderr, run in a child process with stdout and stderr pipes (COLUMNS unset, or `columns`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    r = subprocess.run([sys.executable, "-m", "darkfigure.cli", *args], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, encoding="utf-8", env=env, cwd=cwd, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stderr


def _words(text: str) -> list[str]:
    """The words of `text`, figures as # (the seconds said differ from run to run)."""
    return re.sub(r"\d[\d,.]*", "#", text).split()


def test_estimate_stderr_wrapped_at_120_columns_without_losing_words(tmp_path):
    h = simulate(SCENARIO, seed=3).histories
    h.loc[np.random.default_rng(1).random(len(h)) < 0.05, "sex"] = ""  # unknown sex: EM, no model average
    h.to_csv(tmp_path / "h.csv", index=False)
    args = ["estimate", "h.csv", "--lists", "police,ngo,inspect", "--covariates", "sex,form", "--missing", "em",
            "--reps", "20", "--seed", "1", "--jobs", "1"]
    piped = _stderr_of(args, tmp_path)
    lines = piped.splitlines()
    assert max(len(ln) for ln in lines) <= 120, max(lines, key=len)
    assert NOT_AVERAGED in " ".join(piped.split()), piped  # wrapped, said whole
    assert not any(NOT_AVERAGED in ln for ln in lines), piped  # and wrapped indeed (the test can fail)
    # the same words as on a stderr wide enough for every line
    wide = _stderr_of(args, tmp_path, columns=1000)
    assert NOT_AVERAGED in wide.splitlines(), wide
    assert _words(piped) == _words(wide)


def test_wrap_keeps_every_word_line_break_and_long_path():
    path = "/a/very/long/" + "x" * 150 + "/file.csv"
    msg = "note: " + " ".join(f"word{i}" for i in range(60)) + f" at {path} done\nsecond line"
    out = _stderr.wrap(msg, 40)
    assert out.split() == msg.split()
    assert path in out.splitlines()  # a word longer than the width stands alone, whole
    assert all(len(ln) <= 40 for ln in out.splitlines() if ln != path)
    assert out.splitlines()[-1] == "second line"
    assert _stderr.wrap("short", 40) == "short"


def test_width_columns_terminal_and_pipe(monkeypatch):
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

        def fileno(self) -> int:
            return 2

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(_stderr, "PIPED_WIDTH", 120)
    assert _stderr.width(io.StringIO()) == 120
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=0: os.terminal_size((100, 30)))
    assert _stderr.width(Tty()) == 100
    monkeypatch.setenv("COLUMNS", "90")
    assert _stderr.width(io.StringIO()) == 90 and _stderr.width(Tty()) == 90


@pytest.mark.parametrize("terminal", [False, True])
def test_in_process_tests_get_the_wide_width(capsys, terminal):
    """tests/conftest.py's fixture gives the library's stderr lines its 10,000 columns too (tests find a sentence on
    one line), as it gives the consoles."""
    from darkfigure.pipeline.phases import say

    say(True, NOT_AVERAGED * 2, terminal=terminal)
    assert capsys.readouterr().err == NOT_AVERAGED * 2 + "\n"
