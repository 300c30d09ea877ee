"""The exhaustive search's kernel helper (darkfigure.loglinear._kernel_server): same numbers, numba kept out of
the command's process, and nothing started where the command line did not ask for the exhaustive search.

Each case runs in a fresh interpreter (the helper is forked, which a pytest process with threads must not do).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")

# As the command line starts it (cli/lean.py), then an exhaustive search through the library; prints what the
# test compares: whether the helper ran, whether numba reached this process, and the search's numbers.
_SCRIPT = """
import json, sys
sys.argv = ["darkfigure", "estimate", "kosovo_1999", "--search", "exhaustive", "--ci", "none"]
from darkfigure.loglinear import _kernel_server
_kernel_server._SPLIT_MIN = 2  # every batch split between the two helpers (4 lists make small batches)
import darkfigure.cli.lean  # starts the helper (before typer, as darkfigure.cli does)
from darkfigure import datasets
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.exhaustive import exhaustive_search
from darkfigure.loglinear.exhaustive_fit import kernel_compiled

helper = _kernel_server.running()
compiled = kernel_compiled()
res = exhaustive_search(CompleteTable(datasets.load("kosovo_1999")), max_order=3)
p = res.path
cols = [c for c in ("deviance", "nhat", "bic", "aic") if c in p.columns]
print(json.dumps({"helper": helper, "numba": "numba" in sys.modules, "compiled": compiled,
                  "best": res.best.model.label(), "nhat": float(res.best.nhat),
                  "path": {c: [float(v).hex() for v in p[c]] for c in cols}}))
"""


def _run(helper: str) -> dict:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               DARKFIGURE_KERNEL_HELPER=helper)
    p = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="the helper needs os.fork (Linux)")
def test_helper_fits_bit_for_bit_and_keeps_numba_out_of_the_command():
    with_helper, alone = _run("1"), _run("0")
    assert with_helper["helper"] is True and alone["helper"] is False
    assert with_helper["numba"] is False  # numba loaded in the helper only
    assert alone["numba"] is True
    assert with_helper["compiled"] == alone["compiled"]
    # every model's deviance, N̂ and criteria, to the last bit (float.hex)
    assert with_helper["path"] == alone["path"] and len(alone["path"]["deviance"]) > 100  # every hierarchical model of 4 lists
    assert (with_helper["best"], with_helper["nhat"]) == (alone["best"], alone["nhat"])


def test_no_helper_unless_the_command_line_asks_for_the_exhaustive_search():
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), DARKFIGURE_KERNEL_HELPER="1")
    code = ("import sys; sys.argv = ['darkfigure', 'estimate', 'kosovo_1999', '--search', 'cruyff']\n"
            "import darkfigure.cli.lean\nfrom darkfigure.loglinear import _kernel_server\n"
            "print(_kernel_server.running())")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "False"


def test_without_a_helper_the_search_fits_in_its_own_process():
    from darkfigure.loglinear import _kernel_server

    assert not _kernel_server.running()  # imported, never started: a library user's process is not forked
    assert _kernel_server.call((), {}) is None and _kernel_server.compiled_status() is None


def _gone(pid: int) -> bool:
    """Whether process `pid` has ended (absent, or a zombie waiting for init to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_helper_ends_with_the_command_while_compiling(tmp_path):
    """A command that ends while the helper compiles the kernel on a cold numba cache (a refused option) takes the
    helper with it (tester report 10, F8: it ran on for ~2 minutes, re-parented to init)."""
    import time

    code = ("import os, sys, time; sys.argv = ['darkfigure', 'estimate', 'x.csv', '--search', 'exhaustive']\n"
            "import darkfigure.cli.lean\nfrom darkfigure.loglinear import _kernel_server\n"
            "s = _kernel_server._SERVER; s.read_status(); print(s.pid, s.status[1], flush=True)\n"
            "time.sleep(0.5); os._exit(2)")  # the helper is compiling now; os._exit: no atexit, as kill -9
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), DARKFIGURE_KERNEL_HELPER="1",
               NUMBA_CACHE_DIR=str(tmp_path))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2, p.stderr[-2000:]
    pid, compiled = p.stdout.split()
    assert compiled == "False"  # the cache was cold: the helper was compiling when the command ended
    for _ in range(100):  # the signal is immediate; allow a loaded machine to schedule the kill
        if _gone(int(pid)):
            break
        time.sleep(0.1)
    else:
        os.kill(int(pid), 9)
        pytest.fail("the kernel helper outlived its command")
