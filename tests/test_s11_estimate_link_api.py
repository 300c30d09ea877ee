"""dfg.estimate on a LinkageResult, on its histories, and from a script without a main guard (tester 11, F6)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

import darkfigure as dfg
from darkfigure.linkage.link_warnings import LINK_PREFIX
from s11_link_folder import WARNING, small_result

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"


@pytest.fixture(scope="module")
def result():
    return small_result(1200)


def test_estimate_takes_a_linkage_result_as_its_folder(result, tmp_path):
    opts = {"covariates": [], "search": "cruyff", "ci": "parametric", "reps": 100, "seed": 1, "linkage_draws": 3,
            "linkage_reps": 0, "n_jobs": 1}
    r = dfg.estimate(result, **opts)
    assert r.raw.linkage is not None and r.raw.linkage.draws == 3
    assert LINK_PREFIX + WARNING in r.warnings
    result.write(tmp_path / "lk", plot=False)
    f = dfg.estimate(tmp_path / "lk", **opts)
    assert f.nhat == pytest.approx(r.nhat, rel=1e-9)
    assert (f.raw.lower, f.raw.upper) == pytest.approx((r.raw.lower, r.raw.upper), rel=1e-9)
    # linkage="none": the histories as linked, said to be taken as error-free
    n = dfg.estimate(result, linkage="none", covariates=[], search="cruyff", ci="none")
    assert n.raw.linkage is None and any("error-free" in w for w in n.warnings)


def test_histories_of_a_linkage_result_are_said_to_be_taken_as_error_free(result):
    r = dfg.estimate(result.histories, search="cruyff", ci="none", missing="em")
    assert r.raw.linkage is None
    assert any("taken here as error-free" in w and "dfg.estimate(result)" in w for w in r.warnings)
    # histories made elsewhere: no such warning
    plain = dfg.estimate(replace(result.histories.collapse([]), name="elsewhere"), search="cruyff", ci="none")
    assert not any("error-free" in w for w in plain.warnings)


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_a_script_without_main_guard_can_ask_for_the_linkage_correction(tmp_path, how):
    """A script file without a main guard, and one read from standard input (`python - < script.py`, whose path
    '<stdin>' forkserver could not run again: BrokenPipeError), both get their draws."""
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        import darkfigure as dfg
        from s11_link_folder import small_result
        res = small_result(900)
        r = dfg.estimate(res, covariates=[], search="cruyff", ci="parametric", reps=100, seed=1, linkage_draws=2,
                         linkage_reps=0, n_jobs=2)
        print("NHAT", r.nhat, r.raw.linkage.draws)
    """))
    args = [sys.executable, str(script)] if how == "file" else [sys.executable, "-"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       input=None if how == "file" else script.read_text(),
                       env={**__import__("os").environ, "PYTHONPATH": str(SRC)})
    assert p.returncode == 0, p.stderr[-3000:]
    assert "RuntimeError" not in p.stderr and "NHAT" in p.stdout
    assert p.stdout.split("NHAT")[1].split()[1] == "2"
